// PALs: registration isolates pages from L1 through EPT01 (a quiesce),
// running touches them through their machine addresses, unregistration
// gives them back.
#include <gtest/gtest.h>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

TEST(Pal, RegisterIsolatesRunTouchesUnregisterRestores) {
  Machine m(1, CORE_VARIANT_FIXED);
  core_vcpu *v = m.vcpu(0);
  uint64_t gpa = core_wl_pal_region(0), value = 0;
  uint64_t id = core_pal_register(v, gpa, 2);
  ASSERT_NE(id, 0u);
  EXPECT_FALSE(core_l1_read64(v, gpa, &value));
  EXPECT_FALSE(core_l1_read64(v, gpa + CORE_PAGE_SIZE, &value));
  EXPECT_TRUE(core_l1_read64(v, gpa + 2 * CORE_PAGE_SIZE, &value));
  EXPECT_TRUE(core_pal_run(v, id));
  EXPECT_TRUE(core_pal_run(v, id));
  EXPECT_TRUE(core_pal_unregister(v, id));
  ASSERT_TRUE(core_l1_read64(v, gpa + CORE_PAGE_SIZE, &value));
  EXPECT_EQ(value, 2u);  // what the PAL wrote on its second run
  EXPECT_EQ(m.c()->quiesce.generation, 2u);
  bool registered = false, unregistered = false;
  for (const auto &e : m.cpu(0).events) {
    if (e.kind == CORE_EV_PAL_REGISTER) {
      registered = true;
      EXPECT_EQ(e.a, id);
      EXPECT_EQ(e.b, gpa);
      EXPECT_EQ(e.c, 2 * CORE_PAGE_SIZE);
    }
    if (e.kind == CORE_EV_PAL_UNREGISTER) unregistered = e.a == id;
  }
  EXPECT_TRUE(registered);
  EXPECT_TRUE(unregistered);
}

TEST(Pal, RejectsBadRequests) {
  Machine m(1, CORE_VARIANT_FIXED);
  core_vcpu *v = m.vcpu(0);
  uint64_t gpa = core_wl_pal_region(0);
  EXPECT_EQ(core_pal_register(v, gpa + 8, 1), 0u);          // unaligned
  EXPECT_EQ(core_pal_register(v, gpa, 0), 0u);              // empty
  EXPECT_EQ(core_pal_register(v, gpa, CORE_PAL_MAX_PAGES + 1), 0u);
  EXPECT_EQ(core_pal_register(v, 1ull << 32, 1), 0u);       // not L1 memory
  uint64_t id = core_pal_register(v, gpa, 2);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(core_pal_register(v, gpa + CORE_PAGE_SIZE, 1), 0u);  // overlap
  EXPECT_FALSE(core_pal_run(v, id + 100));
  EXPECT_FALSE(core_pal_unregister(v, id + 100));
  EXPECT_TRUE(core_pal_unregister(v, id));
  EXPECT_FALSE(core_pal_unregister(v, id));
}

}  // namespace
}  // namespace nestrr::coretest
