// Packet dispatch and the handlers of the gdbserver (server.h).
#include "nestrr/gdbstub/server.h"

#include <spdlog/spdlog.h>

#include "nestrr/gdbstub/monitor.h"
#include "nestrr/gdbstub/packet.h"
#include "nestrr/gdbstub/target_description.h"
#include "nestrr/gdbstub/transport.h"

namespace nestrr::gdbstub {
namespace {

using Handler = std::string (GdbServer::*)(std::string_view);

struct PacketKind {
  std::string_view prefix;
  bool exact;  // the whole packet is the name (else: name, then arguments)
  Handler handler;
};

// Longer names before the shorter names they start with.
constexpr PacketKind kPackets[] = {
    {"qSupported", false, &GdbServer::on_query_supported},
    {"QStartNoAckMode", true, &GdbServer::on_start_no_ack},
    {"qXfer:", false, &GdbServer::on_xfer},
    {"qfThreadInfo", true, &GdbServer::on_thread_first},
    {"qsThreadInfo", true, &GdbServer::on_thread_next},
    {"qThreadExtraInfo,", false, &GdbServer::on_thread_extra},
    {"qC", true, &GdbServer::on_current_thread},
    {"qAttached", false, &GdbServer::on_attached},
    {"qRcmd,", false, &GdbServer::on_monitor},
    {"qOffsets", true, &GdbServer::on_offsets},
    {"qHostInfo", true, &GdbServer::on_host_info},
    {"qProcessInfo", true, &GdbServer::on_process_info},
    {"QThreadSuffixSupported", true, &GdbServer::on_thread_suffix},
    {"qWatchpointSupportInfo", false, &GdbServer::on_watchpoint_info},
    {"qThreadStopInfo", false, &GdbServer::on_thread_stop_info},
    {"QListThreadsInStopReply", true, &GdbServer::on_list_threads_in_stop_reply},
    {"QEnableErrorStrings", true, &GdbServer::on_enable_error_strings},
    {"qSymbol:", false, &GdbServer::on_symbol},
    {"vCont?", true, &GdbServer::on_vcont_query},
    {"vCont;", false, &GdbServer::on_vcont},
    {"?", true, &GdbServer::on_stop_reason},
    {"g", true, &GdbServer::on_read_registers},
    {"p", false, &GdbServer::on_read_register},
    {"m", false, &GdbServer::on_read_memory},
    {"H", false, &GdbServer::on_set_thread},
    {"T", false, &GdbServer::on_thread_alive},
    {"bc", true, &GdbServer::on_reverse_continue},
    {"bs", true, &GdbServer::on_reverse_step},
    {"c", false, &GdbServer::on_continue},
    {"C", false, &GdbServer::on_continue},
    {"s", false, &GdbServer::on_step},
    {"S", false, &GdbServer::on_step},
    {"Z", false, &GdbServer::on_insert_point},  // TYPE,ADDR,KIND[;cond...]
    {"z", false, &GdbServer::on_remove_point},
    {"D", false, &GdbServer::on_detach},
    {"k", true, &GdbServer::on_kill},
};

constexpr std::string_view kError = "E01";

// "ADDR,LEN" (hex).
bool parse_addr_len(std::string_view s, uint64_t& addr, uint64_t& len) {
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  auto a = parse_hex_u64(s.substr(0, comma));
  auto l = parse_hex_u64(s.substr(comma + 1));
  if (!a || !l) return false;
  addr = *a;
  len = *l;
  return true;
}

// qXfer reply for [offset, offset + length) of a whole object.
std::string xfer_slice(const std::string& object, uint64_t offset, uint64_t length) {
  if (offset >= object.size()) return "l";
  length = std::min<uint64_t>(length, kMaxPacketBytes / 2);
  std::string chunk = object.substr(offset, length);
  return (offset + chunk.size() >= object.size() ? "l" : "m") + chunk;
}

}  // namespace

std::string GdbServer::handle(std::string_view packet, bool& no_reply) {
  no_reply_ = false;
  std::string reply;
  // lldb's thread suffix: this packet's thread, for this packet only.
  std::optional<uint32_t> saved_g = g_cpu_;
  bool suffixed = false;
  if (thread_suffix_) {
    size_t at = packet.find(";thread:");
    if (at != std::string_view::npos) {
      std::string_view t = packet.substr(at + 8);
      if (!t.empty() && t.back() == ';') t.remove_suffix(1);
      std::optional<uint32_t> cpu;
      bool all;
      if (!parse_thread(t, cpu, all)) {
        no_reply = false;
        return std::string(kError);
      }
      g_cpu_ = cpu;
      suffixed = true;
      packet = packet.substr(0, at);
    }
  }
  struct Restore {
    bool on;
    std::optional<uint32_t>& g;
    std::optional<uint32_t> v;
    ~Restore() {
      if (on) g = v;
    }
  } restore{suffixed, g_cpu_, saved_g};
  for (const PacketKind& k : kPackets) {
    if (k.exact ? packet == k.prefix : packet.starts_with(k.prefix)) {
      reply = (this->*k.handler)(packet.substr(k.prefix.size()));
      no_reply = no_reply_;
      return reply;
    }
  }
  no_reply = false;
  return {};  // unknown packet: the empty reply
}

void GdbServer::serve(Connection& connection) {
  connection_ = &connection;
  done_ = killed_ = no_ack_ = false;  // a new client starts with acks
  g_cpu_.reset();
  c_cpu_.reset();
  while (!done_) {
    auto packet = connection.read_packet();
    if (!packet) break;
    bool no_reply = false;
    std::string reply = handle(*packet, no_reply);
    if (!no_reply && !connection.send(reply)) break;
    if (no_ack_) connection.set_no_ack();
  }
  connection_ = nullptr;
}

uint32_t GdbServer::selected(bool for_step) const {
  const auto& pick = for_step ? c_cpu_ : g_cpu_;
  return pick.value_or(last_stop_cpu_);
}

bool GdbServer::parse_thread(std::string_view s, std::optional<uint32_t>& cpu, bool& all) {
  all = false;
  cpu.reset();
  if (s == "-1" || s == "0") {
    all = true;
    return true;
  }
  auto v = parse_hex_u64(s);
  if (!v || *v == 0 || *v > target_.cpu_count()) return false;
  cpu = static_cast<uint32_t>(*v - 1);
  return true;
}

std::string GdbServer::stop_reply(const Stop& stop) {
  last_stop_cpu_ = stop.cpu;
  g_cpu_.reset();
  c_cpu_.reset();
  return format_stop(stop);
}

std::string GdbServer::format_stop(const Stop& stop) {
  // gdb reads the ends of history from replaylog (and then ignores the
  // signal); lldb does not know that key, and to it a step whose pc does
  // not move is a step to retry, forever. So an end of history is reported
  // as SIGINT, like ^C: a signal lldb stops on, whose number it reads the
  // same whatever OS it assumes, and which its batch mode does not take
  // for a crash; the description is the stop reason lldb prints. Every
  // other stop is a trap.
  const char* signal = "T05";
  std::string_view history;
  if (stop.why == Stop::Why::kHistoryBegin) history = "begin";
  if (stop.why == Stop::Why::kHistoryEnd) history = "end";
  if (stop.why == Stop::Why::kInterrupted || !history.empty()) signal = "T02";
  // The logged run's assertion failure: its abort (SIGABRT); a jump is
  // no signal at all.
  if (stop.assertion) signal = "T06";
  if (stop.jumped) signal = "T00";
  std::string r = signal + ("thread:" + hex_u64(stop.cpu + 1) + ";");
  if (threads_in_stop_) {
    r += "threads:";
    for (uint32_t cpu = 0; cpu < target_.cpu_count(); ++cpu) r += (cpu ? "," : "") + hex_u64(cpu + 1);
    r += ";";
  }
  if (stop.why == Stop::Why::kWatchpoint) {
    const char* key = stop.watch_kind == WatchKind::kRead     ? "rwatch:"
                      : stop.watch_kind == WatchKind::kAccess ? "awatch:"
                                                              : "watch:";
    r += key + hex_u64(stop.watch_addr) + ";";
  }
  // swbreak tells gdb the pc is at the breakpoint itself (it then names
  // the breakpoint it hit); only when gdb said it understands it.
  if (stop.why == Stop::Why::kBreakpoint && stop.at_breakpoint && swbreak_) r += "swbreak:;";
  // lldb takes a bare trap for a crash (its batch mode stops there); a
  // step's end or a jump's arrival is a trace stop to it. gdb ignores the key.
  if (lldb_ && stop.why == Stop::Why::kStep && !stop.assertion) r += "reason:trace;";
  if (!history.empty()) {
    r += "replaylog:" + std::string(history) + ";description:" +
         to_hex(history == "end" ? "end of the replayed history" : "start of the replayed history") + ";";
  }
  return r;
}

std::string GdbServer::resume(Direction dir, ResumeMode mode, std::optional<uint32_t> cpu) {
  if (monitor_.go_to) {
    // `monitor goto N` (or next/prev): this resume goes there and stops.
    const uint64_t n = *monitor_.go_to;
    monitor_.go_to.reset();
    std::string why;
    if (target_.seek(n, why)) {
      Stop s = target_.current_stop();
      s.why = Stop::Why::kStep;
      s.jumped = true;
      return stop_reply(s);
    }
    spdlog::warn("monitor goto {}: {}", n, why);
  }
  if (monitor_.restart) {
    const uint64_t id = *monitor_.restart;
    monitor_.restart.reset();
    std::string why;
    if (target_.restore_place(id, why)) {
      Stop s = target_.current_stop();
      s.why = Stop::Why::kStep;
      s.jumped = true;
      return stop_reply(s);
    }
    spdlog::warn("monitor restart {}: {}", id, why);
  }
  if (monitor_.direction == Direction::kBackward)
    dir = dir == Direction::kForward ? Direction::kBackward : Direction::kForward;
  ResumeRequest req;
  req.direction = dir;
  req.mode = mode;
  req.cpu = cpu;
  req.interrupted = [this] {
    return shutdown_requested() || (connection_ && connection_->poll_interrupt());
  };
  return stop_reply(target_.resume(req));
}

// ---- handlers ----

std::string GdbServer::on_query_supported(std::string_view args) {
  swbreak_ = args.find("swbreak+") != std::string_view::npos;
  std::string r = "PacketSize=" + hex_u64(kMaxPacketBytes) +
                  ";QStartNoAckMode+;qXfer:features:read+;ReverseStep+;ReverseContinue+;vContSupported+";
  if (swbreak_) r += ";swbreak+";
  if (target_.auxv()) r += ";qXfer:auxv:read+";
  return r;
}

std::string GdbServer::on_start_no_ack(std::string_view) {
  no_ack_ = true;
  return "OK";
}

std::string GdbServer::on_stop_reason(std::string_view) { return stop_reply(target_.current_stop()); }

// gdb cannot stop in, list or select a thread whose PC it cannot read
// ("PC register is not available", then "No threads"). A CPU that logged
// no registers at this position is shown at pc 0, which no logged code
// occupies, and its thread name says that nothing was logged.
CpuRegisters GdbServer::registers_for_gdb(uint32_t cpu) {
  CpuRegisters regs = target_.registers(cpu);
  if (!regs.value[kRip]) regs.value[kRip] = 0;
  return regs;
}

std::string GdbServer::on_read_registers(std::string_view) {
  // lldb reads a `g` reply's `xx` (unavailable) as bytes 0xcc, all its
  // registers with them; refused, it reads them one by one with `p`.
  if (lldb_) return "E15";
  return encode_registers(target_.arch(), registers_for_gdb(selected(false)));
}

std::string GdbServer::on_read_register(std::string_view args) {
  auto n = parse_hex_u64(args);
  if (!n || *n > 0xffff) return std::string(kError);
  std::string r = encode_register(target_.arch(), registers_for_gdb(selected(false)),
                                  static_cast<uint32_t>(*n));
  // gdb reads `xx` as unavailable; lldb as a value, so it gets an error.
  if (lldb_ && !r.empty() && r[0] == 'x') return "E15";
  return r.empty() ? std::string(kError) : r;
}

std::string GdbServer::on_read_memory(std::string_view args) {
  uint64_t addr, len;
  if (!parse_addr_len(args, addr, len)) return std::string(kError);
  len = std::min<uint64_t>(len, kMaxPacketBytes / 2);
  if (len == 0) return {};
  std::string bytes = target_.read_memory(addr, len);
  if (bytes.empty()) return std::string(kError);
  return to_hex(bytes);
}

std::string GdbServer::on_xfer(std::string_view args) {
  // OBJECT:read:ANNEX:OFFSET,LENGTH
  size_t c1 = args.find(':');
  if (c1 == std::string_view::npos) return std::string(kError);
  std::string_view object = args.substr(0, c1), rest = args.substr(c1 + 1);
  if (!rest.starts_with("read:")) return {};
  rest.remove_prefix(5);
  size_t c2 = rest.find(':');
  if (c2 == std::string_view::npos) return std::string(kError);
  std::string_view annex = rest.substr(0, c2);
  uint64_t offset, length;
  if (!parse_addr_len(rest.substr(c2 + 1), offset, length)) return std::string(kError);
  if (object == "features") {
    if (annex != "target.xml") return "E00";
    return xfer_slice(target_xml(target_.arch()), offset, length);
  }
  if (object == "auxv") {
    auto auxv = target_.auxv();
    if (!auxv) return {};
    return xfer_slice(*auxv, offset, length);
  }
  return {};
}

std::string GdbServer::on_thread_first(std::string_view) {
  std::string r = "m";
  for (uint32_t cpu = 0; cpu < target_.cpu_count(); ++cpu) r += (cpu ? "," : "") + hex_u64(cpu + 1);
  return r;
}

std::string GdbServer::on_thread_next(std::string_view) { return "l"; }

std::string GdbServer::on_thread_extra(std::string_view args) {
  std::optional<uint32_t> cpu;
  bool all;
  if (!parse_thread(args, cpu, all) || !cpu) return std::string(kError);
  return to_hex(target_.thread_description(*cpu));
}

std::string GdbServer::on_current_thread(std::string_view) {
  return "QC" + hex_u64(selected(false) + 1);
}

std::string GdbServer::on_set_thread(std::string_view args) {
  if (args.empty() || (args[0] != 'g' && args[0] != 'c')) return std::string(kError);
  std::optional<uint32_t> cpu;
  bool all;
  if (!parse_thread(args.substr(1), cpu, all)) return std::string(kError);
  (args[0] == 'g' ? g_cpu_ : c_cpu_) = cpu;
  return "OK";
}

std::string GdbServer::on_thread_alive(std::string_view args) {
  std::optional<uint32_t> cpu;
  bool all;
  if (!parse_thread(args, cpu, all) || !cpu) return std::string(kError);
  return "OK";
}

std::string GdbServer::on_vcont_query(std::string_view) { return "vCont;c;C;s;S"; }

std::string GdbServer::on_vcont(std::string_view args) {
  // ACTION[:THREAD](;ACTION[:THREAD])*: a step action wins over continue.
  std::optional<ResumeMode> mode;
  std::optional<uint32_t> step_cpu;
  while (!args.empty()) {
    size_t semi = args.find(';');
    std::string_view action = args.substr(0, semi);
    args = semi == std::string_view::npos ? std::string_view{} : args.substr(semi + 1);
    if (action.empty()) return std::string(kError);
    std::string_view thread;
    if (size_t colon = action.find(':'); colon != std::string_view::npos) {
      thread = action.substr(colon + 1);
      action = action.substr(0, colon);
    }
    std::optional<uint32_t> cpu;
    bool all = true;
    if (!thread.empty() && !parse_thread(thread, cpu, all)) return std::string(kError);
    char a = action[0];
    if (a == 's' || a == 'S') {
      if (mode != ResumeMode::kStep) step_cpu = cpu;
      mode = ResumeMode::kStep;
    } else if (a == 'c' || a == 'C') {
      if (!mode) mode = ResumeMode::kContinue;
    } else {
      return std::string(kError);  // t, r: not offered by vCont?
    }
  }
  if (!mode) return std::string(kError);
  if (*mode == ResumeMode::kStep && !step_cpu) step_cpu = selected(true);
  return resume(Direction::kForward, *mode, step_cpu);
}

std::string GdbServer::on_continue(std::string_view) {
  return resume(Direction::kForward, ResumeMode::kContinue, std::nullopt);
}

std::string GdbServer::on_step(std::string_view) {
  return resume(Direction::kForward, ResumeMode::kStep, selected(true));
}

std::string GdbServer::on_reverse_continue(std::string_view) {
  return resume(Direction::kBackward, ResumeMode::kContinue, std::nullopt);
}

std::string GdbServer::on_reverse_step(std::string_view) {
  return resume(Direction::kBackward, ResumeMode::kStep, selected(true));
}

// Z/z TYPE,ADDR,KIND: 0 and 1 are breakpoints (KIND the instruction
// size), 2/3/4 write/read/access watchpoints (KIND the length). Condition
// lists after ';' are not offered, and stripped.
namespace {
struct PointArgs {
  char type;
  uint64_t addr, kind;
};
std::optional<PointArgs> parse_point(std::string_view args) {
  if (args.size() < 2 || args[1] != ',') return std::nullopt;
  PointArgs p{args[0], 0, 0};
  std::string_view rest = args.substr(2);
  if (!parse_addr_len(rest.substr(0, rest.find(';')), p.addr, p.kind)) return std::nullopt;
  return p;
}
std::optional<WatchKind> watch_kind(char type) {
  switch (type) {
    case '2': return WatchKind::kWrite;
    case '3': return WatchKind::kRead;
    case '4': return WatchKind::kAccess;
    default: return std::nullopt;
  }
}
}  // namespace

std::string GdbServer::on_insert_point(std::string_view args) {
  auto p = parse_point(args);
  if (!p) return std::string(kError);
  if (p->type == '0' || p->type == '1')
    return target_.insert_breakpoint(p->addr) ? "OK" : std::string(kError);
  auto kind = watch_kind(p->type);
  if (!kind) return {};
  if (p->kind == 0) return std::string(kError);
  return target_.insert_watchpoint(*kind, p->addr, p->kind) ? "OK" : "";
}

std::string GdbServer::on_remove_point(std::string_view args) {
  auto p = parse_point(args);
  if (!p) return std::string(kError);
  if (p->type == '0' || p->type == '1') {
    target_.remove_breakpoint(p->addr);
    return "OK";
  }
  auto kind = watch_kind(p->type);
  if (!kind) return {};
  return target_.remove_watchpoint(*kind, p->addr, p->kind) ? "OK" : "";
}

std::string GdbServer::on_attached(std::string_view) { return "1"; }

std::string GdbServer::on_detach(std::string_view) {
  done_ = true;
  return "OK";
}

// gdb sends `k` and expects nothing; lldb waits for the exit status
// (X, as lldb-server answers), which gdb never reads: it closes first.
std::string GdbServer::on_kill(std::string_view) {
  done_ = true;
  killed_ = true;
  return "X09";
}

std::string GdbServer::on_monitor(std::string_view args) {
  auto line = from_hex(args);
  if (!line) return std::string(kError);
  std::string text = run_monitor(target_, monitor_, *line);
  // lldb prints a monitor reply as it came (`process plugin packet
  // monitor CMD`): plain text reads better there than gdb's hex.
  return lldb_ ? text : to_hex(text);
}

std::string GdbServer::on_offsets(std::string_view) {
  auto off = target_.executable_offset();
  if (!off) return {};
  std::string h = hex_u64(*off);
  return "Text=" + h + ";Data=" + h + ";Bss=" + h;
}

std::string GdbServer::on_symbol(std::string_view) { return "OK"; }

// ---- lldb ----

namespace {
std::string triple(Arch arch) {
  return to_hex(arch == Arch::kX86_64 ? "x86_64-pc-linux-gnu" : "i386-pc-linux-gnu");
}
}  // namespace

std::string GdbServer::on_host_info(std::string_view) {
  lldb_ = true;
  const bool wide = target_.arch() == Arch::kX86_64;
  // x86 debug registers report a data access after the instruction.
  return "triple:" + triple(target_.arch()) + ";ptrsize:" + (wide ? "8" : "4") +
         ";endian:little;ostype:linux;vendor:pc;watchpoint_exceptions_received:after;";
}

std::string GdbServer::on_process_info(std::string_view) {
  lldb_ = true;
  return "pid:1;parent-pid:1;triple:" + triple(target_.arch()) + ";ostype:linux;endian:little;ptrsize:" +
         (target_.arch() == Arch::kX86_64 ? "8" : "4") + ";";
}

std::string GdbServer::on_thread_suffix(std::string_view) {
  lldb_ = true;
  thread_suffix_ = true;
  return "OK";
}

std::string GdbServer::on_watchpoint_info(std::string_view) { return "num:4;"; }

// qThreadStopInfoN: why thread N stopped; only the stopping thread has a
// reason, the others were merely stopped with it.
std::string GdbServer::on_thread_stop_info(std::string_view args) {
  std::optional<uint32_t> cpu;
  bool all;
  if (!parse_thread(args, cpu, all) || !cpu) return std::string(kError);
  if (*cpu == last_stop_cpu_) return format_stop(target_.current_stop());
  return "T00thread:" + hex_u64(*cpu + 1) + ";";
}

std::string GdbServer::on_list_threads_in_stop_reply(std::string_view) {
  threads_in_stop_ = true;
  return "OK";
}

std::string GdbServer::on_enable_error_strings(std::string_view) { return "OK"; }

}  // namespace nestrr::gdbstub
