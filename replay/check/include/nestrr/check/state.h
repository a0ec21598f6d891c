// The state the checker rebuilds from a log: EPT01 as the log changed it,
// and per CPU the VMX mode, the current VMCS12 and VMCS02's address fields.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::check {

inline constexpr uint64_t kPage = 4096;

struct Ept01Page {
  uint64_t hpa = 0;          // page address
  uint32_t permissions = 0;  // 0: unmapped
  eventlog::EventRef changed_by;
};

struct GpaField {
  uint64_t gpa = 0;
  uint64_t hpa = 0;
  eventlog::EventRef translated_at;
};

struct CpuState {
  std::optional<nestrr::v1::VmxMode> mode;   // unknown until the first change
  std::optional<uint64_t> current_vmcs12;    // gpa; nullopt: none or unknown
  bool vmcs12_known = false;                 // a load or clear was seen
  std::map<uint32_t, GpaField> fields;       // by VMCS encoding
  bool fields_known = false;                 // a translation was seen
  std::vector<eventlog::EventRef> flushes;   // EPT flushes since the last translation
  eventlog::EventRef mode_changed_by;        // the last mode change (when `mode` is set)
  eventlog::EventRef vmcs12_changed_by;      // the last load or clear that set current_vmcs12
};

struct MachineState {
  std::map<uint64_t, Ept01Page> ept01;  // by gpa page; absent: never changed in the log
  std::map<uint32_t, CpuState> cpus;

  // EPT01 translation of gpa as the log knows it; nullopt if its page was
  // never changed in the log (then the last translation is the reference).
  std::optional<uint64_t> translate(uint64_t gpa, const Ept01Page** page) const;
};

}  // namespace nestrr::check
