/* Logger setup: carves per-CPU state and rings out of caller memory and
 * announces the stream with a Header frame. */
#include "internal.h"

bool nestrr_logger_init(struct nestrr_logger *lg, const struct nestrr_config *config) {
  unsigned char *mem = (unsigned char *)config->memory;
  uintptr_t align = (8u - ((uintptr_t)mem & 7u)) & 7u;
  uint32_t cpu;
  unsigned long state_bytes;
  if (config->cpu_count == 0 || !mem) return false;
  if (config->mode != NESTRR_MODE_STREAM && config->mode != NESTRR_MODE_FLIGHT) return false;
  if (config->dt_shift > 16u) return false;
  if (config->memory_bytes < NESTRR_LOGGER_MEMORY_BYTES(config->cpu_count, config->ring_bytes))
    return false;
  lg->abi_version = NESTRR_LOGGER_ABI_VERSION;
  lg->cpu_count = config->cpu_count;
  lg->mode = (uint32_t)config->mode;
  lg->sink_lock = 0;
  lg->dump_busy = 0;
  lg->ring_bytes = config->ring_bytes;
  /* Field by field: a struct assignment may become a memcpy call. */
  lg->config.cpu_count = config->cpu_count;
  lg->config.ring_bytes = config->ring_bytes;
  lg->config.mode = config->mode;
  lg->config.memory = config->memory;
  lg->config.memory_bytes = config->memory_bytes;
  lg->config.write = config->write;
  lg->config.write_ctx = config->write_ctx;
  lg->config.tsc_hz = config->tsc_hz;
  lg->config.description = config->description;
  lg->config.modules = config->modules;
  lg->config.module_count = config->module_count;
  lg->config.clock = config->clock;
  lg->config.clock_ctx = config->clock_ctx;
  lg->config.addr_ok = config->addr_ok;
  lg->config.addr_ok_ctx = config->addr_ok_ctx;
  lg->config.header_every_frames = config->header_every_frames;
  lg->config.scenario = config->scenario;
  lg->config.packet = config->packet;
  lg->config.packet_ctx = config->packet_ctx;
  lg->config.keyframe_memory = config->keyframe_memory;
  lg->config.keyframe_bytes = config->keyframe_bytes;
  lg->config.dt_shift = config->dt_shift;
  lg->config.records_only = config->records_only;
  lg->kf_newest = 1; /* the first key frame goes to half 0 */
  lg->kf_pending = 0;
  lg->kf_last_id = 0;
  nestrr_keyframe_init(lg);
  lg->frames_since_header = 0;
  mem += align;
  state_bytes = (unsigned long)config->cpu_count * sizeof(struct nestrr_cpu_state);
  lg->cpus = (struct nestrr_cpu_state *)(void *)mem;
  lg->rings = mem + state_bytes;
  for (cpu = 0; cpu < config->cpu_count; cpu++) {
    struct nestrr_cpu_state *st = &lg->cpus[cpu];
    if (!nestrr_ring_init(&st->ring, lg->rings + (unsigned long)cpu * config->ring_bytes,
                          config->ring_bytes, config->mode))
      return false;
  }
  if (lg->mode == NESTRR_MODE_STREAM)
    nestrr_emit_header(lg, &lg->dump_scratch, NESTRR_HEADER_SINK_STREAM);
  return true;
}
