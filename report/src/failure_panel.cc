// The failure panel: which event failed, the CPUs side by side before it
// (from a deterministic replay when the run can be re-executed, else from
// the log), the failing CPU's stack and the listing around the interrupted
// instruction (see gather_parts.h).
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "gather_parts.h"
#include "nestrr/eventlog/hex.h"
#include "nestrr/replay/interleaving_view.h"
#include "nestrr/replay/replayer.h"
#include "nestrr/symbolize/listing.h"
#include "nestrr/symbolize/stack.h"
#include "self_image.h"

namespace nestrr::report::detail {

namespace el = eventlog;
using Kind = replay::TraceEntry::Kind;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

using eventlog::hex;

class FailurePanel {
 public:
  FailurePanel(const el::Log& log, const el::Timeline& timeline, const EventIndex& index,
               const ReportOptions& options, symbolize::Symbolizer* modules, ReportData& data)
      : log_(log), timeline_(timeline), index_(index), options_(options), modules_(modules), data_(data) {
    for (uint32_t l = 0; l < data.cpus.size(); l++) lane_of_[data.cpus[l]] = l;
    for (const Nmi& n : data.nmis) sender_of_[n.to] = n.from;
  }

  void build() {
    if (!find_failure()) return;
    if (assertion_ && options_.replay && log_.header && log_.header->has_scenario()) run_replay();
    if (!replay_ || !replay_->failure) interleaving_from_log();
    if (!options_.elf_files.empty() || !options_.debug_dirs.empty())
      stack_from_elf();
    else if (replay_ && !replay_->stack.empty())
      stack_from_replay();
    else if (assertion_)
      f_.stack_note = "no stack: give --elf with the hypervisor's ELF file (or --debug-dir)";
    else
      f_.stack_note = "an invariant violation found in the log: no CPU stopped, so there is no stack";
    data_.failure = std::move(f_);
  }

 private:
  bool find_failure() {
    for (el::EventRef ref : timeline_.order) {
      if (log_.at(ref).record.has_assertion_failure()) {
        assertion_ = ref;
        break;
      }
    }
    if (assertion_) {
      const el::Event& e = log_.at(*assertion_);
      const auto& a = e.record.assertion_failure();
      f_.kind = "assertion";
      f_.title = "cpu" + std::to_string(e.cpu) + ": assertion '" + a.condition() + "' failed at " + a.file() +
                 ":" + std::to_string(a.line());
      f_.event = index_.of(*assertion_);
      f_.lane = lane_of_[e.cpu];
      return true;
    }
    if (data_.violations.empty()) return false;
    const Violation& v = data_.violations.front();
    f_.kind = "invariant";
    f_.title = "[" + v.invariant + "] " + v.message;
    f_.event = v.event;
    f_.lane = data_.events.lane[v.event];
    for (const auto& [at, note] : v.causes) causes_[at] = note;
    return true;
  }

  void run_replay() {
    if (options_.progress) options_.progress("replaying the run to get its interleaving and stack");
    Summary& s = data_.summary;
    try {
      replay_ = replay::replay(log_);
    } catch (const std::invalid_argument& e) {
      s.replay_outcome = std::string("not replayed: ") + e.what();
      return;
    }
    s.replayed = true;
    if (replay_->divergence) {
      s.replay_outcome = "diverged: " + replay_->divergence->message();
      replay_.reset();
      return;
    }
    if (replay_->lost) {
      // Up to the loss the replay matched; past it the log does not say.
      s.replay_outcome = replay::lost_message(*replay_->lost, replay_->events_checked);
      if (!replay_->failure) {
        replay_.reset();
        return;
      }
    }
    if (!replay_->lost)
      s.replay_outcome = "matched the log: " + std::to_string(replay_->events_checked) + " records checked";
    if (!replay_->failure) return;
    f_.interleaving_source = "replay";
    const auto& t = replay_->trace;
    auto [start, end] = replay::interleaving_window(*replay_, options_.interleaving_rows);
    for (size_t i = start; i < end; i++) {
      const replay::TraceEntry& e = t[i];
      InterleavingRow row;
      row.lane = lane(e.cpu);
      row.text = replay::describe_entry(e);
      switch (e.kind) {
        case Kind::kNmiDelivered: {
          row.role = "nmi";
          if (lane_of_.count(e.other_cpu)) row.from = lane(e.other_cpu);
          row.text = "NMI from cpu" + std::to_string(e.other_cpu) + " taken @" + std::to_string(e.progress);
          std::string between = replay::nmi_landed_between(t, i);
          if (!between.empty()) row.text += ": " + between;
          break;
        }
        case Kind::kAssertion: row.role = "assertion"; break;
        case Kind::kEvent: row.role = "event"; break;
        case Kind::kNmiSent: row.role = "nmi-sent"; break;
        default: row.role = e.nmi_depth ? "in-nmi" : "point";
      }
      f_.interleaving.push_back(std::move(row));
    }
  }

  uint32_t lane(uint32_t cpu) const {
    auto it = lane_of_.find(cpu);
    return it == lane_of_.end() ? 0 : it->second;
  }

  // Timeline rows: the last events up to the failure, plus the violation's
  // causes however far back, with the gaps between them counted.
  void interleaving_from_log() {
    f_.interleaving_source = "log";
    const uint32_t fail = *f_.event;
    const uint32_t rows = static_cast<uint32_t>(std::max<size_t>(options_.interleaving_rows, 1));
    std::set<uint32_t> shown;
    for (uint32_t i = fail >= rows - 1 ? fail - (rows - 1) : 0; i <= fail; i++) shown.insert(i);
    for (const auto& [at, note] : causes_) shown.insert(at);
    const EventColumns& c = data_.events;
    std::optional<uint32_t> prev;
    for (uint32_t i : shown) {
      if (prev && i > *prev + 1) {
        InterleavingRow gap;
        gap.role = "gap";
        gap.text = "... " + std::to_string(i - *prev - 1) + " events ...";
        f_.interleaving.push_back(std::move(gap));
      }
      prev = i;
      InterleavingRow row;
      row.lane = c.lane[i];
      row.event = i;
      row.text = data_.kinds[c.kind[i]] + " #" + std::to_string(c.seq[i]);
      if (const std::string f = c.fields(i); !f.empty()) row.text += " " + f;
      row.role = "event";
      auto sender = sender_of_.find(i);
      if (sender != sender_of_.end()) {
        row.role = "nmi";
        row.from = c.lane[sender->second];
      }
      auto cause = causes_.find(i);
      if (cause != causes_.end()) {
        row.role = "cause";
        row.text += "  <- " + cause->second;
      }
      if (i == fail) row.role = "failure";
      f_.interleaving.push_back(std::move(row));
    }
  }

  void stack_from_elf() {
    if (!assertion_) {
      f_.stack_note = "an invariant violation found in the log: no CPU stopped, so there is no stack";
      return;
    }
    auto snap = symbolize::StackSnapshot::from_log(log_, *assertion_);
    if (!snap) {
      f_.stack_note = "the assertion record has no registers";
      return;
    }
    if (!modules_) {
      f_.stack_note = "none of the --elf files belongs to the log's modules";
      return;
    }
    symbolize::Symbolizer& sym = *modules_;
    symbolize::Stack stack = symbolize::build_stack(*snap, sym);
    f_.stack_source = "from the log's registers and stack bytes: DWARF CFI, then frame pointers";
    for (const auto& frame : stack.frames) {
      if (!frame.info) {
        f_.stack.push_back({"??", "", symbolize::method_name(frame.raw.method), frame.raw.pc, false});
        continue;
      }
      for (const auto& lf : symbolize::logical_frames(*frame.info))
        f_.stack.push_back({lf.function.empty() ? frame.info->function_offset() : lf.function,
                            symbolize::format_loc(lf.loc), symbolize::method_name(frame.raw.method),
                            frame.raw.pc, lf.inlined});
    }
    f_.stack_note = "unwinding stopped: " + stack.stop_reason;

    // The arrow goes where the NMI that led here interrupted the CPU, if one did.
    uint64_t pc = snap->pc;
    bool after_call = snap->pc_is_return_address;
    f_.listing_title = "where cpu" + std::to_string(log_.at(*assertion_).cpu) + " stopped";
    const uint32_t fail = *f_.event;
    for (uint32_t i = fail + 1; i-- > 0;) {
      if (data_.events.lane[i] != f_.lane) continue;
      if (data_.kinds[data_.events.kind[i]] == "vm_exit") break;  // handled before the failure began
      auto s = sender_of_.find(i);
      if (data_.kinds[data_.events.kind[i]] != "nmi_received") continue;
      const el::Event& e = event_at(i);
      if (!e.record.nmi_received().interrupted_rip()) break;
      pc = e.record.nmi_received().interrupted_rip();
      after_call = false;
      f_.listing_title = "the instruction the NMI" +
                         (s != sender_of_.end() ? " from cpu" + std::to_string(data_.cpus[data_.events.lane[s->second]])
                                                : std::string()) +
                         " interrupted";
      break;
    }
    listing(sym, pc, after_call);
  }

  void stack_from_replay() {
    f_.stack_source = "the replayed CPU's fiber stack (return addresses, this program's symbols)";
    const auto& r = *replay_;
    // The interrupted function: under the core's NMI handler come the
    // replay's delivery frames (C++), then the yield point the NMI was
    // delivered at (core_point), then the core's (C) function it interrupted.
    size_t interrupted = 0;
    enum { kHandler, kDelivery, kInterrupted } walk = kHandler;
    bool found = false;
    for (size_t i = 0; i < r.stack.size(); i++) {
      StackFrameRow row;
      row.address = r.stack[i];
      row.method = "replay";
      if (i < r.stack_symbols.size()) {
        const auto& s = r.stack_symbols[i];
        row.function = s.function.empty() ? hex(s.address) : s.function + "+" + hex(s.offset);
        row.location = s.source;
        const bool core_frame = s.source.find(".c:") != std::string::npos;
        if (walk == kHandler && (s.function == "nmi_handler" || s.function == "core_nmi")) walk = kDelivery;
        else if (walk == kDelivery && !core_frame) walk = kInterrupted;
        else if (walk == kInterrupted && !found && core_frame && s.function != "core_point") interrupted = i, found = true;
      }
      f_.stack.push_back(std::move(row));
    }
    f_.stack_note = r.stack.size() == 1 ? "" : "outermost frame: the fiber's entry";
    try {
      symbolize::Symbolizer sym(self_image());
      f_.listing_title = found ? "the call where the NMI was delivered (the interrupted instruction)"
                               : "where the CPU stopped";
      listing(sym, r.stack[interrupted], true);
    } catch (const std::exception& e) {
      f_.listing_note = std::string("no listing: ") + e.what();
    }
  }

  void listing(symbolize::Symbolizer& sym, uint64_t pc, bool after_call) {
    symbolize::ListingOptions lo;
    lo.source_dir = options_.source_dir;
    lo.pc_is_return_address = after_call;
    try {
      f_.listing = lines_of(symbolize::format_listing(sym, pc, lo));
    } catch (const std::exception& e) {
      f_.listing_note = std::string("no listing: ") + e.what();
    }
  }

  const el::Event& event_at(uint32_t i) const {
    // Report index -> log event: the same lane and sequence number.
    const auto* s = log_.find_cpu(data_.cpus[data_.events.lane[i]]);
    const uint64_t seq = data_.events.seq[i];
    auto it = std::lower_bound(s->events.begin(), s->events.end(), seq,
                               [](const el::Event& e, uint64_t v) { return e.seq < v; });
    return *it;
  }

  const el::Log& log_;
  const el::Timeline& timeline_;
  const EventIndex& index_;
  const ReportOptions& options_;
  symbolize::Symbolizer* modules_;  // the log's ELF files, if given
  ReportData& data_;
  Failure f_;
  std::map<uint32_t, uint32_t> lane_of_;
  std::map<uint32_t, uint32_t> sender_of_;  // receive event -> send event
  std::map<uint32_t, std::string> causes_;
  std::optional<el::EventRef> assertion_;
  std::optional<replay::ReplayResult> replay_;
};

}  // namespace

void build_failure(const el::Log& log, const el::Timeline& timeline, const EventIndex& index,
                   const ReportOptions& options, symbolize::Symbolizer* modules, ReportData& data) {
  FailurePanel(log, timeline, index, options, modules, data).build();
}

}  // namespace nestrr::report::detail
