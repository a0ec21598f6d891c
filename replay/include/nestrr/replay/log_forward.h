// The one mapping from what the core reports (events, synchronization,
// assertions) to logger calls. Record writes the log through it and replay
// re-logs through it to compare, so both sides always agree on the records.
#pragma once

#include <cstdint>

extern "C" {
#include "nestrr/core/core.h"
#include "nestrr/logger.h"
}

namespace nestrr::replay {

// A core event as a record. `interrupted_rip` is the RIP the current NMI
// interrupted (used by CORE_EV_NMI_RECEIVED only; replay passes 0).
void forward_event(nestrr_logger* lg, uint32_t cpu, const core_event& ev,
                   uint64_t interrupted_rip);

// Synchronization order (design.md, "Determinism"). Logged: every lock
// acquisition with its ticket (core_lock_ticket: replay gives each lock to
// the CPU whose ticket is next) and every wait_until completion (checked).
// Releases are not logged: a release always sits at a fixed point of its
// CPU's own stream, so it adds nothing to the order.
void forward_lock_acquired(nestrr_logger* lg, uint32_t cpu, uint32_t lock, uint64_t progress,
                           uint64_t ticket);
void forward_wait_done(nestrr_logger* lg, uint32_t cpu, uint32_t point, uint64_t progress);

// What the assertion path captured on the failing CPU.
struct CapturedStack {
  nestrr_regs regs{};
  uint64_t return_addrs[NESTRR_ASSERT_FRAMES_MAX] = {};
  uint32_t frame_count = 0;
  uint64_t stack_addr = 0;
  const void* stack = nullptr;
  uint32_t stack_bytes = 0;
};
// True if the record was stored.
bool forward_assertion(nestrr_logger* lg, uint32_t cpu, const char* condition, const char* file,
                       uint32_t line, const CapturedStack& captured);

}  // namespace nestrr::replay
