// Setup API: variant names, configuration checks, memory layout.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_machine.h"

namespace nestrr::coretest {
namespace {

TEST(CoreApi, VariantNamesRoundTrip) {
  for (auto v : {CORE_VARIANT_EPT01_FLUSH_INCOMPLETE, CORE_VARIANT_VMXON_TWO_FLAGS,
                 CORE_VARIANT_FIXED, CORE_VARIANT_NMI_INJECT_UNCHECKED,
                 CORE_VARIANT_NMI_VMCS_OVERWRITE}) {
    const char *name = core_variant_name(v);
    core_variant out{};
    ASSERT_TRUE(core_variant_parse(name, std::strlen(name), &out)) << name;
    EXPECT_EQ(out, v);
  }
  core_variant out{};
  EXPECT_TRUE(core_variant_parse("fixed", 5, &out));
  EXPECT_FALSE(core_variant_parse("fix", 3, &out));
  EXPECT_FALSE(core_variant_parse("fixedd", 6, &out));
  EXPECT_FALSE(core_variant_parse("fixed", 4, &out));
  EXPECT_STREQ(core_variant_name(CORE_VARIANT_EPT01_FLUSH_INCOMPLETE),
               "ept01-flush-incomplete");
  EXPECT_STREQ(core_variant_name(CORE_VARIANT_VMXON_TWO_FLAGS),
               "vmxon-two-flags");
  EXPECT_STREQ(core_variant_name(CORE_VARIANT_NMI_INJECT_UNCHECKED), "nmi-inject-unchecked");
  EXPECT_STREQ(core_variant_name(CORE_VARIANT_NMI_VMCS_OVERWRITE), "nmi-vmcs-overwrite");
  EXPECT_STREQ(core_variant_name(static_cast<core_variant>(CORE_VARIANT_COUNT)), "unknown");
}

struct Flat {
  std::vector<uint8_t> mem;
  static void *phys(void *ctx, uint64_t pa, uint64_t len) {
    auto *f = static_cast<Flat *>(ctx);
    if (pa > f->mem.size() || len > f->mem.size() - pa) return nullptr;
    return f->mem.data() + pa;
  }
  static void point(void *, uint32_t, uint32_t) {}
  static void wait(void *, uint32_t, uint32_t, core_wait_pred, void *) {}
  static void nmi(void *, uint32_t, uint32_t) {}
  [[noreturn]] static void halt(void *, uint32_t) { std::abort(); }
  static void fail(void *, uint32_t, const char *, const char *, uint32_t) {}
  core_platform plat() {
    core_platform p{};
    p.ctx = this;
    p.phys = phys;
    p.point = point;
    p.wait_until = wait;
    p.send_nmi = nmi;
    p.halt = halt;
    p.assert_failed = fail;
    return p;
  }
};

TEST(CoreApi, InitChecksConfigAndMemory) {
  static core c;  // large: keep it off the stack
  Flat f;
  core_platform p = f.plat();
  core_config cfg = make_config(2, CORE_VARIANT_FIXED);
  f.mem.assign(core_phys_size(&cfg), 0);
  EXPECT_TRUE(core_init(&c, &cfg, &p));
  EXPECT_EQ(c.phys_size, f.mem.size());

  core_config bad = cfg;
  bad.cpu_count = 0;
  EXPECT_FALSE(core_init(&c, &bad, &p));
  bad.cpu_count = CORE_MAX_CPUS + 1;
  EXPECT_FALSE(core_init(&c, &bad, &p));
  bad = cfg;
  bad.variant = CORE_VARIANT_COUNT;
  EXPECT_FALSE(core_init(&c, &bad, &p));
  bad = cfg;
  bad.l1_mem_size = (4ull << 20) + 4096;
  EXPECT_FALSE(core_init(&c, &bad, &p));
  bad.l1_mem_size = 2ull << 20;
  EXPECT_FALSE(core_init(&c, &bad, &p));
  bad = cfg;
  bad.cpu_count = 3;  // needs more memory than provided
  EXPECT_FALSE(core_init(&c, &bad, &p));
  core_platform missing = p;
  missing.wait_until = nullptr;
  EXPECT_FALSE(core_init(&c, &cfg, &missing));
}

TEST(CoreApi, MemoryLayoutDoesNotOverlap) {
  Machine m(CORE_MAX_CPUS, CORE_VARIANT_FIXED);
  const core *c = m.c();
  EXPECT_GE(c->ept01_pool, c->cfg.l1_mem_size);
  EXPECT_GE(c->ept02_pools, c->ept01_pool + CORE_EPT01_PAGES * CORE_PAGE_SIZE);
  uint64_t end = c->vcpu[CORE_MAX_CPUS - 1].ept02[CORE_EPT02_CACHE - 1].pool_hpa +
                 CORE_EPT02_PAGES * CORE_PAGE_SIZE;
  EXPECT_EQ(end, c->remap_area);
  EXPECT_EQ(c->remap_area + CORE_REMAP_SLOTS * CORE_PAGE_SIZE, c->phys_size);
  // Workload regions sit inside L1 memory and apart from each other.
  EXPECT_LE(core_wl_pal_region(CORE_MAX_CPUS), core_wl_l1_region(0));
  EXPECT_LE(core_wl_l1_region(CORE_MAX_CPUS), c->cfg.l1_mem_size);
}

}  // namespace
}  // namespace nestrr::coretest
