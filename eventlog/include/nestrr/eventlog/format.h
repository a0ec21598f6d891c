// Human-readable and JSON-lines forms of events, event filters, and the
// `info` summary of a whole log.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "nestrr/eventlog/log.h"
#include "nestrr/eventlog/merge.h"

namespace nestrr::eventlog {

// Time base for printing: TSC of the first event and the TSC rate.
struct TimeBase {
  uint64_t tsc0 = 0;
  uint64_t tsc_hz = 0;  // 0: print ticks
};
// First event's TSC (earliest over all CPUs) and the header's rate.
TimeBase time_base(const Log& log);
// Microseconds since base.tsc0 (ticks if the rate is unknown).
double relative_us(uint64_t tsc, const TimeBase& base);

// Names an address in the hypervisor's code, e.g. "handle_vmxon+631
// vmx.c:123"; empty if it cannot. `return_address`: the address follows a
// call (an assertion's RIP), so its line is that of the call.
using CodeNamer = std::function<std::string(uint64_t address, bool return_address)>;

// "  12.345us cpu1 #42 vm_exit reason=10(CPUID) rip=0x1234 qual=0 from_l2=1"
// With a namer, hypervisor code addresses (an NMI's interrupted RIP, an
// assertion's RIP) get " <name>" after them; guest RIPs of VM exits are
// another address space and stay bare.
std::string format_event(const Event& event, const TimeBase& base, const CodeNamer& namer = {});
// {"cpu":1,"seq":42,"tsc":...,"time_us":...,"offset":...,"kind":"vm_exit",
//  "guest_rip":...,"record":{...protobuf JSON...}}
// With a namer, the hypervisor code addresses of the record it can name
// (an NMI's interrupted RIP; an assertion's RIP, register RIP and return
// addresses) are added as "symbols":{"0x1234":"handle_vmxon+631 vmx.c:123"}.
std::string format_json_line(const Event& event, const TimeBase& base, const CodeNamer& namer = {});

struct Filter {
  std::set<uint32_t> cpus;         // empty: all
  std::set<std::string> kinds;     // schema names, e.g. "vm_exit"; empty: all
  std::optional<uint64_t> tsc_min, tsc_max;        // inclusive
  std::optional<double> time_min_us, time_max_us;  // relative to TimeBase
  bool matches(const Event& event, const TimeBase& base) const;
};

// Multi-line summary: header, counts per kind and per CPU, loss, damage,
// warnings, and (if given) the merge's causal findings. With a namer, also
// where each assertion failed.
std::string format_info(const Log& log, const Timeline* timeline = nullptr, const CodeNamer& namer = {});
// The same from a summary read in bounded memory (summary.h): the same text
// as the whole read's when its late_records is 0.
struct LogSummary;
std::string format_info(const LogSummary& summary, const CodeNamer& namer = {});
// The parts either read gives: the log's counts, its records' tally, the
// causal edges' statistics (null: not shown).
struct RecordTally;
std::string format_info(const Log& log, const RecordTally& tally, const MergeStats* causal,
                        const CodeNamer& namer = {});

}  // namespace nestrr::eventlog
