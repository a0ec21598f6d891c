/* Frame output and the non-chunk packets: Header and Trailer. */
#include "arch.h"
#include "internal.h"

void nestrr_emit_payload(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t len) {
  unsigned long n;
  if (lg->config.packet) {
    while (!nestrr_try_lock(&lg->sink_lock)) nestrr_cpu_relax();
    lg->config.packet(lg->config.packet_ctx, (const char *)sc->payload, len);
    nestrr_unlock(&lg->sink_lock);
    return;
  }
  if (!lg->config.write) return;
  n = nestrr_frame_encode(sc->payload, len, sc->line);
  if (n == 0) return;
  while (!nestrr_try_lock(&lg->sink_lock)) nestrr_cpu_relax();
  lg->config.write(lg->config.write_ctx, sc->line, n);
  nestrr_unlock(&lg->sink_lock);
}

static uint32_t text_len(const char *s) {
  uint32_t n = 0;
  while (s && s[n] && n < 1024u) n++;
  return n;
}

static bool module_body(struct nestrr_pb_out *o, const void *arg) {
  const struct nestrr_module *m = (const struct nestrr_module *)arg;
  return nestrr_pb_string_nz(o, NESTRR_T_MODULE_NAME, m->name, text_len(m->name)) &&
         nestrr_pb_string_nz(o, NESTRR_T_MODULE_BUILD_ID, m->build_id,
                             m->build_id ? m->build_id_bytes : 0) &&
         nestrr_pb_uint_nz(o, NESTRR_T_MODULE_LOAD_BIAS, m->load_bias);
}

static bool strings(struct nestrr_pb_out *o, uint32_t tag, const char *const *v, uint32_t n) {
  uint32_t i;
  for (i = 0; v && i < n; i++) {
    uint32_t len = text_len(v[i]); /* repeated: an empty element is still written */
    if (!nestrr_pb_tag(o, tag) || !nestrr_pb_varint(o, len) ||
        (len && !nestrr_pb_bytes(o, v[i], len)))
      return false;
  }
  return true;
}

static bool scenario_body(struct nestrr_pb_out *o, const void *arg) {
  const struct nestrr_scenario *s = (const struct nestrr_scenario *)arg;
  return nestrr_pb_string_nz(o, NESTRR_T_SCENARIO_VARIANT, s->variant, text_len(s->variant)) &&
         nestrr_pb_uint_nz(o, NESTRR_T_SCENARIO_SEED, s->seed) &&
         strings(o, NESTRR_T_SCENARIO_CPU_WORKLOAD, s->cpu_workload, s->cpu_workload_count) &&
         nestrr_pb_uint_nz(o, NESTRR_T_SCENARIO_ITERATIONS, s->iterations) &&
         strings(o, NESTRR_T_SCENARIO_OPTION, s->option, s->option_count) &&
         nestrr_pb_string_nz(o, NESTRR_T_SCENARIO_ORIGIN, s->origin, text_len(s->origin));
}

struct header_arg {
  const struct nestrr_logger *lg;
  uint32_t sink;
};

static bool header_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct header_arg *arg = (const struct header_arg *)arg_;
  const struct nestrr_config *c = &arg->lg->config;
  uint32_t i;
  if (!nestrr_pb_uint_nz(o, NESTRR_T_HEADER_FORMAT_VERSION, NESTRR_FORMAT_VERSION) ||
      !nestrr_pb_uint_nz(o, NESTRR_T_HEADER_CPU_COUNT, arg->lg->cpu_count) ||
      !nestrr_pb_uint_nz(o, NESTRR_T_HEADER_TSC_HZ, c->tsc_hz))
    return false;
  for (i = 0; c->modules && i < c->module_count; i++)
    if (!nestrr_pb_submsg(o, NESTRR_T_HEADER_MODULE, module_body, &c->modules[i])) return false;
  return nestrr_pb_string_nz(o, NESTRR_T_HEADER_DESCRIPTION, c->description,
                             text_len(c->description)) &&
         nestrr_pb_uint_nz(o, NESTRR_T_HEADER_SINK, arg->sink) &&
         nestrr_pb_uint_nz(o, NESTRR_T_HEADER_ADDRESS_BITS, 8u * (uint32_t)sizeof(void *)) &&
         (!c->scenario ||
          nestrr_pb_submsg(o, NESTRR_T_HEADER_SCENARIO, scenario_body, c->scenario));
}

void nestrr_emit_header(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t sink) {
  struct nestrr_pb_out o;
  struct header_arg arg;
  arg.lg = lg;
  arg.sink = sink;
  nestrr_pb_init(&o, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
  /* A module table too big for one frame is cut: the header is still sent. */
  if (!nestrr_pb_submsg(&o, NESTRR_T_PACKET_HEADER, header_body, &arg)) return;
  nestrr_emit_payload(lg, sc, o.len);
}

struct trailer_arg {
  uint32_t cpu;
  uint64_t next_seq, dropped;
};

static bool trailer_body(struct nestrr_pb_out *o, const void *arg_) {
  const struct trailer_arg *t = (const struct trailer_arg *)arg_;
  return nestrr_pb_uint_nz(o, NESTRR_T_TRAILER_CPU, t->cpu) &&
         nestrr_pb_uint_nz(o, NESTRR_T_TRAILER_NEXT_SEQ, t->next_seq) &&
         nestrr_pb_uint_nz(o, NESTRR_T_TRAILER_DROPPED, t->dropped);
}

void nestrr_emit_trailer(struct nestrr_logger *lg, struct nestrr_scratch *sc, uint32_t cpu,
                         uint64_t next_seq, uint64_t dropped) {
  struct nestrr_pb_out o;
  struct trailer_arg t;
  t.cpu = cpu;
  t.next_seq = next_seq;
  t.dropped = dropped;
  nestrr_pb_init(&o, sc->payload, NESTRR_FRAME_MAX_PAYLOAD);
  if (nestrr_pb_submsg(&o, NESTRR_T_PACKET_TRAILER, trailer_body, &t))
    nestrr_emit_payload(lg, sc, o.len);
}
