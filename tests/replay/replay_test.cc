// Record on threads, replay on fibers: the VMXON race reproduced every
// time, clean variants replayed to their end, the views.
#include <gtest/gtest.h>

extern "C" {
#include "nestrr/core/core.h"
}

#include "nestrr/replay/interleaving_view.h"
#include "nestrr/replay/scenario.h"
#include "nestrr/replay/replayer.h"
#include "expected_log.h"
#include "recorded.h"

namespace nestrr::replay {
namespace {

using testing::record_scenario;
using testing::vmxon_race;

TEST(Record, VmxonRaceEndsInTheSeedsAssertion) {
  const auto& rec = vmxon_race();
  ASSERT_EQ(rec.result.end, RecordResult::End::kAssertion);
  ASSERT_TRUE(rec.result.assertion);
  EXPECT_EQ(rec.result.assertion->condition, "cpu_has_current_vmcs12(vcpu)");
  EXPECT_EQ(rec.result.records_dropped, 0u);
  eventlog::Log log = rec.log();
  ASSERT_TRUE(log.header && log.header->has_scenario());
  EXPECT_EQ(log.header->scenario().variant(), "vmxon-two-flags");
  EXPECT_EQ(log.header->scenario().option(0), "widen=vmxon:20000");
  EXPECT_EQ(log.header->scenario().origin(), "record");
  // Every NMI carries where it landed (progress 0 is valid: it landed
  // before the CPU's first yield point); the racing one landed inside
  // handle_vmxon, after points. The assertion carries a stack.
  bool nmi = false, nmi_after_points = false, stack = false;
  for (const auto& s : log.streams)
    for (const auto& e : s.events) {
      if (e.record.has_nmi_received()) {
        nmi = true;
        EXPECT_NE(e.record.nmi_received().interrupted_rip(), 0u);
        nmi_after_points |= e.record.nmi_received().progress() > 0;
      }
      if (e.record.has_assertion_failure())
        stack = e.record.assertion_failure().return_address_size() > 0;
    }
  EXPECT_TRUE(nmi);
  EXPECT_TRUE(nmi_after_points);
  EXPECT_TRUE(stack);
}

TEST(Replay, VmxonRaceReproducedHundredTimesIdentically) {
  eventlog::Log log = vmxon_race().log();
  const auto& want = *vmxon_race().result.assertion;
  ReplayOptions opt;
  opt.symbolize = false;
  ReplayResult first = replay(log, opt);
  for (int i = 0; i < 100; ++i) {
    ReplayResult r = i == 0 ? first : replay(log, opt);
    ASSERT_TRUE(r.matched) << r.divergence->message();
    ASSERT_TRUE(r.failure);
    EXPECT_EQ(r.failure->cpu, want.cpu);
    EXPECT_EQ(r.failure->condition, want.condition);
    EXPECT_EQ(r.failure->line, want.line);
    EXPECT_EQ(r.failure->progress, want.progress);
    EXPECT_EQ(r.progress, first.progress);
    ASSERT_EQ(r.trace, first.trace) << "replay " << i;
    EXPECT_EQ(r.stack, first.stack);
  }
}

TEST(Replay, ViewNamesTheNmiAndTheTwoStoresAndTheStack) {
  ReplayResult r = replay(vmxon_race().log());
  ASSERT_TRUE(r.failure);
  std::string view = interleaving_view(r, 2);
  EXPECT_NE(view.find("NMI from cpu1"), std::string::npos) << view;
  EXPECT_NE(view.find("\"is_vmx_operation = 1\", before \"is_vmx_root_operation = 1\""),
            std::string::npos)
      << view;
  EXPECT_NE(view.find("ASSERTION FAILED"), std::string::npos) << view;
  std::string stack = stack_view(r);
  // Handler frames on top of the interrupted VMXON frames, on one stack.
  size_t find = stack.find("find_current_vmcs12"), nmi = stack.find("nmi_handler"),
         vmxon = stack.find("handle_vmxon");
  ASSERT_NE(find, std::string::npos) << stack;
  ASSERT_NE(nmi, std::string::npos) << stack;
  ASSERT_NE(vmxon, std::string::npos) << stack;
  EXPECT_LT(find, nmi);
  EXPECT_LT(nmi, vmxon);
}

TEST(Replay, FixedRecordsAndReplaysClean) {
  auto rec = record_scenario(CORE_VARIANT_FIXED, 20, {"widen=vmxon:2000"});
  ASSERT_EQ(rec.result.end, RecordResult::End::kCompleted);
  ReplayResult r = replay(rec.log());
  ASSERT_TRUE(r.matched) << r.divergence->message();
  EXPECT_FALSE(r.failure);
  EXPECT_TRUE(r.cpus_cut.empty());
  EXPECT_GT(r.events_checked, 100u);
}

TEST(Replay, Ept01FlushIncompleteRecordsAndReplays) {
  auto rec = record_scenario(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, 20);
  ASSERT_NE(rec.result.end, RecordResult::End::kTimeLimit);
  ReplayResult r = replay(rec.log());
  ASSERT_TRUE(r.matched) << r.divergence->message();
  EXPECT_EQ(r.failure.has_value(), rec.result.assertion.has_value());
}

TEST(Replay, FormatVersionOneIsRefusedWithWhatToDo) {
  eventlog::Log log = vmxon_race().log();
  log.header->set_format_version(1);
  try {
    replay(log);
    FAIL() << "a version 1 log was replayed";
  } catch (const std::invalid_argument& e) {
    std::string why = e.what();
    EXPECT_NE(why.find("format version 1"), std::string::npos) << why;
    EXPECT_NE(why.find("record the run again"), std::string::npos) << why;
  }
}

// A time-limited recording cuts every CPU still running at the entry of a
// yield point, and says so as that CPU's last record; replay stops each
// there, having matched every record before it.
TEST(Replay, TimeLimitCutsEveryRunningCpuAndReplayStopsThemThere) {
  auto rec = testing::record_for(CORE_VARIANT_FIXED, 4, std::chrono::milliseconds(60));
  ASSERT_EQ(rec.result.end, RecordResult::End::kTimeLimit);
  eventlog::Log log = rec.log();
  uint32_t cut = 0;
  for (const auto& s : log.streams) {
    ASSERT_FALSE(s.events.empty());
    const auto& last = s.events.back().record;
    ASSERT_TRUE(last.has_sync_point()) << "cpu" << s.cpu << " does not end with its cut";
    EXPECT_EQ(last.sync_point().kind(), nestrr::v1::SyncPoint::KIND_CUT) << "cpu" << s.cpu;
    EXPECT_NE(last.sync_point().object(), 0u);
    cut++;
  }
  EXPECT_EQ(cut, 4u);
  ReplayResult r = replay(log);
  ASSERT_TRUE(r.matched) << r.divergence->message();
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(r.cpus_cut.size(), 4u);
}

// A cut moved later is the divergence: at the real cut the CPU goes on and
// logs what the log does not have.
TEST(Replay, MovedCutIsTheDivergence) {
  eventlog::Log log = testing::record_for(CORE_VARIANT_FIXED, 2, std::chrono::milliseconds(30)).log();
  auto& last = log.streams[0].events.back().record;
  ASSERT_EQ(last.sync_point().kind(), nestrr::v1::SyncPoint::KIND_CUT);
  last.mutable_sync_point()->set_progress(last.sync_point().progress() + 1000);
  ReplayResult r = replay(log);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->cpu, log.streams[0].cpu);
  EXPECT_NE(r.divergence->message().find("cut"), std::string::npos) << r.divergence->message();
}

// A stream that ends without its trailer (QEMU killed, the capture
// stopped) does not say where its CPU stopped: the replay runs up to its
// last record and stops there, saying which CPU and why.
TEST(Replay, StreamWithoutTrailerReplaysUpToItsEnd) {
  eventlog::Log log = record_scenario(CORE_VARIANT_FIXED, 20).log();
  ASSERT_EQ(log.streams.size(), 2u);
  auto& ev = log.streams[1].events;
  ASSERT_GT(ev.size(), 40u);
  ev.erase(ev.end() - 20, ev.end());
  log.streams[1].trailer.reset();
  ReplayResult r = replay(log);
  ASSERT_TRUE(r.lost);
  EXPECT_FALSE(r.matched);
  EXPECT_EQ(r.lost->cpu, 1u);
  EXPECT_EQ(r.lost->seq, ev.back().seq + 1);
  EXPECT_NE(r.lost->expected.find("cpu1's stream ends at seq " + std::to_string(ev.back().seq + 1) +
                                  " without its trailer"),
            std::string::npos) << r.lost->expected;
  EXPECT_GT(r.events_checked, 0u);
}

// A trailer that counts records the log lacks: the replay stops where they
// would be.
TEST(Replay, TailLossByTheTrailerStopsTheReplayThere) {
  eventlog::Log log = record_scenario(CORE_VARIANT_FIXED, 20).log();
  auto& ev = log.streams[0].events;
  const uint64_t kept = ev.size() - 10;
  ev.erase(ev.begin() + static_cast<long>(kept), ev.end());
  ReplayResult r = replay(log);
  ASSERT_TRUE(r.lost);
  EXPECT_EQ(r.lost->cpu, 0u);
  EXPECT_NE(r.lost->expected.find("were lost at the end of its stream (its trailer counts them)"),
            std::string::npos) << r.lost->expected;
}

// A flight recorder whose ring wrapped lost the run's start: the log is a
// run's with cpu0's first kOverwritten records gone, as the ring's
// overwrite leaves it. Without a key frame, or with none usable, it is
// refused, saying why for each; a key frame that is usable but whose
// records after it are gone says which. The run is `fixed` for a set
// number of iterations, so cpu0 always logs far more than that (the race
// may end after a handful of records).
constexpr uint64_t kOverwritten = 40;

eventlog::Log wrapped_race() {
  static const testing::Recording run = record_scenario(CORE_VARIANT_FIXED, 20);
  eventlog::Log log = run.log();
  log.header->set_sink(nestrr::v1::Header::SINK_FLIGHT_RECORDER);
  auto& ev = log.streams[0].events;
  if (ev.size() < 2 * kOverwritten) ADD_FAILURE() << "cpu0 logged only " << ev.size() << " records";
  ev.erase(ev.begin(), ev.begin() + static_cast<long>(std::min<uint64_t>(kOverwritten, ev.size())));
  log.streams[0].records_dropped_logger = kOverwritten;
  return log;
}

std::string refusal(const eventlog::Log& log) {
  try {
    replay(log);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(replayed)";
}

TEST(Replay, WrappedFlightRecorderWithoutKeyFramesIsRefusedSayingSo) {
  const std::string why = refusal(wrapped_race());
  EXPECT_NE(why.find("flight-recorder log: cpu0's ring wrapped (40 records overwritten in all)"),
            std::string::npos) << why;
  EXPECT_NE(why.find("the log has none"), std::string::npos) << why;
}

TEST(Replay, WrappedFlightRecorderNamesWhyEachKeyFrameIsUnusable) {
  eventlog::Log log = wrapped_race();
  eventlog::KeyFrame incomplete;
  incomplete.id = 4;
  incomplete.problem = "2 of its 90 pieces are missing";
  eventlog::KeyFrame other_build;
  other_build.id = 5;
  other_build.next_seq = {2000, 2000};
  other_build.regions = {{"core", 12, false, {}}, {"phys", 4096, true, {}}};
  eventlog::KeyFrame too_old = other_build;
  too_old.id = 6;
  too_old.regions[0].bytes = sizeof(struct core);
  too_old.regions[1].bytes = 0;
  eventlog::KeyFrame stale = too_old;
  stale.id = 7;
  const core_config cfg = to_core_config(from_proto(log.header->scenario()));
  stale.regions[1].bytes = core_phys_size(&cfg);
  stale.next_seq = {20, 0};
  log.key_frames = {incomplete, other_build, too_old, stale};
  const std::string why = refusal(log);
  EXPECT_NE(why.find("none of its 4 is usable"), std::string::npos) << why;
  EXPECT_NE(why.find("key frame 7: cpu0's records #20 to #39 after it were overwritten"),
            std::string::npos) << why;
  EXPECT_NE(why.find("key frame 4: 2 of its 90 pieces are missing"), std::string::npos) << why;
  EXPECT_NE(why.find("key frame 5: its core state is 12 bytes"), std::string::npos) << why;
  EXPECT_NE(why.find("key frame 6: its machine memory is 0 bytes"), std::string::npos) << why;
}

// A key frame that passes every check of the log but holds no core state
// the core accepts (all zeros: another config) is refused when replay
// starts; and drops beyond what the ring overwrote are refused before.
eventlog::KeyFrame zero_key_frame(const eventlog::Log& log) {
  eventlog::KeyFrame f;
  f.id = 9;
  f.next_seq = {kOverwritten, 0};
  const core_config cfg = to_core_config(from_proto(log.header->scenario()));
  f.regions = {{"core", sizeof(struct core), false, {}}, {"phys", core_phys_size(&cfg), true, {}}};
  return f;
}

TEST(Replay, KeyFrameTheCoreCannotResumeFromIsRefused) {
  eventlog::Log log = wrapped_race();
  log.key_frames = {zero_key_frame(log)};
  const std::string why = refusal(log);
  EXPECT_NE(why.find("key frame 9: the core cannot resume from its state"), std::string::npos) << why;
}

// Drops beyond what the ring overwrote cannot be placed: that CPU's replay
// stops before its first record, saying why.
TEST(Replay, FlightDropsBeyondTheOverwrittenStopTheCpuAtItsStart) {
  eventlog::Log log = wrapped_race();
  log.key_frames = {zero_key_frame(log)};
  log.streams[0].records_dropped_logger = kOverwritten + 3;
  ExpectedLog exp(log);
  const ExpectedRecord* first = exp.at(0, 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->role, ExpectedRecord::Role::kLost);
  EXPECT_NE(std::string(first->note).find("cpu0 dropped 3 records besides the 40 its ring overwrote"),
            std::string::npos) << first->note;
  EXPECT_NE(exp.at(1, 0), nullptr);
  EXPECT_NE(exp.at(1, 0)->role, ExpectedRecord::Role::kLost);
}

TEST(Replay, LogWithoutScenarioIsRefused) {
  eventlog::Log log = vmxon_race().log();
  log.header->clear_scenario();
  EXPECT_THROW(replay(log), std::invalid_argument);
}

}  // namespace
}  // namespace nestrr::replay
