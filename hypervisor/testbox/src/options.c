/* Kernel command line parser: words separated by spaces, key=value. */
#include "options.h"

static uint32_t slen(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}

static bool eq(const char *a, uint32_t n, const char *b) {
  uint32_t i = 0;
  for (; i < n; i++)
    if (!b[i] || a[i] != b[i]) return false;
  return b[i] == 0;
}

static bool parse_u64(const char *s, uint32_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0) return false;
  for (uint32_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return true;
}

static const char *const workload_names[] = {"idle", "l1", "pal", "remap", "nmi"};
#define WORKLOAD_KINDS (sizeof(workload_names) / sizeof(workload_names[0]))

const char *options_workload_name(uint32_t kind) {
  return kind < WORKLOAD_KINDS ? workload_names[kind] : "unknown";
}

static bool parse_workloads(const char *v, uint32_t vn, struct testbox_options *o) {
  uint32_t i = 0;
  o->workload_count = 0;
  while (i <= vn) {
    uint32_t start = i;
    while (i < vn && v[i] != ',') i++;
    uint32_t kind = 0;
    while (kind < WORKLOAD_KINDS && !eq(v + start, i - start, workload_names[kind])) kind++;
    if (kind == WORKLOAD_KINDS || o->workload_count == CORE_MAX_CPUS) return false;
    o->workload[o->workload_count++] = kind;
    i++;
  }
  o->cpus = o->workload_count;
  return true;
}

/* err = "<what> '<word>' at column <col>" */
static void set_err(char *err, uint32_t len, const char *what, const char *word, uint32_t wlen,
                    uint32_t col) {
  uint32_t k = 0;
  char digits[12];
  int nd = 0;
#define PUT(c) do { if (k + 1 < len) err[k++] = (c); } while (0)
  for (const char *p = what; *p; p++) PUT(*p);
  PUT(' ');
  PUT('\'');
  for (uint32_t i = 0; i < wlen; i++) PUT(word[i]);
  PUT('\'');
  for (const char *p = " at column "; *p; p++) PUT(*p);
  do {
    digits[nd++] = (char)('0' + col % 10);
    col /= 10;
  } while (col);
  while (nd) { /* not PUT(digits[--nd]): PUT skips its argument when full */
    nd--;
    PUT(digits[nd]);
  }
#undef PUT
  if (len) err[k] = 0;
}

static bool word(const char *w, uint32_t n, uint32_t col, struct testbox_options *o, char *err,
                 uint32_t err_len) {
  uint32_t eqpos = 0;
  while (eqpos < n && w[eqpos] != '=') eqpos++;
  if (eqpos == n) {
    set_err(err, err_len, "expected key=value, got", w, n, col);
    return false;
  }
  const char *v = w + eqpos + 1;
  uint32_t vn = n - eqpos - 1;
  uint64_t num = 0;
  if (eq(w, eqpos, "variant")) {
    if (!core_variant_parse(v, vn, &o->variant)) {
      set_err(err, err_len, "unknown variant", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "cpus")) {
    if (!parse_u64(v, vn, &num) || num == 0 || num > CORE_MAX_CPUS) {
      set_err(err, err_len, "cpus wants 1..8, got", v, vn, col + eqpos + 1);
      return false;
    }
    o->cpus = (uint32_t)num;
  } else if (eq(w, eqpos, "iterations")) {
    if (!parse_u64(v, vn, &o->iterations)) {
      set_err(err, err_len, "iterations wants a number, got", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "time-limit")) {
    if (!parse_u64(v, vn, &o->time_limit_ms)) {
      set_err(err, err_len, "time-limit wants milliseconds, got", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "seed")) {
    if (!parse_u64(v, vn, &o->seed)) {
      set_err(err, err_len, "seed wants a number, got", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "widen")) {
    uint32_t c = 0;
    while (c < vn && v[c] != ':') c++;
    if (c == vn || !parse_u64(v + c + 1, vn - c - 1, &o->widen_ns)) {
      set_err(err, err_len, "widen wants POINT:NANOSECONDS, got", v, vn, col + eqpos + 1);
      return false;
    }
    if (eq(v, c, "vmxon")) {
      o->widen_point = CORE_POINT_VMXON_SET_ROOT;
    } else if (parse_u64(v, c, &num) && num > 0 && num < 256) {
      o->widen_point = (uint32_t)num;
    } else {
      set_err(err, err_len, "widen: unknown point", v, c, col + eqpos + 1);
      return false;
    }
    if (n >= sizeof o->widen_option) {
      set_err(err, err_len, "widen option too long:", w, n, col);
      return false;
    }
    for (uint32_t i = 0; i < n; i++) o->widen_option[i] = w[i];
    o->widen_option[n] = 0;
  } else if (eq(w, eqpos, "log")) {
    o->flight = o->paced = false;
    if (eq(v, vn, "stream")) {
    } else if (eq(v, vn, "paced")) {
      o->paced = true;
    } else if (eq(v, vn, "flight")) {
      o->flight = true;
    } else {
      set_err(err, err_len, "log wants stream, paced or flight, got", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "workload")) {
    if (!parse_workloads(v, vn, o)) {
      set_err(err, err_len, "workload wants 1..8 of idle,l1,pal,remap,nmi, got", v, vn, col + eqpos + 1);
      return false;
    }
  } else if (eq(w, eqpos, "selftest")) {
    if (!eq(v, vn, "smp")) {
      set_err(err, err_len, "unknown selftest", v, vn, col + eqpos + 1);
      return false;
    }
    o->run = TESTBOX_RUN_SELFTEST;
  } else if (eq(w, eqpos, "bench")) {
    if (!eq(v, vn, "logger-cost")) {
      set_err(err, err_len, "unknown bench", v, vn, col + eqpos + 1);
      return false;
    }
    o->run = TESTBOX_RUN_LOGGER_COST;
  } else {
    set_err(err, err_len, "unknown option", w, eqpos, col);
    return false;
  }
  return true;
}

bool options_parse(const char *cmdline, struct testbox_options *o, char *err, uint32_t err_len) {
  o->run = TESTBOX_RUN_CORE;
  o->variant = CORE_VARIANT_FIXED;
  o->cpus = 2;
  o->iterations = 0;
  o->seed = 0;
  o->widen_point = 0;
  o->widen_ns = 0;
  o->widen_option[0] = 0;
  o->flight = false;
  o->paced = false;
  o->workload_count = 0;
  if (!cmdline) return true;
  uint32_t n = slen(cmdline), i = 0;
  bool first = true;
  while (i < n) {
    while (i < n && cmdline[i] == ' ') i++;
    uint32_t start = i;
    while (i < n && cmdline[i] != ' ') i++;
    if (i == start) break;
    if (first) { /* QEMU puts the kernel's file name first */
      first = false;
      continue;
    }
    if (!word(cmdline + start, i - start, start + 1, o, err, err_len)) return false;
  }
  return true;
}
