// The wiring every host machine of the core shares (the recorder on
// threads, replay and exploration on fibers, the core's own tests): a
// core_platform whose callbacks land in the machine's member functions of
// the same names, and the logger set up over memory the machine owns.
// A machine defines phys, send_nmi, tsc, halt, point, wait_until and
// assert_failed; lock_acquired, lock_released and event when it wants
// them (left out, the platform reports nothing there).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include "nestrr/core/platform.h"
#include "nestrr/logger.h"
}

namespace nestrr::replay {

// The halt callback's type is noreturn (a GNU attribute, part of the type
// for clang): a lambda cannot carry it; a static member function declared
// the same way converts under both gcc and clang.
template <class M>
struct HaltOf {
  __attribute__((noreturn)) static void call(void* ctx, uint32_t cpu) {
    static_cast<M*>(ctx)->halt(cpu);
    std::abort();  // a machine's halt never comes back
  }
};

template <class M>
core_platform platform_of(M* machine) {
  core_platform p{};
  p.ctx = machine;
  p.phys = [](void* ctx, uint64_t pa, uint64_t len) -> void* {
    return static_cast<M*>(ctx)->phys(pa, len);
  };
  p.send_nmi = [](void* ctx, uint32_t from, uint32_t to) { static_cast<M*>(ctx)->send_nmi(from, to); };
  p.tsc = [](void* ctx, uint32_t cpu) -> uint64_t { return static_cast<M*>(ctx)->tsc(cpu); };
  p.halt = &HaltOf<M>::call;
  p.point = [](void* ctx, uint32_t cpu, uint32_t id) { static_cast<M*>(ctx)->point(cpu, id); };
  p.wait_until = [](void* ctx, uint32_t cpu, uint32_t id, core_wait_pred pred, void* arg) {
    static_cast<M*>(ctx)->wait_until(cpu, id, pred, arg);
  };
  p.assert_failed = [](void* ctx, uint32_t cpu, const char* cond, const char* file, uint32_t line) {
    static_cast<M*>(ctx)->assert_failed(cpu, cond, file, line);
  };
  if constexpr (requires { machine->lock_acquired(0u, 0u); })
    p.lock_acquired = [](void* ctx, uint32_t cpu, uint32_t lock) {
      static_cast<M*>(ctx)->lock_acquired(cpu, lock);
    };
  if constexpr (requires { machine->lock_released(0u, 0u); })
    p.lock_released = [](void* ctx, uint32_t cpu, uint32_t lock) {
      static_cast<M*>(ctx)->lock_released(cpu, lock);
    };
  if constexpr (requires(const core_event& ev) { machine->event(0u, ev); })
    p.event = [](void* ctx, uint32_t cpu, const core_event* ev) { static_cast<M*>(ctx)->event(cpu, *ev); };
  return p;
}

// The logger over `memory` (resized here to what the config needs); the
// caller fills everything else of `config`. Throws std::logic_error naming
// `who` when the logger refuses it.
inline void init_logger(nestrr_logger* lg, std::vector<uint64_t>* memory, nestrr_config config,
                        const char* who) {
  memory->assign(NESTRR_LOGGER_MEMORY_BYTES(config.cpu_count, config.ring_bytes) / 8 + 1, 0);
  config.memory = memory->data();
  config.memory_bytes = memory->size() * 8;
  if (!nestrr_logger_init(lg, &config))
    throw std::logic_error(std::string(who) + ": the logger refused its configuration");
}

}  // namespace nestrr::replay
