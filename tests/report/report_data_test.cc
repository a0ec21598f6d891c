// What the HTML report shows, checked on the data it is drawn from: the
// VMXON race recorded on threads (replayed for the interleaving and the
// stack) and the incomplete EPT01 flush (interleaving and state from the
// log alone), plus the page's embedding of that data.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "nestrr/report/html_report.h"
#include "nestrr/report/report_data.h"
#include "nestrr/replay/recorder.h"

namespace {

namespace el = nestrr::eventlog;
namespace rp = nestrr::report;

el::Log record_log(core_variant variant, std::vector<core_workload_kind> workloads, uint64_t iterations,
                   std::string widen) {
  nestrr::replay::RecordOptions o;
  o.scenario = nestrr::replay::default_scenario(variant, 2, iterations);
  if (!workloads.empty()) o.scenario.workload = workloads;
  o.scenario.seed = 7;
  o.scenario.options.push_back("widen=" + widen);
  o.time_limit = std::chrono::milliseconds(20000);
  o.ring_bytes = 1u << 20;
  std::ostringstream out;
  nestrr::replay::record(o, out);
  std::istringstream in(out.str());
  return el::read_log(in);
}

bool has_row(const rp::Failure& f, const std::string& role, const std::string& text) {
  return std::any_of(f.interleaving.begin(), f.interleaving.end(), [&](const rp::InterleavingRow& r) {
    return r.role == role && r.text.find(text) != std::string::npos;
  });
}

TEST(ReportData, VmxonRaceIsReplayedWithStackAndListing) {
  el::Log log = record_log(CORE_VARIANT_VMXON_TWO_FLAGS, {}, 0, "vmxon:20000");
  rp::ReportData d = rp::gather_report(log, {});
  ASSERT_EQ(d.cpus.size(), 2u);
  EXPECT_EQ(d.events.t.size(), log.event_count());
  EXPECT_TRUE(std::is_sorted(d.events.t.begin(), d.events.t.end()));
  // Field texts come back whole from their shapes and numbers.
  ASSERT_EQ(d.events.arg_start.size(), d.events.t.size() + 1);
  for (size_t i = 0; i < d.events.t.size(); i++) {
    const std::string f = d.events.fields(i);
    ASSERT_EQ(f.find('\x01'), std::string::npos) << i;
    if (d.kinds[d.events.kind[i]] == "nmi_received") {
      EXPECT_NE(f.find("token="), std::string::npos) << f;
    }
  }
  ASSERT_FALSE(d.nmis.empty());
  for (const auto& n : d.nmis) {
    EXPECT_EQ(d.kinds[d.events.kind[n.from]], "nmi_sent");
    EXPECT_EQ(d.kinds[d.events.kind[n.to]], "nmi_received");
  }
  ASSERT_TRUE(d.failure);
  const rp::Failure& f = *d.failure;
  EXPECT_EQ(f.kind, "assertion");
  EXPECT_NE(f.title.find("cpu_has_current_vmcs12"), std::string::npos) << f.title;
  ASSERT_TRUE(f.event);
  EXPECT_EQ(d.kinds[d.events.kind[*f.event]], "assertion_failure");
  EXPECT_TRUE(d.summary.replayed) << d.summary.replay_outcome;
  EXPECT_EQ(f.interleaving_source, "replay");
  EXPECT_TRUE(has_row(f, "nmi", "is_vmx_operation")) << "no NMI row between the two stores";
  EXPECT_TRUE(has_row(f, "assertion", "cpu_has_current_vmcs12"));
  auto frame = [&](const std::string& fn) {
    return std::any_of(f.stack.begin(), f.stack.end(),
                       [&](const rp::StackFrameRow& s) { return s.function.rfind(fn, 0) == 0; });
  };
  EXPECT_TRUE(frame("handle_vmxon"));
  EXPECT_TRUE(frame("find_current_vmcs12"));
  EXPECT_TRUE(std::any_of(f.listing.begin(), f.listing.end(),
                          [](const std::string& l) { return l.rfind("->", 0) == 0; }))
      << f.listing_note;
  // The failing CPU's mode is known at the failure.
  const auto& states = d.states[f.lane];
  ASSERT_FALSE(states.empty());
  EXPECT_LE(states.front().at, *f.event);

  // The page: template, data and script, nothing fetched.
  std::ostringstream html;
  rp::write_html_report(html, d);
  const std::string page = html.str();
  // The data: gzip ("H4sI" is its magic number in base64) of the JSON.
  EXPECT_NE(page.find("data-encoding=\"gzip+base64\">H4sI"), std::string::npos);
  std::ostringstream json;
  rp::write_report_json(json, d);
  EXPECT_EQ(json.str().rfind("{\"format\":1,", 0), 0u);
  EXPECT_EQ(json.str().find('<'), std::string::npos) << "'<' is escaped in strings";
  EXPECT_EQ(page.find("@NESTRR_"), std::string::npos);
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "@import", "fetch(", "XMLHttpRequest"})
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  // Data strings cannot end the data element early.
  const size_t data_at = page.find("nestrr-data");
  EXPECT_EQ(page.find("</script>", data_at), page.find("</script>\n<script>", data_at));
}

TEST(ReportData, IncompleteFlushShowsCausesAndStaleState) {
  const std::string widen = std::to_string(CORE_POINT_EPT02_FILL) + ":20000";
  std::optional<rp::ReportData> found;
  for (int run = 0; run < 10 && !found; run++) {
    el::Log log = record_log(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, {CORE_WORKLOAD_L1, CORE_WORKLOAD_REMAP}, 100, widen);
    rp::ReportData d = rp::gather_report(log, {});
    if (!d.violations.empty()) found = std::move(d);
  }
  ASSERT_TRUE(found) << "no stale field in 10 recordings";
  const rp::ReportData& d = *found;
  ASSERT_TRUE(d.failure);
  const rp::Failure& f = *d.failure;
  EXPECT_EQ(f.kind, "invariant");
  EXPECT_EQ(f.interleaving_source, "log");
  EXPECT_TRUE(has_row(f, "cause", "ept01_change")) << "the EPT01 change is not in the interleaving";
  EXPECT_TRUE(has_row(f, "cause", "ept_flush")) << "the flush is not in the interleaving";
  EXPECT_TRUE(has_row(f, "failure", "vm_entry"));
  EXPECT_TRUE(f.stack.empty());
  EXPECT_FALSE(f.stack_note.empty());
  // At the failure, the failing CPU's VMCS02 has a stale address field.
  const auto& states = d.states[f.lane];
  auto it = std::upper_bound(states.begin(), states.end(), *f.event,
                             [](uint32_t at, const rp::StateChange& s) { return at < s.at; });
  ASSERT_NE(it, states.begin());
  EXPECT_FALSE(std::prev(it)->stale_fields.empty());
  uint64_t violations = 0;
  for (const auto& inv : d.summary.invariants) violations += inv.violations;
  EXPECT_EQ(violations, d.violations.size());
}

// A log of a program that is not nestrr's core (no scenario, so no
// replay): the stack and listing come from the log's registers and stack
// bytes with --elf, and without it the page says what is missing.
TEST(ReportData, AssertionWithElfHasStackAndListing) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("nestrr-report-elf-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string cmd = std::string("'") + ASSERT_PROGRAM + "' '" + (dir / "run.nrr").string() + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  el::Log log = el::read_log_file(dir / "run.nrr");
  std::filesystem::remove_all(dir);

  rp::ReportData bare = rp::gather_report(log, {});
  ASSERT_TRUE(bare.failure);
  EXPECT_EQ(bare.failure->kind, "assertion");
  EXPECT_FALSE(bare.summary.replayed);
  EXPECT_EQ(bare.failure->interleaving_source, "log");
  EXPECT_TRUE(has_row(*bare.failure, "failure", "assertion_failure"));
  EXPECT_TRUE(bare.failure->stack.empty());
  EXPECT_NE(bare.failure->stack_note.find("--elf"), std::string::npos) << bare.failure->stack_note;

  rp::ReportOptions o;
  o.elf_files.push_back(ASSERT_PROGRAM);
  o.source_dir = SOURCE_DIR;
  rp::ReportData d = rp::gather_report(log, o);
  ASSERT_TRUE(d.failure);
  const rp::Failure& f = *d.failure;
  auto frame = [&](const std::string& fn) {
    return std::any_of(f.stack.begin(), f.stack.end(),
                       [&](const rp::StackFrameRow& s) { return s.function.find(fn) != std::string::npos; });
  };
  EXPECT_TRUE(frame("find_current_vmcs12")) << f.stack_note;
  EXPECT_TRUE(frame("nmi_check_quiesce")) << f.stack_note;
  // The timeline's event texts name code addresses as `dump --elf` does:
  // the NMI's interrupted RIP; without the ELF they stay bare.
  auto named = [](const rp::ReportData& r, const std::string& what) {
    return std::any_of(r.events.details.begin(), r.events.details.end(),
                       [&](const std::string& t) { return t.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(named(d, "<nmi_check_quiesce+"));
  EXPECT_FALSE(named(bare, "<nmi_check_quiesce+"));
  EXPECT_TRUE(frame("main")) << f.stack_note;
  EXPECT_TRUE(std::any_of(f.listing.begin(), f.listing.end(),
                          [](const std::string& l) { return l.rfind("->", 0) == 0; }))
      << f.listing_note;
}

// An empty log (or one with nothing decodable) still makes a page.
TEST(ReportData, EmptyLogMakesAPage) {
  std::istringstream in("no frames here\n");
  el::Log log = el::read_log(in);
  rp::ReportData d = rp::gather_report(log, {});
  EXPECT_TRUE(d.events.t.empty());
  EXPECT_EQ(d.events.arg_start.size(), 1u);
  EXPECT_FALSE(d.failure);
  std::ostringstream html;
  rp::write_html_report(html, d);
  EXPECT_NE(html.str().find("data-encoding=\"gzip+base64\">H4sI"), std::string::npos);
}

}  // namespace
