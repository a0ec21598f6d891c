// The packet table over a real recorded-state target (the assertion
// program's log and ELF): replies as the protocol defines them, E01 for
// malformed packets, the empty reply for unknown ones, history edges.
#include <gtest/gtest.h>

#include "nestrr/eventlog/log.h"
#include "nestrr/gdbstub/packet.h"
#include "nestrr/gdbstub/recorded_target.h"
#include "nestrr/gdbstub/server.h"
#include "nestrr/gdbstub/target_description.h"
#include "nestrr/symbolize/module_set.h"
#include "run_util.h"

namespace nestrr::gdbstub {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::temp_dir();
    log_path_ = (dir / "assert.nrr").string();
    int status = -1;
    testing::run(testing::quote(ASSERT_PROGRAM) + " " + testing::quote(log_path_), &status);
    ASSERT_EQ(status, 0);
    eventlog::Log log = eventlog::read_log_file(log_path_);
    symbolize::ModuleSetOptions mo;
    mo.elf_files.emplace_back(ASSERT_PROGRAM);
    auto modules = symbolize::ModuleSet::from_log(&*log.header, mo);
    target_ = std::make_unique<RecordedTarget>(std::move(log),
                                               std::make_unique<symbolize::Symbolizer>(modules));
    server_ = std::make_unique<GdbServer>(*target_);
  }
  std::string ask(std::string_view packet) {
    bool no_reply = false;
    return server_->handle(packet, no_reply);
  }
  std::string log_path_;
  std::unique_ptr<RecordedTarget> target_;
  std::unique_ptr<GdbServer> server_;
};

TEST_F(ServerTest, Capabilities) {
  std::string s = ask("qSupported:multiprocess+;swbreak+");
  for (const char* f : {"PacketSize=4000", "qXfer:features:read+", "ReverseStep+", "ReverseContinue+",
                        "QStartNoAckMode+"})
    EXPECT_NE(s.find(f), std::string::npos) << f << " in " << s;
  EXPECT_EQ(ask("QStartNoAckMode"), "OK");
  EXPECT_TRUE(server_->no_ack_requested());
  EXPECT_EQ(ask("vCont?"), "vCont;c;C;s;S");
  EXPECT_EQ(ask("qAttached"), "1");
  EXPECT_EQ(ask("qfThreadInfo"), "m1,2");
  EXPECT_EQ(ask("qsThreadInfo"), "l");
}

TEST_F(ServerTest, UnknownAndMalformedPackets) {
  EXPECT_EQ(ask("vMustReplyEmpty"), "");
  EXPECT_EQ(ask("Xdeadbeef"), "");
  EXPECT_EQ(ask("Z3,1000,4"), "");  // a log shows no reads
  EXPECT_EQ(ask("m"), "E01");
  EXPECT_EQ(ask("mzz,4"), "E01");
  EXPECT_EQ(ask("m10,"), "E01");
  EXPECT_EQ(ask("pzz"), "E01");
  EXPECT_EQ(ask("p99999"), "E01");
  EXPECT_EQ(ask("Hg99"), "E01");
  EXPECT_EQ(ask("Hx1"), "E01");
  EXPECT_EQ(ask("T0"), "E01");
  EXPECT_EQ(ask("vCont;x"), "E01");
  EXPECT_EQ(ask("qRcmd,zz"), "E01");
  EXPECT_EQ(ask("qXfer:features:read:other.xml:0,10"), "E00");
  EXPECT_EQ(ask("qXfer:features:read:target.xml:zz"), "E01");
}

TEST_F(ServerTest, TargetDescriptionInChunks) {
  std::string whole;
  for (uint64_t off = 0;;) {
    std::string r = ask("qXfer:features:read:target.xml:" + hex_u64(off) + ",100");
    ASSERT_FALSE(r.empty());
    whole += r.substr(1);
    off += r.size() - 1;
    if (r[0] == 'l') break;
    ASSERT_EQ(r[0], 'm');
  }
  EXPECT_EQ(whole, target_xml(Arch::kX86_64));
  EXPECT_NE(whole.find("org.gnu.gdb.i386.core"), std::string::npos);
  EXPECT_NE(whole.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
}

TEST_F(ServerTest, StartsAtTheAssertionWithItsRegisters) {
  EXPECT_EQ(ask("?"), "T05thread:1;");
  std::string g = ask("g");
  // core, sse, segments (fs_base, gs_base), system (cr0 cr2 cr3 cr4 efer),
  // vmx (three flags, the VMCS12 pointer, in_nmi).
  EXPECT_EQ(g.size(), 2 * (16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 2 * 8 + 5 * 8 +
                           3 * 4 + 8 + 4));
  // rip (register 16) is the logged one; rax is known, st0 is not.
  std::string rip = ask("p10");
  EXPECT_EQ(rip.size(), 16u);
  EXPECT_NE(rip, std::string(16, 'x'));
  EXPECT_EQ(ask("p18").substr(0, 2), "xx");  // st0
  // cpu1 has only the NMI's interrupted RIP.
  EXPECT_EQ(ask("Hg2"), "OK");
  EXPECT_EQ(ask("p0"), std::string(16, 'x'));
  EXPECT_NE(ask("p10"), std::string(16, 'x'));
}

// The ends of history: gdb's replaylog key, and for lldb a SIGINT whose
// description it prints as the stop reason.
const std::string kAtEnd = "replaylog:end;description:" + to_hex("end of the replayed history") + ";";
const std::string kAtBegin =
    "replaylog:begin;description:" + to_hex("start of the replayed history") + ";";

TEST_F(ServerTest, MemoryFromTheStackWindowAndTheElfElseAnError) {
  uint64_t rsp = *target_->registers(0).value[kRsp];
  std::string r = ask("m" + hex_u64(rsp) + ",40");
  EXPECT_EQ(r.size(), 0x80u);
  uint64_t rip = *target_->registers(0).value[kRip];
  EXPECT_EQ(ask("m" + hex_u64(rip) + ",8").size(), 16u);  // code, from the ELF
  EXPECT_EQ(ask("m10,8"), "E01");                         // nothing knows address 0x10
  EXPECT_EQ(ask("m0,0"), "");
}

TEST_F(ServerTest, StepsAndBreakpointsMoveInTheHistory) {
  EXPECT_EQ(ask("c"), "T02thread:1;" + kAtEnd);
  // cpu0 has no earlier event: a reverse step stays, at the edge.
  EXPECT_EQ(ask("bs"), "T02thread:1;" + kAtBegin);
  EXPECT_EQ(target_->position(), 1u);
  // cpu1 (thread 2) has.
  EXPECT_EQ(ask("Hc2"), "OK");
  EXPECT_EQ(ask("bs"), "T05thread:2;");
  EXPECT_EQ(target_->position(), 0u);
  EXPECT_EQ(ask("vCont;s:1"), "T05thread:1;");
  EXPECT_EQ(target_->position(), 1u);
  // A breakpoint in the function the assertion fired in: found forward.
  uint64_t rip = *target_->registers(0).value[kRip];
  std::string why;
  ASSERT_TRUE(target_->seek(0, why));
  // With a condition list, which removal strips as insertion does.
  EXPECT_EQ(ask("Z0," + hex_u64(rip) + ",1;X2,2a00"), "OK");
  EXPECT_EQ(ask("c"), "T05thread:1;");
  EXPECT_EQ(target_->position(), 1u);
  EXPECT_EQ(ask("bc"), "T02thread:2;" + kAtBegin);
  EXPECT_EQ(ask("z0," + hex_u64(rip) + ",1;X2,2a00"), "OK");
  // Without a breakpoint, a continue stops at the assertion failure as at
  // a program's abort (SIGABRT), and then at the end.
  ASSERT_TRUE(target_->seek(0, why));
  EXPECT_EQ(ask("c"), "T06thread:1;");
  EXPECT_EQ(ask("c"), "T02thread:1;" + kAtEnd);
}

// A breakpoint reported at its own address carries swbreak when gdb said
// it understands it; lldb's packets: host and process info, the thread
// suffix, per-thread stop info, threads in the stop reply.
TEST_F(ServerTest, SwbreakAndLldbDialect) {
  EXPECT_NE(ask("qSupported:swbreak+;hwbreak+").find(";swbreak+"), std::string::npos);
  EXPECT_NE(ask("qHostInfo").find("triple:" + to_hex("x86_64-pc-linux-gnu") + ";ptrsize:8;"), std::string::npos);
  EXPECT_NE(ask("qProcessInfo").find("pid:1;"), std::string::npos);
  EXPECT_EQ(ask("QThreadSuffixSupported"), "OK");
  EXPECT_EQ(ask("qWatchpointSupportInfo:"), "num:4;");
  // cpu1's rip (register 16) by suffix; its rax is unknown: an error for lldb.
  EXPECT_EQ(ask("p10;thread:0002;"), hex_le(*target_->registers(1).value[kRip], 8));
  EXPECT_EQ(ask("p0;thread:0002;"), "E15");
  EXPECT_EQ(ask("p10;thread:0009;"), "E01");
  EXPECT_EQ(ask("QListThreadsInStopReply"), "OK");
  EXPECT_EQ(ask("?"), "T05thread:1;threads:1,2;reason:trace;");
  EXPECT_EQ(ask("qThreadStopInfo1"), "T05thread:1;threads:1,2;reason:trace;");
  EXPECT_EQ(ask("qThreadStopInfo2"), "T00thread:2;");
}

// Z/z types: 0 and 1 breakpoints; 2-4 watchpoints, of which recorded
// states offer writes only (reads: the empty reply, gdb says it cannot
// insert them); unknown types are not supported; malformed packets are
// errors.
TEST_F(ServerTest, PointTypesAndMalformedPoints) {
  EXPECT_EQ(ask("Z1,1000,1"), "OK");
  EXPECT_EQ(ask("z1,1000,1"), "OK");
  EXPECT_EQ(ask("Z2,1000,4"), "OK");
  EXPECT_EQ(ask("z2,1000,4"), "OK");
  EXPECT_EQ(ask("Z3,1000,4"), "");
  EXPECT_EQ(ask("z4,1000,4"), "");
  EXPECT_EQ(ask("Z9,1000,4"), "");
  EXPECT_EQ(ask("Z2,1000,0"), "E01");
  EXPECT_EQ(ask("Z0,zz,1"), "E01");
  EXPECT_EQ(ask("Z0"), "E01");
  EXPECT_EQ(ask("Z01000,1"), "E01");
}

TEST_F(ServerTest, MonitorCommands) {
  auto monitor = [&](std::string_view line) {
    auto text = from_hex(ask("qRcmd," + to_hex(line)));
    return text.value_or("<not hex>");
  };
  EXPECT_NE(monitor("help").find("timeline"), std::string::npos);
  EXPECT_NE(monitor("when").find("event 1 of 2"), std::string::npos);
  EXPECT_NE(monitor("timeline 2").find("=> event 1"), std::string::npos);
  EXPECT_NE(monitor("event 0").find("now at event 0"), std::string::npos);
  EXPECT_EQ(target_->position(), 0u);
  EXPECT_NE(monitor("event 9").find("the log has 2 events"), std::string::npos);
  EXPECT_NE(monitor("event x").find("usage"), std::string::npos);
  EXPECT_NE(monitor("cpu 1").find("NMI"), std::string::npos);
  EXPECT_NE(monitor("cpu 7").find("usage"), std::string::npos);
  EXPECT_NE(monitor("frobnicate").find("unknown monitor command"), std::string::npos);
}

// when-style queries: the next/previous event of a kind (on a CPU), where
// the next resume then goes; and continue running backward for lldb.
TEST_F(ServerTest, MonitorFindsEventsAndGoesThere) {
  auto monitor = [&](std::string_view line) { return from_hex(ask("qRcmd," + to_hex(line))).value_or("?"); };
  std::string why;
  ASSERT_TRUE(target_->seek(0, why));
  std::string next = monitor("next assert");
  EXPECT_NE(next.find("event 1: "), std::string::npos) << next;
  EXPECT_NE(next.find("position 1"), std::string::npos) << next;
  EXPECT_EQ(target_->position(), 0u);  // only the next resume moves
  EXPECT_EQ(ask("c"), "T00thread:1;");  // a jump: no signal
  EXPECT_EQ(target_->position(), 1u);
  EXPECT_NE(monitor("prev nmi 1").find("event 0: "), std::string::npos);
  EXPECT_NE(monitor("prev nmi 0").find("no earlier NMI on cpu0"), std::string::npos);
  EXPECT_NE(monitor("next vmexit").find("no later VM exit"), std::string::npos);
  EXPECT_NE(monitor("next nothing").find("usage"), std::string::npos);
  EXPECT_NE(monitor("goto 0").find("goes to 0"), std::string::npos);
  EXPECT_EQ(ask("s"), "T00thread:2;");
  EXPECT_EQ(target_->position(), 0u);
  // A checkpoint remembers a place; restart goes back there at the next resume.
  ASSERT_TRUE(target_->seek(0, why));
  EXPECT_NE(monitor("checkpoint").find("checkpoint 1 at event 0 of 2"), std::string::npos);
  ASSERT_TRUE(target_->seek(1, why));
  EXPECT_NE(monitor("restart 1").find("back to checkpoint 1"), std::string::npos);
  EXPECT_EQ(ask("c"), "T00thread:2;");
  EXPECT_EQ(target_->position(), 0u);
  EXPECT_NE(monitor("restart 0").find("usage"), std::string::npos);
  // Backward by direction: a continue from the end runs back to the start.
  ASSERT_TRUE(target_->seek(1, why));
  EXPECT_NE(monitor("direction backward").find("backward"), std::string::npos);
  EXPECT_EQ(ask("c"), "T02thread:2;" + kAtBegin);
  EXPECT_NE(monitor("direction forward").find("forward"), std::string::npos);
  EXPECT_EQ(ask("c"), "T06thread:1;");
}

TEST_F(ServerTest, DetachAndKillEndTheSession) {
  bool no_reply = false;
  EXPECT_EQ(server_->handle("k", no_reply), "X09");  // killed by SIGKILL, for lldb
  EXPECT_FALSE(no_reply);
  EXPECT_TRUE(server_->done());
  EXPECT_TRUE(server_->killed());
}

// A CPU's snapshots right after its assertion (the testbox logs the rest of
// the stack and the failing VCPU) are part of the failure state: readable
// when stopped at the assertion. A snapshot after any other record is not
// visible before it was logged.
TEST(RecordedTargetMemory, SnapshotsRightAfterTheAssertionBelongToIt) {
  eventlog::Log log;
  log.header.emplace();
  log.header->set_cpu_count(1);
  eventlog::CpuStream& s = log.streams.emplace_back();
  auto add = [&](auto fill) {
    eventlog::Event e;
    e.seq = s.events.size();
    e.tsc = 100 * (e.seq + 1);
    fill(e.record);
    s.events.push_back(std::move(e));
  };
  add([](v1::Record& r) { r.mutable_assertion_failure()->set_rip(0x1000); });
  add([](v1::Record& r) {
    r.mutable_memory_snapshot()->set_address(0x2000);
    r.mutable_memory_snapshot()->set_data(std::string(8, '\x11'));
  });
  add([](v1::Record& r) { r.mutable_nmi_received()->set_interrupted_rip(0x1004); });
  add([](v1::Record& r) {
    r.mutable_memory_snapshot()->set_address(0x3000);
    r.mutable_memory_snapshot()->set_data(std::string(8, '\x22'));
  });
  RecordedTarget t(std::move(log), nullptr);
  ASSERT_EQ(t.position(), 0u);  // at the assertion
  EXPECT_EQ(t.read_memory(0x2000, 8), std::string(8, '\x11'));
  EXPECT_EQ(t.read_memory(0x3000, 8), "");
  std::string why;
  ASSERT_TRUE(t.seek(3, why)) << why;
  EXPECT_EQ(t.read_memory(0x3000, 8), std::string(8, '\x22'));
}

}  // namespace
}  // namespace nestrr::gdbstub
