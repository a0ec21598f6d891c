// `nestrr dump`: one line per event of the merged timeline (or JSON lines),
// with filters; or one frame's raw payload for `protoc --decode`.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "code_names.h"
#include "commands.h"
#include "log_input.h"
#include "nestrr.pb.h"
#include "nestrr/eventlog/format.h"
#include "nestrr/eventlog/frame_reader.h"
#include "nestrr/eventlog/log_stream.h"
#include "nestrr/eventlog/merge.h"
#include "nestrr/eventlog/merged_stream.h"

namespace nestrr::cli {
namespace {

std::set<std::string> known_kinds() {
  std::set<std::string> kinds;
  const auto* oneof = nestrr::v1::Record::descriptor()->FindOneofByName("event");
  for (int i = 0; i < oneof->field_count(); i++) kinds.insert(oneof->field(i)->name());
  return kinds;
}

// Finds the index-th frame that passed its CRC and copies its payload.
class NthFrame : public eventlog::FrameSink {
 public:
  explicit NthFrame(uint64_t index) : want_(index) {}
  void on_frame(const eventlog::Frame& f) override {
    if (seen_++ == want_) {
      payload = std::string(f.payload);
      offset = f.offset;
      found = true;
    }
  }
  void on_text(const eventlog::TextLine&) override {}
  void on_damage(const eventlog::Damage&) override {}
  uint64_t seen() const { return seen_; }
  bool found = false;
  std::string payload;
  uint64_t offset = 0;

 private:
  uint64_t want_;
  uint64_t seen_ = 0;
};

int write_raw_packet(const std::string& path, uint64_t index) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    spdlog::error("cannot open {}", path);
    return kExitBadInput;
  }
  NthFrame sink(index);
  eventlog::FrameReader reader(sink);
  char buf[65536];
  while (!sink.found && in) {
    in.read(buf, sizeof buf);
    reader.feed(std::string_view(buf, static_cast<size_t>(in.gcount())));
  }
  reader.finish();
  if (!sink.found && sink.seen() == 0) {
    spdlog::error("{}: not a nestrr log: no intact frame in its {} bytes (expected lines of \"~N\" "
                  "and base64, docs/format.md)",
                  path, reader.bytes_fed());
    return kExitBadInput;
  }
  if (!sink.found) {
    spdlog::error("{} has {} good frames; there is no frame {}", path, sink.seen(), index);
    return kExitUsage;
  }
  spdlog::info("frame {} at byte offset {}: {} payload bytes (a nestrr.v1.Packet)", index,
               sink.offset, sink.payload.size());
  std::fwrite(sink.payload.data(), 1, sink.payload.size(), stdout);
  return kExitOk;
}

}  // namespace

void register_dump(CLI::App& app, Run& run) {
  struct Opts {
    std::string log;
    bool json = false;
    bool by_cpu = false;
    bool console = false;
    std::vector<uint32_t> cpus;
    std::vector<std::string> kinds;
    std::optional<double> from_us, to_us;
    std::optional<uint64_t> from_tsc, to_tsc;
    std::optional<uint64_t> raw_packet;
    CodeNameOptions names;
    bool strict = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand(
      "dump", "Print events one per line, in merged timeline order (or JSON lines with --json)");
  sub->add_option("log", o->log, "Log file (.nrr), or - for stdin")->required();
  sub->add_flag("--json", o->json, "JSON lines: one object per event, the record in protobuf JSON");
  sub->add_flag("--by-cpu", o->by_cpu, "Each CPU's events in sequence order, CPU after CPU");
  sub->add_flag("--console", o->console,
                "Print the console text the capture carried between frames (one line each) instead "
                "of events");
  sub->add_option("--cpu", o->cpus, "Only these CPUs (repeatable)");
  sub->add_option("--kind", o->kinds, "Only these event kinds (repeatable), e.g. vm_exit, nmi_received")
      ->check(CLI::IsMember(known_kinds()));
  sub->add_option("--from-us", o->from_us, "Only events at or after this time (us since the first event)");
  sub->add_option("--to-us", o->to_us, "Only events at or before this time (us since the first event)");
  sub->add_option("--from-tsc", o->from_tsc, "Only events with TSC >= this");
  sub->add_option("--to-tsc", o->to_tsc, "Only events with TSC <= this");
  sub->add_option("--raw-packet", o->raw_packet,
                  "Write the raw payload of good frame N (0-based) to stdout, for "
                  "`protoc --decode=nestrr.v1.Packet proto/nestrr.proto`");
  add_code_name_options(sub, o->names);
  add_strict_flag(sub, o->strict);
  sub->callback([&run, o] {
    run = [o]() -> int {
      if (o->raw_packet) {
        if (o->log == "-") {
          spdlog::error("--raw-packet needs a file, not stdin");
          return kExitUsage;
        }
        return write_raw_packet(o->log, *o->raw_packet);
      }
      // Counted first, then printed as the records are read again from the
      // file: a log of any length in bounded memory.
      auto opened = open_log_streaming(o->log, !o->console, o->console);
      if (!opened) return kExitBadInput;
      const eventlog::LogSummary& summary = opened->summary;
      const eventlog::Log& log = summary.log;
      if (o->console) {
        for (const auto& line : opened->whole ? log.console : summary.console)
          std::cout << line.record.console_text().text() << '\n';
        std::cout.flush();
        return std::cout ? done(log, o->strict) : kExitFailed;
      }
      CodeNames names;
      if (!open_code_names(log, o->names, names)) return kExitBadInput;
      const eventlog::TimeBase base = opened->whole ? eventlog::time_base(log) : summary.time_base;
      eventlog::Filter filter;
      filter.cpus.insert(o->cpus.begin(), o->cpus.end());
      filter.kinds.insert(o->kinds.begin(), o->kinds.end());
      filter.time_min_us = o->from_us;
      filter.time_max_us = o->to_us;
      filter.tsc_min = o->from_tsc;
      filter.tsc_max = o->to_tsc;
      auto print = [&](const eventlog::Event& e) {
        if (!filter.matches(e, base)) return;
        std::cout << (o->json ? eventlog::format_json_line(e, base, names.namer) : eventlog::format_event(e, base, names.namer))
                  << '\n';
      };
      const std::string path = o->log;
      auto open_file = [&path] { return std::make_unique<std::ifstream>(path, std::ios::binary); };
      if (opened->whole && o->by_cpu) {
        for (const auto& s : log.streams)
          for (const auto& e : s.events) print(e);
      } else if (opened->whole) {
        eventlog::Timeline timeline = eventlog::merge(log);
        for (const auto& ref : timeline.order) print(log.at(ref));
      } else if (o->by_cpu) {
        for (const auto& s : log.streams) {
          if (!filter.cpus.empty() && !filter.cpus.count(s.cpu)) continue;
          auto in = open_file();
          eventlog::LogStream records(*in, s.cpu, log.stats.bytes);  // what the first pass read
          for (; const eventlog::Event* e = records.front(s.cpu); records.pop(s.cpu)) print(*e);
        }
      } else {
        eventlog::MergedStream records(open_file, summary);
        while (const eventlog::Event* e = records.next()) print(*e);
      }
      std::cout.flush();
      return std::cout ? done(log, o->strict) : kExitFailed;
    };
  });
}

}  // namespace nestrr::cli
