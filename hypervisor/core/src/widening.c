/*
 * The widen=POINT:NANOSECONDS grammar (nestrr/core/widening.h).
 */
#include "nestrr/core/widening.h"

#include "nestrr/core/core.h"

static bool decimal(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return true;
}

bool core_widening_parse(const char *spec, size_t len, uint32_t *point, uint64_t *nanoseconds) {
  size_t colon = 0;
  while (colon < len && spec[colon] != ':') colon++;
  uint64_t ns, id;
  if (colon == len || !decimal(spec + colon + 1, len - colon - 1, &ns)) return false;
  static const char vmxon[] = "vmxon";
  if (colon == sizeof vmxon - 1) {
    size_t i = 0;
    while (i < colon && spec[i] == vmxon[i]) i++;
    if (i == colon) {
      *point = CORE_POINT_VMXON_SET_ROOT;
      *nanoseconds = ns;
      return true;
    }
  }
  if (!decimal(spec, colon, &id) || id == 0 || id > 255) return false;
  *point = (uint32_t)id;
  *nanoseconds = ns;
  return true;
}
