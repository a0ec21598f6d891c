// The checker under loss: a clean recording damaged at random bytes, 600
// times over, must never yield a "violated" outcome (a finding that lost
// records could explain is "unknown", with the loss named), while the
// damage does make the old reading of those logs find things. Hand-written
// logs show each invariant's three outcomes.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <sstream>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/writer.h"
#include "nestrr/replay/recorder.h"

namespace {

namespace el = nestrr::eventlog;
namespace ck = nestrr::check;
using nestrr::v1::Record;

el::Log read(const std::string& bytes) {
  std::istringstream in(bytes);
  return el::read_log(in);
}

// The fixed core with a CPU that moves L1's pages: EPT01 changes, flushes,
// re-walks, mode changes, VMCS12 loads: every invariant is evaluated.
const std::string& clean_recording() {
  static const std::string bytes = [] {
    nestrr::replay::RecordOptions opts;
    opts.scenario.variant = CORE_VARIANT_FIXED;
    opts.scenario.workload = {CORE_WORKLOAD_L1, CORE_WORKLOAD_REMAP};
    opts.scenario.iterations = 40;
    opts.time_limit = std::chrono::seconds(20);
    std::ostringstream out;
    nestrr::replay::record(opts, out);
    return out.str();
  }();
  return bytes;
}

TEST(CheckUnderLoss, DamagedCleanLogsAreNeverViolated) {
  const std::string& clean = clean_recording();
  el::Log whole = read(clean);
  ASSERT_TRUE(whole.stats.clean());
  ck::CheckReport base = ck::check_log(whole, el::merge(whole));
  ASSERT_EQ(base.outcome(), ck::Outcome::kHolds) << ck::format_report(whole, base);
  for (const auto& o : base.outcomes) EXPECT_GT(o.checks, 0u) << o.invariant;

  std::mt19937_64 rng(15);
  int logs = 0, lossy = 0, explained = 0;
  for (int i = 0; i < 600; ++i) {
    std::string bytes = clean;
    const int hits = 1 + static_cast<int>(rng() % 3);
    for (int h = 0; h < hits; ++h) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    el::Log log = read(bytes);
    ck::CheckReport r = ck::check_log(log, el::merge(log));
    ++logs;
    if (!log.stats.clean()) ++lossy;
    if (!r.unknown.empty()) ++explained;
    // The claim: no "violated" from loss.
    ASSERT_TRUE(r.violations.empty()) << "damaged log " << i << ":\n" << ck::format_report(log, r);
    ASSERT_NE(r.outcome(), ck::Outcome::kViolated);
    // Loss is never called "holds".
    if (!log.stats.clean()) {
      EXPECT_EQ(r.outcome(), ck::Outcome::kUnknown) << i;
    }
    for (const auto& v : r.unknown) EXPECT_TRUE(!v.doubts.empty() || v.doubt_unlocated);
  }
  std::cout << logs << " damaged copies of a " << clean.size() << "-byte log of " << whole.event_count()
            << " records: " << logs << " damaged logs, " << lossy << " with loss, " << explained
            << " with findings that the loss explains\n";
  EXPECT_GE(logs, 500);
  EXPECT_GT(lossy, logs / 2);
  // The damage does produce findings: without the loss accounting they
  // would have been violations.
  EXPECT_GT(explained, 10);
}

// Records of one CPU, each 100 ticks after the previous.
struct Cpu {
  std::vector<Record> recs;
  Record& add() {
    recs.emplace_back();
    recs.back().set_dt(100);
    return recs.back();
  }
  void mode(nestrr::v1::VmxMode from, nestrr::v1::VmxMode to) {
    auto* m = add().mutable_vmx_mode_change();
    m->set_old_mode(from);
    m->set_new_mode(to);
  }
};

// Writes the CPUs' records as one chunk each, skipping the seqs in `lost`
// of CPU 0 (as a lost frame would), with trailers.
el::Log write(const std::vector<Cpu>& cpus, std::vector<uint64_t> lost = {}) {
  std::ostringstream out;
  el::StreamWriter w(out);
  nestrr::v1::Header h;
  h.set_format_version(3);
  h.set_cpu_count(static_cast<uint32_t>(cpus.size()));
  h.set_sink(nestrr::v1::Header::SINK_STREAM);
  w.header(h);
  for (uint32_t c = 0; c < cpus.size(); ++c) {
    const auto& recs = cpus[c].recs;
    size_t start = 0;
    // TSC before record i: the chunk after a skipped record starts there.
    std::vector<uint64_t> tsc_before(recs.size() + 1, 1000 * c);
    for (size_t i = 0; i < recs.size(); ++i) tsc_before[i + 1] = tsc_before[i] + static_cast<uint64_t>(recs[i].dt());
    for (size_t i = 0; i <= recs.size(); ++i) {
      const bool skip = c == 0 && std::find(lost.begin(), lost.end(), i) != lost.end();
      if (i == recs.size() || skip) {
        if (i > start)
          w.chunk(c, start, tsc_before[start],
                  std::vector<Record>(recs.begin() + static_cast<long>(start), recs.begin() + static_cast<long>(i)));
        start = i + 1;
      }
    }
    w.trailer(c, recs.size());
  }
  return read(out.str());
}

TEST(CheckUnderLoss, ModeChainHoldsBreaksOrIsUnknown) {
  using nestrr::v1::VMX_MODE_DISABLED;
  using nestrr::v1::VMX_MODE_NON_ROOT;
  using nestrr::v1::VMX_MODE_ROOT;
  Cpu c;
  c.mode(VMX_MODE_DISABLED, VMX_MODE_ROOT);      // #0
  c.mode(VMX_MODE_ROOT, VMX_MODE_NON_ROOT);      // #1
  c.mode(VMX_MODE_NON_ROOT, VMX_MODE_ROOT);      // #2
  c.add().mutable_vm_exit()->set_reason(10);     // #3
  el::Log whole = write({c});
  ck::CheckReport r = ck::check_log(whole, el::merge(whole));
  EXPECT_EQ(r.outcome(), ck::Outcome::kHolds) << ck::format_report(whole, r);

  // #1 lost: #2 says it leaves NON_ROOT, the log last saw ROOT. Unknown,
  // with the lost range that explains it.
  el::Log lossy = write({c}, {1});
  r = ck::check_log(lossy, el::merge(lossy));
  EXPECT_TRUE(r.violations.empty());
  ASSERT_EQ(r.unknown.size(), 1u) << ck::format_report(lossy, r);
  EXPECT_EQ(r.unknown[0].invariant, "vmx-mode-changes-chain");
  ASSERT_EQ(r.unknown[0].doubts.size(), 1u);
  EXPECT_NE(r.lost[r.unknown[0].doubts[0]].what.find("cpu0 #1 to #1"), std::string::npos)
      << r.lost[r.unknown[0].doubts[0]].what;
  EXPECT_EQ(r.outcome(), ck::Outcome::kUnknown);
  const std::string text = ck::format_report(lossy, r);
  EXPECT_NE(text.find("vmx-mode-changes-chain: unknown"), std::string::npos) << text;
  EXPECT_NE(text.find("unless a record was lost in: cpu0 #1 to #1"), std::string::npos) << text;

  // A real break far from the loss is a violation whatever was lost.
  Cpu broken = c;
  broken.mode(VMX_MODE_DISABLED, VMX_MODE_ROOT);  // #4: but it was ROOT
  el::Log both = write({broken}, {1});
  r = ck::check_log(both, el::merge(both));
  ASSERT_EQ(r.violations.size(), 1u) << ck::format_report(both, r);
  EXPECT_EQ(r.violations[0].invariant, "vmx-mode-changes-chain");
  EXPECT_EQ(r.outcome(), ck::Outcome::kViolated);
}

TEST(CheckUnderLoss, LostVmptrldMakesAnEntryUnknown) {
  Cpu c;
  c.add().mutable_vmcs12_load()->set_vmcs12_gpa(0x7000);   // #0
  c.add().mutable_vmcs12_clear()->set_vmcs12_gpa(0x7000);  // #1
  c.add().mutable_vmcs12_load()->set_vmcs12_gpa(0x8000);   // #2
  c.add().mutable_vm_entry()->set_to_l2(true);             // #3
  el::Log whole = write({c});
  EXPECT_EQ(ck::check_log(whole, el::merge(whole)).outcome(), ck::Outcome::kHolds);
  el::Log lossy = write({c}, {2});
  ck::CheckReport r = ck::check_log(lossy, el::merge(lossy));
  EXPECT_TRUE(r.violations.empty());
  ASSERT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(r.unknown[0].invariant, "l2-entry-has-current-vmcs12");
}

// CPU 1 moves a page, CPU 0 re-translates its field, then enters L2. The
// re-translation lost: unknown, not a stale field.
TEST(CheckUnderLoss, LostRetranslationMakesAStaleFieldUnknown) {
  Cpu c0, c1;
  auto translate = [](Cpu& c, uint64_t hpa) {
    auto* f = c.add().mutable_vmcs02_translation()->add_field();
    f->set_encoding(0x2000);
    f->set_gpa(0x5000);
    f->set_hpa(hpa);
  };
  translate(c0, 0x5000);                                       // #0 at 100
  c0.mode(nestrr::v1::VMX_MODE_ROOT, nestrr::v1::VMX_MODE_NON_ROOT);  // #1
  c0.add().set_dt(1000);                                       // #2: a gap in time
  c0.recs.back().mutable_ept_flush()->set_flags(3);
  translate(c0, 0x80000);                                      // #3: the re-walk
  c0.add().mutable_vm_entry()->set_to_l2(true);                // #4
  auto* ch = c1.add().mutable_ept01_change();                  // cpu1 at ~1100
  ch->set_gpa(0x5000);
  ch->set_size(4096);
  ch->set_hpa(0x80000);
  ch->set_permissions(7);
  el::Log whole = write({c0, c1});
  ck::CheckReport r = ck::check_log(whole, el::merge(whole));
  EXPECT_EQ(r.outcome(), ck::Outcome::kHolds) << ck::format_report(whole, r);
  el::Log lossy = write({c0, c1}, {3});
  r = ck::check_log(lossy, el::merge(lossy));
  EXPECT_TRUE(r.violations.empty()) << ck::format_report(lossy, r);
  ASSERT_EQ(r.unknown.size(), 1u) << ck::format_report(lossy, r);
  EXPECT_EQ(r.unknown[0].invariant, "vmcs02-gpa-fields-match-ept01");
}

}  // namespace
