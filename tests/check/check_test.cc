// The state checker on small logs written record by record: the stale
// VMCS02 field of the incomplete EPT01 flush is found with its causes, and a
// complete flush is clean.
#include <gtest/gtest.h>

#include <sstream>

#include "nestrr/check/check.h"
#include "nestrr/eventlog/writer.h"

namespace {

namespace el = nestrr::eventlog;
using nestrr::v1::Record;

// Records of one CPU, each 100 ticks after the previous.
struct Cpu {
  std::vector<Record> recs;
  Record& add() {
    recs.emplace_back();
    recs.back().set_dt(100);
    return recs.back();
  }
};

Record& translation(Cpu& c, uint64_t gpa, uint64_t hpa) {
  Record& r = c.add();
  auto* f = r.mutable_vmcs02_translation()->add_field();
  f->set_encoding(0x2000);  // I/O bitmap A
  f->set_gpa(gpa);
  f->set_hpa(hpa);
  return r;
}

// As the core logs an exit from L2: the mode goes back to root first.
void l2_exit(Cpu& c) {
  auto* m = c.add().mutable_vmx_mode_change();
  m->set_old_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  m->set_new_mode(nestrr::v1::VMX_MODE_ROOT);
  auto* e = c.add().mutable_vm_exit();
  e->set_reason(30);
  e->set_from_l2(true);
}

// L0 handles an EPT-violation exit of L2 itself and resumes L2.
void l0_resume(Cpu& c) {
  auto* e = c.add().mutable_vm_exit();
  e->set_reason(48);
  e->set_from_l2(true);
  c.add().mutable_vm_entry()->set_to_l2(true);
}

void l2_entry(Cpu& c) {
  auto* m = c.add().mutable_vmx_mode_change();
  m->set_old_mode(nestrr::v1::VMX_MODE_ROOT);
  m->set_new_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  c.add().mutable_vm_entry()->set_to_l2(true);
}

el::Log write(const std::vector<std::pair<uint64_t, Cpu>>& cpus) {
  std::ostringstream out;
  el::StreamWriter w(out);
  nestrr::v1::Header h;
  h.set_format_version(2);
  h.set_cpu_count(static_cast<uint32_t>(cpus.size()));
  w.header(h);
  for (uint32_t i = 0; i < cpus.size(); i++) w.chunk(i, 0, cpus[i].first, cpus[i].second.recs);
  std::istringstream in(out.str());
  return el::read_log(in);
}

// CPU 0 runs L2 with I/O bitmap A at gpa 0x5000 -> 0x5000. CPU 1 remaps
// that page (a PAL isolating it) at tick ~1000; CPU 0 flushes, maybe
// re-translates, and exits from L2 at tick ~2000.
nestrr::check::CheckReport scenario(bool rewalk) {
  Cpu c0, c1;
  translation(c0, 0x5000, 0x5000);
  auto* m = c0.add().mutable_vmx_mode_change();
  m->set_old_mode(nestrr::v1::VMX_MODE_ROOT);
  m->set_new_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  auto* ch = c1.add().mutable_ept01_change();
  ch->set_gpa(0x5000);
  ch->set_size(4096);
  ch->set_hpa(0x80000);
  ch->set_permissions(7);
  // As the core logs a flush: the re-walk's translation, then the flush.
  if (rewalk) translation(c0, 0x5000, 0x80000);
  auto* fl = c0.add().mutable_ept_flush();
  fl->set_flags(rewalk ? 3 : 1);
  fl->set_origin(nestrr::v1::EptFlush::ORIGIN_QUIESCE_NMI);
  l0_resume(c0);  // L0 handles an EPT02 miss and resumes L2: checked here
  l0_resume(c0);  // reported once, not at every later entry
  l2_exit(c0);
  // CPU 0's records sit at 1000+, CPU 1's change at 900.
  el::Log log = write({{900, c0}, {800, c1}});
  el::Timeline t = el::merge(log);
  return nestrr::check::check_log(log, t);
}

// CPU 0 writes: translation, mode change, flush, then L0's exit and entry (index 4).
bool log_at_is_l0_resume(const nestrr::check::Violation& v) { return v.at.stream == 0 && v.at.index == 4; }

TEST(Check, IncompleteFlushLeavesAStaleFieldWithItsCauses) {
  auto report = scenario(false);
  ASSERT_EQ(report.violations.size(), 1u);
  const auto& v = report.violations[0];
  EXPECT_EQ(v.invariant, "vmcs02-gpa-fields-match-ept01");
  EXPECT_NE(v.message.find("Address of I/O bitmap A (0x2000) = 0x5000"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("to 0x80000"), std::string::npos) << v.message;
  // Found at L0's resume of L2; causes: translation, EPT01 change, the flush.
  EXPECT_TRUE(log_at_is_l0_resume(v));
  ASSERT_EQ(v.causes.size(), 3u);
  EXPECT_NE(v.cause_notes[0].find("last translation"), std::string::npos);
  EXPECT_NE(v.cause_notes[1].find("EPT01 change"), std::string::npos);
  EXPECT_NE(v.cause_notes[2].find("did not re-walk"), std::string::npos) << v.cause_notes[2];
}

TEST(Check, CompleteFlushIsClean) {
  auto report = scenario(true);
  EXPECT_TRUE(report.clean());
  EXPECT_GT(report.checks, 0u);
}

// An EPT01 change after the CPU left L2 needs no re-walk: the next VM
// entry rebuilds VMCS02 anyway.
TEST(Check, ChangeWhileInL1IsNotAViolation) {
  Cpu c0, c1;
  translation(c0, 0x5000, 0x5000);
  auto* m = c0.add().mutable_vmx_mode_change();
  m->set_old_mode(nestrr::v1::VMX_MODE_ROOT);
  m->set_new_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  l2_exit(c0);  // ticks ~1100-1200, before CPU 1's change at ~1300
  auto* ch = c1.add().mutable_ept01_change();
  ch->set_gpa(0x5000);
  ch->set_size(4096);
  ch->set_hpa(0x80000);
  ch->set_permissions(7);
  c0.add().mutable_ept_flush()->set_flags(1);
  el::Log log = write({{1000, c0}, {1200, c1}});
  auto report = nestrr::check::check_log(log, el::merge(log));
  EXPECT_TRUE(report.clean()) << nestrr::check::format_report(log, report);
}

TEST(Check, ModeChangesMustChain) {
  Cpu c0;
  auto* a = c0.add().mutable_vmx_mode_change();
  a->set_old_mode(nestrr::v1::VMX_MODE_DISABLED);
  a->set_new_mode(nestrr::v1::VMX_MODE_ROOT);
  auto* b = c0.add().mutable_vmx_mode_change();
  b->set_old_mode(nestrr::v1::VMX_MODE_DISABLED);  // but it was ROOT
  b->set_new_mode(nestrr::v1::VMX_MODE_NON_ROOT);
  el::Log log = write({{0, c0}});
  auto report = nestrr::check::check_log(log, el::merge(log));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].invariant, "vmx-mode-changes-chain");
}

TEST(Check, L2EntryNeedsACurrentVmcs12) {
  Cpu c0;
  c0.add().mutable_vmcs12_load()->set_vmcs12_gpa(0x7000);
  c0.add().mutable_vmcs12_clear()->set_vmcs12_gpa(0x7000);
  c0.add().mutable_vm_entry()->set_to_l2(true);
  el::Log log = write({{0, c0}});
  auto report = nestrr::check::check_log(log, el::merge(log));
  ASSERT_EQ(report.violations.size(), 1u);
  EXPECT_EQ(report.violations[0].invariant, "l2-entry-has-current-vmcs12");
  std::string text = nestrr::check::format_report(log, report);
  EXPECT_NE(text.find("1 violation"), std::string::npos) << text;
}

}  // namespace
