// The gdbserver: applies a client's packets to a Target. Each packet kind
// is one entry of a table (prefix, handler); what is not in the table gets
// the empty reply, malformed parameters get `E..`. Threads are CPUs:
// gdb thread N is CPU N-1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nestrr/gdbstub/connection.h"
#include "nestrr/gdbstub/monitor.h"
#include "nestrr/gdbstub/target.h"

namespace nestrr::gdbstub {

class GdbServer {
 public:
  explicit GdbServer(Target& target) : target_(target) {}

  // Serves one client until it detaches, kills, or goes away.
  void serve(Connection& connection);

  // One packet's reply, without the wire (tests, the fuzz target). Sets
  // done() after `D` or `k`. `no_reply` is set when nothing must be sent.
  std::string handle(std::string_view packet, bool& no_reply);
  bool done() const { return done_; }
  // The last client ended the session with `k` (kill), not `D` (detach)
  // or by going away: a server that keeps listening stops on this.
  bool killed() const { return killed_; }
  bool no_ack_requested() const { return no_ack_; }

  // Handlers (the table in server.cc names them).
  std::string on_query_supported(std::string_view args);
  std::string on_start_no_ack(std::string_view args);
  std::string on_stop_reason(std::string_view args);
  std::string on_read_registers(std::string_view args);
  std::string on_read_register(std::string_view args);
  std::string on_read_memory(std::string_view args);
  std::string on_xfer(std::string_view args);
  std::string on_thread_first(std::string_view args);
  std::string on_thread_next(std::string_view args);
  std::string on_thread_extra(std::string_view args);
  std::string on_current_thread(std::string_view args);
  std::string on_set_thread(std::string_view args);
  std::string on_thread_alive(std::string_view args);
  std::string on_vcont_query(std::string_view args);
  std::string on_vcont(std::string_view args);
  std::string on_continue(std::string_view args);
  std::string on_step(std::string_view args);
  std::string on_reverse_continue(std::string_view args);
  std::string on_reverse_step(std::string_view args);
  std::string on_insert_point(std::string_view args);  // Z: breakpoints and watchpoints
  std::string on_remove_point(std::string_view args);
  std::string on_attached(std::string_view args);
  std::string on_detach(std::string_view args);
  std::string on_kill(std::string_view args);
  std::string on_monitor(std::string_view args);
  std::string on_offsets(std::string_view args);
  std::string on_symbol(std::string_view args);
  // lldb's dialect.
  std::string on_host_info(std::string_view args);
  std::string on_process_info(std::string_view args);
  std::string on_thread_suffix(std::string_view args);
  std::string on_watchpoint_info(std::string_view args);
  std::string on_thread_stop_info(std::string_view args);
  std::string on_list_threads_in_stop_reply(std::string_view args);
  std::string on_enable_error_strings(std::string_view args);

 private:
  // The stop reply, and the thread selections it resets.
  std::string stop_reply(const Stop& stop);
  std::string format_stop(const Stop& stop);
  std::string resume(Direction dir, ResumeMode mode, std::optional<uint32_t> cpu);
  // "N" (hex thread id), -1 or 0: which CPU, if any one.
  bool parse_thread(std::string_view s, std::optional<uint32_t>& cpu, bool& all);
  uint32_t selected(bool for_step) const;
  CpuRegisters registers_for_gdb(uint32_t cpu);

  Target& target_;
  Connection* connection_ = nullptr;
  std::optional<uint32_t> g_cpu_, c_cpu_;
  uint32_t last_stop_cpu_ = 0;
  bool done_ = false, killed_ = false, no_ack_ = false, no_reply_ = false;
  bool swbreak_ = false;  // the client understands the swbreak stop reason
  // lldb: a `;thread:N;` suffix names the thread of g/p/G/P; unknown
  // registers are an error reply (it reads gdb's `xx` as the byte 0xcc);
  // stop replies list the threads.
  bool thread_suffix_ = false, lldb_ = false, threads_in_stop_ = false;
  MonitorState monitor_;
};

}  // namespace nestrr::gdbstub
