// Formatting: text lines, JSON lines, filters, info summary, and the Chrome
// trace export validated by a real JSON parser.
#include "nestrr/eventlog/format.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "nestrr/eventlog/chrome_trace.h"
#include "nestrr/eventlog/exit_reasons.h"
#include "test_util.h"

namespace nestrr::eventlog {
namespace {

using namespace testing;

Log sample_log() {
  std::ostringstream out;
  StreamWriter w(out);
  auto h = header(2, 1'000'000'000);
  auto* m = h.add_module();
  m->set_name("xmhf.elf");
  m->set_build_id(std::string("\x12\xab\x00\xff", 4));
  h.set_description("demo \"quoted\" run");
  w.header(h);
  w.text("console says \"hi\"\twith tab and \x01 control");
  nestrr::v1::Record exit_rec = vm_exit(12345, 10, 0x1234);
  nestrr::v1::Record send;
  send.set_dt(100);
  send.mutable_nmi_sent()->set_target_cpu(1);
  send.mutable_nmi_sent()->set_token(3);
  nestrr::v1::Record begin;
  begin.set_dt(10);
  begin.mutable_quiesce_begin()->set_generation(1);
  nestrr::v1::Record end;
  end.set_dt(1000);
  end.mutable_quiesce_end()->set_generation(1);
  std::vector<nestrr::v1::Record> cpu0 = {exit_rec, send, begin, end};
  w.chunk(0, 41, 0, cpu0);
  nestrr::v1::Record recv;
  recv.set_dt(12600);
  recv.mutable_nmi_received()->set_source_cpu(0);
  recv.mutable_nmi_received()->set_token(3);
  recv.mutable_nmi_received()->set_interrupted_rip(0xffff8000);
  recv.mutable_nmi_received()->set_progress(17);
  nestrr::v1::Record ack;
  ack.set_dt(5);
  ack.mutable_quiesce_ack()->set_initiator_cpu(0);
  ack.mutable_quiesce_ack()->set_generation(1);
  nestrr::v1::Record flush;
  flush.set_dt(1);
  flush.mutable_ept_flush()->set_flags(3);
  flush.mutable_ept_flush()->set_origin(nestrr::v1::EptFlush::ORIGIN_QUIESCE_NMI);
  std::vector<nestrr::v1::Record> cpu1 = {recv, ack, flush};
  w.chunk(1, 0, 0, cpu1);
  return read_string(out.str());
}

TEST(Format, ExitReasonNamesFollowTheSdm) {
  EXPECT_EQ(exit_reason_name(0), "EXCEPTION_NMI");
  EXPECT_EQ(exit_reason_name(10), "CPUID");
  EXPECT_EQ(exit_reason_name(48), "EPT_VIOLATION");
  EXPECT_EQ(exit_reason_name(50), "INVEPT");
  EXPECT_EQ(exit_reason_name(0x80000021), "ENTRY_FAIL_GUEST_STATE");
  EXPECT_EQ(exit_reason_name(35), "");
  EXPECT_EQ(exit_reason_name(9999), "");
}

TEST(Format, TextLinesCarryTimeCpuSeqKindAndFields) {
  Log log = sample_log();
  const TimeBase base = time_base(log);
  EXPECT_EQ(base.tsc0, 12345u);
  const auto& cpu0 = log.find_cpu(0)->events;
  EXPECT_EQ(format_event(cpu0[0], base),
            "       0.000us cpu0 #41 vm_exit reason=10(CPUID) rip=0x1234 qual=0x0 from_l2=0");
  EXPECT_EQ(format_event(cpu0[1], base), "       0.100us cpu0 #42 nmi_sent -> cpu1 token=3");
  const auto& cpu1 = log.find_cpu(1)->events;
  EXPECT_EQ(format_event(cpu1[0], base),
            "       0.255us cpu1 #0 nmi_received from cpu0 token=3 rip=0xffff8000 progress=17");
  EXPECT_EQ(format_event(cpu1[2], base),
            "       0.261us cpu1 #2 ept_flush flags=3 origin=ORIGIN_QUIESCE_NMI");
  TimeBase ticks = base;
  ticks.tsc_hz = 0;
  EXPECT_EQ(format_event(cpu0[1], ticks).substr(0, 13), "         100t");
}

TEST(Format, JsonLinesHoldOurFieldsAndTheRecord) {
  Log log = sample_log();
  const TimeBase base = time_base(log);
  const std::string line = format_json_line(log.find_cpu(0)->events[0], base);
  EXPECT_EQ(line.rfind("{\"cpu\":0,\"seq\":41,\"tsc\":12345,\"time_us\":0.000,", 0), 0u) << line;
  EXPECT_NE(line.find("\"kind\":\"vm_exit\""), std::string::npos);
  EXPECT_NE(line.find("\"guest_rip\":4660"), std::string::npos);
  EXPECT_NE(line.find("\"record\":{\"dt\":\"12345\",\"vm_exit\":{\"reason\":10"), std::string::npos) << line;
}

TEST(Format, FiltersSelectCpusKindsAndTime) {
  Log log = sample_log();
  const TimeBase base = time_base(log);
  Filter f;
  f.cpus = {1};
  f.kinds = {"nmi_received", "ept_flush"};
  size_t n = 0;
  for (const auto& s : log.streams) {
    for (const auto& e : s.events) n += f.matches(e, base);
  }
  EXPECT_EQ(n, 2u);
  Filter t;
  t.time_min_us = 0.05;
  t.time_max_us = 0.2;
  n = 0;
  for (const auto& s : log.streams) {
    for (const auto& e : s.events) n += t.matches(e, base);
  }
  EXPECT_EQ(n, 2u);  // nmi_sent at 0.1, quiesce_begin at 0.11
}

TEST(Format, InfoSummarizesHeaderCountsAndLoss) {
  Log log = sample_log();
  Timeline t = merge(log);
  const std::string info = format_info(log, &t);
  EXPECT_NE(info.find("cpus: 2"), std::string::npos) << info;
  EXPECT_NE(info.find("module: xmhf.elf build-id 12ab00ff"), std::string::npos) << info;
  EXPECT_NE(info.find("tsc rate: 1000000000 Hz"), std::string::npos);
  EXPECT_NE(info.find("vm_exit: 1"), std::string::npos);
  EXPECT_NE(info.find("lost in transport: 41 in 1 gaps"), std::string::npos) << info;
  EXPECT_NE(info.find("causal edges: 3"), std::string::npos) << info;
}

std::string python3() {
#ifdef NESTRR_PYTHON3
  return NESTRR_PYTHON3;
#else
  return "python3";
#endif
}

// Parses the file with python's json module and runs a check on it.
int python_check(const std::string& path, const std::string& code) {
  const std::string cmd = python3() + " -c 'import json,sys\nd=json.load(open(sys.argv[1]))\n" + code +
                          "' " + path;
  return std::system(cmd.c_str());
}

TEST(ChromeTrace, IsValidJsonWithTracksSpansAndFlows) {
  Log log = sample_log();
  Timeline t = merge(log);
  const std::string path = ::testing::TempDir() + "/trace_" + std::to_string(getpid()) + ".json";
  {
    std::ofstream out(path);
    write_chrome_trace(out, log, t);
  }
  const std::string check =
      "ev=d[\"traceEvents\"]\n"
      "names=[e[\"args\"][\"name\"] for e in ev if e[\"ph\"]==\"M\"]\n"
      "assert \"cpu0\" in names and \"cpu1\" in names and \"console\" in names, names\n"
      "assert any(e[\"ph\"]==\"B\" for e in ev) and any(e[\"ph\"]==\"E\" for e in ev)\n"
      "s=[e for e in ev if e[\"ph\"]==\"s\"]; f=[e for e in ev if e[\"ph\"]==\"f\"]\n"
      "assert len(s)==1 and len(f)==1 and s[0][\"id\"]==f[0][\"id\"] and f[0][\"bp\"]==\"e\"\n"
      "assert s[0][\"tid\"]==0 and f[0][\"tid\"]==1\n"
      "i=[e for e in ev if e[\"ph\"]==\"i\"]\n"
      "assert all(e[\"s\"]==\"t\" for e in i)\n"
      "assert any(\"tab\" in e[\"args\"].get(\"text\",\"\") for e in i)\n";
  EXPECT_EQ(python_check(path, check), 0);
  std::remove(path.c_str());
}

TEST(ChromeTrace, BrokenJsonWouldBeCaught) {
  // The checker itself must be able to fail.
  const std::string path = ::testing::TempDir() + "/broken_" + std::to_string(getpid()) + ".json";
  {
    std::ofstream out(path);
    out << "{\"traceEvents\":[{\"name\":\"a\nb\"}]}";
  }
  EXPECT_NE(python_check(path, "pass"), 0);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace nestrr::eventlog
