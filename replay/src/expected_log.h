// What replay must reproduce, read from a log: the scenario, where a flight
// log resumes, and each CPU's records in comparable form, each with what
// the scheduler reads from it (an NMI's position, a lock ticket, a cut).
// The machine asks for one CPU's record at a time, at its cursor: nothing
// needs the whole log at once, so a source may read it front to back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr.pb.h"
#include "nestrr/eventlog/log.h"
#include "nestrr/replay/scenario.h"

namespace nestrr::replay {

// One record of a CPU's stream.
struct ExpectedRecord {
  enum class Role : uint8_t {
    kPlain,    // logged by the re-execution, compared, nothing else
    kNmi,      // NmiReceived: the handler ran at `progress` (taken there)
    kAcquire,  // SyncPoint KIND_ACQUIRE of lock `object` with `ticket`
    kCut,      // SyncPoint KIND_CUT: the recording stopped the CPU entering
               // point `object` with count `progress`; its last record,
               // not logged by the re-execution
    kLost,     // the log lost what comes here (`note` says what): the
               // replay cannot go on past it
  };
  Role role = Role::kPlain;
  uint32_t object = 0;    // kNmi: source cpu (0xffffffff unknown); kAcquire: lock; kCut: point
  uint64_t progress = 0;  // kNmi, kAcquire, kCut
  uint64_t ticket = 0;    // kAcquire: the lock's acquisitions before it
  uint64_t seq = 0;
  uint64_t tsc = 0;        // recorded TSC (a scheduling hint)
  std::string_view bytes;  // the normalized record (event_check.h); empty for kCut, kLost
  std::string_view note;   // kLost: what was lost, where
};

// Where the replay of a flight log whose rings wrapped starts: one of its
// key frames, the state the core resumes from (eventlog/key_frame.h).
struct ResumePoint {
  uint64_t key_frame_id = 0;
  std::vector<uint64_t> next_seq;         // per CPU: its first record replayed
  std::vector<uint8_t> core_image;        // a struct core
  uint64_t phys_bytes = 0;
  std::map<uint64_t, std::string> phys;   // non-zero pieces of machine memory
  uint64_t records_before = 0;            // kept in the log but before it
};

// The records a replay checks against, one CPU's cursor at a time.
class ExpectedSource {
 public:
  virtual ~ExpectedSource() = default;
  virtual const Scenario& scenario() const = 0;
  // Set: start from this key frame instead of the start of the run.
  virtual const ResumePoint* resume() const = 0;
  // The CPU's record at `index` of its stream (from the key frame on, when
  // there is one), null past its end. Valid until it is released. `index`
  // never goes below the last release().
  virtual const ExpectedRecord* at(uint32_t cpu, uint64_t index) = 0;
  // The replay will not ask for this CPU's records before `index` again.
  virtual void release(uint32_t /*cpu*/, uint64_t /*index*/) {}
  // The seq a CPU's record at `index` would have (for messages past the end).
  virtual uint64_t seq_at(uint32_t cpu, uint64_t index) = 0;
};

// The first format version whose NMI positions and CPU ends are exact.
inline constexpr uint32_t kReplayFormatVersion = 2;
// The first whose lock acquisitions carry their ticket (older ones get
// tickets from the TSC order of the acquisitions).
inline constexpr uint32_t kTicketFormatVersion = 3;

// The run a log's header describes; throws std::invalid_argument when the
// log cannot be replayed: no header or scenario, a format before
// kReplayFormatVersion, CPU counts that disagree.
Scenario replayable_scenario(const nestrr::v1::Header* header);
// What the scheduler reads from a normalized record (role and its fields).
void classify(const nestrr::v1::Record& normalized, ExpectedRecord* e);

// A whole log in memory as a source: any record at any time (the live
// replay seeks back and forth).
class ExpectedLog final : public ExpectedSource {
 public:
  // Throws std::invalid_argument when the log cannot be replayed. A flight
  // log whose rings wrapped replays from its oldest usable key frame;
  // without one it is refused, saying why. Loss does not refuse a log: each
  // CPU's records end at its first loss (a seq gap, a logger drop, a tail
  // its trailer counts, a stream without its trailer) with a record of
  // role kLost saying what was lost, as ExpectedStream does.
  explicit ExpectedLog(const eventlog::Log& log);

  const Scenario& scenario() const override { return scenario_; }
  const ResumePoint* resume() const override { return resume_ ? &*resume_ : nullptr; }
  const ExpectedRecord* at(uint32_t cpu, uint64_t index) override;
  uint64_t seq_at(uint32_t cpu, uint64_t index) override;
  // What a debugger shows of the log: how many records a CPU has, and the
  // seq of each.
  uint64_t record_count(uint32_t cpu) const { return cpus_[cpu].records.size(); }
  uint64_t record_seq(uint32_t cpu, uint64_t index) const { return cpus_[cpu].records[index].seq; }

 private:
  struct Cpu {
    std::string arena;                    // normalized records, back to back
    std::vector<ExpectedRecord> records;  // their bytes point into arena
    uint64_t next_seq = 0;                // after the last record
    std::string lost_note;                // the kLost record's note, if the CPU has one
  };
  static ExpectedRecord lost_record(const Cpu& cpu, uint64_t seq);
  Scenario scenario_;
  std::optional<ResumePoint> resume_;
  std::vector<Cpu> cpus_;
};

}  // namespace nestrr::replay
