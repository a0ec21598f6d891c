/*
 * Key frames for log=flight: the flight recorder keeps only each CPU's last
 * records, so every so often the CPUs meet between two workload steps and
 * the last to arrive copies the core's state and machine memory into the
 * logger's key-frame store (nestrr_logger_keyframe_take). A replay of the
 * dump starts from the oldest key frame whose following records are all
 * still in the rings.
 *
 * The meeting is a barrier that never blocks the run: a CPU that finds an
 * NMI latched, a stop, or the others late leaves it and runs its next step
 * (the NMI is then taken at that step's first yield point, as always), and
 * the key frame is tried again at a later step boundary. A key frame is
 * published only if no NMI was latched or in progress on any CPU before or
 * after the copy, so its state is one the replay can resume from.
 */
#ifndef NESTRR_TESTBOX_KEYFRAME_H
#define NESTRR_TESTBOX_KEYFRAME_H

#include <stdint.h>

#include "nestrr/core/core.h"
#include "nestrr/logger.h"

struct keyframe_site {
  struct nestrr_logger *lg;
  struct core *core;
  void *phys;
  uint64_t phys_size;
  uint32_t cpu_count;
  volatile uint32_t *stop, *freeze; /* leave the barrier when set */
};

/* Flight mode: gives the logger the key-frame store (before its init). */
void keyframe_setup(const struct keyframe_site *site, struct nestrr_config *lc);
/* `cpu` stands between two steps of its workload, or idles: joins the
 * key frame if one is due. Returns at once otherwise. */
void keyframe_step_boundary(uint32_t cpu);
/* Key frames published / given up so far (for the end-of-run line). */
uint64_t keyframe_published(void);
uint64_t keyframe_abandoned(void);

#endif
