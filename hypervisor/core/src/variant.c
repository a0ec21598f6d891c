/*
 * The run-time variants' names (core_variant_parse, core_variant_name);
 * what each variant changes is variant.h's.
 */
#include "nestrr/core/core.h"

static bool str_eq(const char *a, size_t alen, const char *b) {
  size_t i = 0;
  for (; i < alen; i++)
    if (b[i] == 0 || a[i] != b[i]) return false;
  return b[i] == 0;
}

static const char *const variant_names[CORE_VARIANT_COUNT] = {
    "ept01-flush-incomplete", "vmxon-two-flags", "fixed", "nmi-inject-unchecked",
    "nmi-vmcs-overwrite"};

bool core_variant_parse(const char *s, size_t len, enum core_variant *out) {
  for (uint32_t i = 0; i < CORE_VARIANT_COUNT; i++) {
    if (str_eq(s, len, variant_names[i])) {
      *out = (enum core_variant)i;
      return true;
    }
  }
  return false;
}

const char *core_variant_name(enum core_variant v) {
  return (uint32_t)v < CORE_VARIANT_COUNT ? variant_names[v] : "unknown";
}
