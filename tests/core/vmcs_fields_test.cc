// The VMCS field table against the SDM's encoding rules.
#include <gtest/gtest.h>

#include <set>
#include <string>

extern "C" {
#include "nestrr/core/vmcs_fields.h"
}

namespace {

TEST(VmcsFields, SortedAndUnique) {
  ASSERT_GT(vmcs_field_count, 150u);
  for (uint32_t i = 1; i < vmcs_field_count; i++)
    EXPECT_LT(vmcs_fields[i - 1].encoding, vmcs_fields[i].encoding)
        << vmcs_fields[i].name;
  std::set<std::string> names;
  for (uint32_t i = 0; i < vmcs_field_count; i++)
    EXPECT_TRUE(names.insert(vmcs_fields[i].name).second) << vmcs_fields[i].name;
}

TEST(VmcsFields, WidthAndKindMatchEncodingBits) {
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    const vmcs_field &f = vmcs_fields[i];
    EXPECT_EQ(vmcs_encoding_width(f.encoding), f.width) << f.name;
    EXPECT_EQ(vmcs_encoding_kind(f.encoding), f.kind) << f.name;
    EXPECT_EQ(f.encoding & 1u, 0u) << f.name;          // full access
    EXPECT_EQ(f.encoding & 0x1000u, 0u) << f.name;     // bit 12 reserved
    EXPECT_EQ(f.encoding >> 15, 0u) << f.name;         // bits 31:15 reserved
  }
}

TEST(VmcsFields, LookupAndHighAccess) {
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    bool high = true;
    EXPECT_EQ(vmcs_field_index(vmcs_fields[i].encoding, &high),
              static_cast<int>(i));
    EXPECT_FALSE(high);
    if (vmcs_fields[i].width == VMCS_W64) {
      EXPECT_EQ(vmcs_field_index(vmcs_fields[i].encoding | 1u, &high),
                static_cast<int>(i));
      EXPECT_TRUE(high);
    } else {
      EXPECT_EQ(vmcs_field_index(vmcs_fields[i].encoding | 1u, nullptr), -1);
    }
  }
  EXPECT_EQ(vmcs_field_index(0x7fff, nullptr), -1);
  EXPECT_EQ(vmcs_field_index(0x2402, nullptr), -1);
}

// The direct-mapped lookup against the table itself, on every 16-bit
// encoding and a few with bits above: a field is found at its position,
// its high half (64-bit fields only) too, anything else is not a field.
TEST(VmcsFields, LookupAgreesWithALinearScanOnEveryEncoding) {
  auto scan = [](uint32_t e, bool* high) {
    for (uint32_t i = 0; i < vmcs_field_count; i++) {
      if (vmcs_fields[i].encoding == e) return *high = false, static_cast<int>(i);
      if (vmcs_fields[i].width == VMCS_W64 && (vmcs_fields[i].encoding | 1u) == e)
        return *high = true, static_cast<int>(i);
    }
    return -1;
  };
  int found = 0;
  for (uint32_t e = 0; e < 0x10000u + 8; e++) {
    const uint32_t enc = e < 0x10000u ? e : 0x2000u | (1u << (15 + e - 0x10000u));
    bool want_high = false, got_high = false;
    const int want = scan(enc, &want_high);
    ASSERT_EQ(vmcs_field_index(enc, &got_high), want) << std::hex << enc;
    if (want >= 0) {
      EXPECT_EQ(got_high, want_high) << std::hex << enc;
      found++;
    }
  }
  EXPECT_GT(found, static_cast<int>(vmcs_field_count));  // the high halves too
}

TEST(VmcsFields, GuestPhysicalAddressProperty) {
  const std::set<uint32_t> expected = {
      0x2000, 0x2002, 0x2004, 0x2006, 0x2008, 0x200a, 0x200e, 0x2012,
      0x2014, 0x2016, 0x2024, 0x2026, 0x2028, 0x202a, 0x2030, 0x2038,
      0x203a, 0x2042};
  std::set<uint32_t> got;
  for (uint32_t i = 0; i < vmcs_field_count; i++) {
    const vmcs_field &f = vmcs_fields[i];
    if (f.props & VMCS_PROP_GPA) {
      got.insert(f.encoding);
      EXPECT_EQ(f.width, VMCS_W64) << f.name;
      EXPECT_EQ(f.kind, VMCS_CONTROL) << f.name;
      EXPECT_NE(f.enable_field, VMCS_ENABLE_ALWAYS) << f.name;
      EXPECT_GE(vmcs_field_index(f.enable_field, nullptr), 0) << f.name;
    }
  }
  EXPECT_EQ(got, expected);
  EXPECT_LE(got.size(), VMCS_GPA_FIELDS_MAX);  // translation records hold them all
  int eptp = vmcs_field_index(VMCS_EPT_POINTER, nullptr);
  ASSERT_GE(eptp, 0);
  EXPECT_EQ(vmcs_fields[eptp].props, VMCS_PROP_EPTP);
  EXPECT_STREQ(vmcs_fields[eptp].name, "EPT pointer (EPTP)");
}

TEST(VmcsFields, OfficialNames) {
  auto name = [](uint32_t e) {
    return std::string(vmcs_fields[vmcs_field_index(e, nullptr)].name);
  };
  EXPECT_EQ(name(0x0000), "Virtual-processor identifier (VPID)");
  EXPECT_EQ(name(0x2000), "Address of I/O bitmap A");
  EXPECT_EQ(name(0x4400), "VM-instruction error");
  EXPECT_EQ(name(0x4402), "Exit reason");
  EXPECT_EQ(name(0x681e), "Guest RIP");
  EXPECT_EQ(name(0x6c16), "Host RIP");
}

TEST(VmcsFields, WidthMask) {
  EXPECT_EQ(vmcs_width_mask(VMCS_W16), 0xffffu);
  EXPECT_EQ(vmcs_width_mask(VMCS_W32), 0xffffffffu);
  EXPECT_EQ(vmcs_width_mask(VMCS_W64), ~0ull);
  EXPECT_EQ(vmcs_width_mask(VMCS_WNAT), ~0ull);
}

}  // namespace
