// The assertion path: registers, frame-pointer return addresses, stack
// bytes, bounded by the address check; and the NESTRR_ASSERT macro.
#include <gtest/gtest.h>
#include <pthread.h>

#include "frames.h"

static int g_halts;
#define NESTRR_HALT() (++g_halts)
#include "nestrr/assert.h"

namespace {

struct StackBounds {
  uintptr_t lo = 0, hi = 0;
  static bool ok(void* ctx, uintptr_t addr, uintptr_t n) {
    auto* b = static_cast<StackBounds*>(ctx);
    return addr >= b->lo && addr + n <= b->hi && addr + n >= addr;
  }
};

StackBounds ThisStack() {
  StackBounds b;
  pthread_attr_t attr;
  void* base;
  size_t size;
  pthread_getattr_np(pthread_self(), &attr);
  pthread_attr_getstack(&attr, &base, &size);
  pthread_attr_destroy(&attr);
  b.lo = reinterpret_cast<uintptr_t>(base);
  b.hi = b.lo + size;
  return b;
}

nestrr_logger* g_lg;

__attribute__((noinline)) void Level3(int x) {
  NESTRR_ASSERT(g_lg, 0, x == 42);
  __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) void Level2(int x) {
  Level3(x + 1);
  __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) void Level1(int x) {
  Level2(x + 1);
  __asm__ volatile("" ::: "memory");
}

bool Within(uint64_t addr, void (*fn)(int)) {
  auto start = reinterpret_cast<uint64_t>(fn);
  return addr > start && addr < start + 512;
}

TEST(LoggerAssert, RecordsRegistersFramesAndStack) {
  nestrr_test::Sink sink;
  nestrr_test::Memory mem(1, 8192);
  StackBounds stack = ThisStack();
  nestrr_config cfg{};
  cfg.cpu_count = 1;
  cfg.ring_bytes = 8192;
  cfg.mode = NESTRR_MODE_STREAM;
  cfg.memory = mem.data();
  cfg.memory_bytes = mem.size();
  cfg.write = nestrr_test::Sink::write;
  cfg.write_ctx = &sink;
  cfg.addr_ok = StackBounds::ok;
  cfg.addr_ok_ctx = &stack;
  static nestrr_logger lg;
  ASSERT_TRUE(nestrr_logger_init(&lg, &cfg));
  g_lg = &lg;
  g_halts = 0;
  Level1(40);  // holds: nothing logged
  EXPECT_EQ(g_halts, 0);
  Level1(0);   // fails in Level3
  EXPECT_EQ(g_halts, 1);

  // The assertion path flushed by itself.
  auto cpus = nestrr_test::Reconstruct(nestrr_test::DecodePackets(sink.bytes));
  ASSERT_EQ(cpus[0].records.size(), 1u);
  const auto& a = cpus[0].records[0].record.assertion_failure();
  EXPECT_EQ(a.condition(), "x == 42");
  EXPECT_NE(a.file().find("assert_test.cc"), std::string::npos);
  EXPECT_GT(a.line(), 0u);
  EXPECT_TRUE(Within(a.rip(), Level3)) << std::hex << a.rip();
  EXPECT_EQ(a.registers().rip(), a.rip());
  ASSERT_GE(a.return_address_size(), 3);
  EXPECT_EQ(a.return_address(0), a.rip());
  EXPECT_TRUE(Within(a.return_address(1), Level2));
  EXPECT_TRUE(Within(a.return_address(2), Level1));
  EXPECT_LE(a.return_address_size(), static_cast<int>(NESTRR_ASSERT_FRAMES_MAX));
  EXPECT_EQ(a.stack().size(), NESTRR_ASSERT_STACK_MAX);
  EXPECT_EQ(a.stack_address(), a.registers().rsp());
  EXPECT_GE(a.stack_address(), stack.lo);
  EXPECT_LT(a.stack_address(), stack.hi);
  EXPECT_NE(a.registers().cs(), 0u);
  EXPECT_NE(a.registers().rflags(), 0u);
}

TEST(LoggerAssert, WalkStopsAtInvalidMemory) {
  uintptr_t frame[2] = {0, 0x1234};
  uint64_t out[4];
  auto never = [](void*, uintptr_t, uintptr_t) { return false; };
  EXPECT_EQ(nestrr_walk_frames(reinterpret_cast<uintptr_t>(frame), out, 4, never, nullptr), 0u);
  // A chain that points back down (a loop) stops after one frame.
  uintptr_t loop[2];
  loop[0] = reinterpret_cast<uintptr_t>(loop);
  loop[1] = 0x5678;
  auto always = [](void*, uintptr_t, uintptr_t) { return true; };
  EXPECT_EQ(nestrr_walk_frames(reinterpret_cast<uintptr_t>(loop), out, 4, always, nullptr), 1u);
  EXPECT_EQ(out[0], 0x5678u);
  EXPECT_EQ(nestrr_walk_frames(0, out, 4, always, nullptr), 0u);
}

}  // namespace
