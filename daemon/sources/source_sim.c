/* The `sim` source: a believable simulated K230 running CanMV, for demos,
 * tests and benchmarks without a board.
 *
 * The simulated program alternates between an idle REPL and a camera + AI
 * pipeline (sensor -> AI model -> display), on a schedule drawn from the
 * seed. Its MicroPython gc heap (4 MiB, sim_heap.h) sees the allocation rate
 * of each phase: a trickle when idle; ~1-1.6 MB/s of short-lived objects
 * while the pipeline runs, most of them garbage within the frame, some large
 * buffers, and a few hundred KiB of pipeline objects that live until it
 * stops. The system counters follow the same phases: MMZ steps up as the
 * sensor buffers, the model and the display buffers are allocated at
 * pipeline start and drops back at stop; the kernel heap and user pages rise
 * with the pipeline and wander a little each second.
 *
 * Sizes are those of the 512 MiB CanMV-K230 board: 256 MiB for RT-Smart
 * (32 MiB of it kernel heap) and 256 MiB of MMZ (kendryte/canmv_k230
 * boards/Kconfig.memory_static, BOARD_K230_CANMV); the user page pool is
 * RT-Smart's share less the kernel heap and image (assumed 214 MiB).
 *
 * The "heavy" workload (gcmon_source_config.workload) is the same board
 * under more pressure: the pipeline is idle for only 1-2 s between runs,
 * allocates three times as fast, and the kernel heap and user pages move
 * every 10 ms instead of every second (a worst case for the compact stream).
 *
 * Time: the workload advances in fixed 10 ms steps from the first instant the
 * source is given (the first read or collect), up to each now_us it is
 * given, and every random number is a function of (seed, purpose, step), so
 * the same seed read at the same instants gives the same readings however
 * often it is read in between. set_threshold/set_enabled carry no instant:
 * they take effect at the next instant the source is given (the agent reads
 * right after a control to answer it, so that is the control's instant). */
#include "sim_heap.h"
#include "sim_scenario.h"
#include "source_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB           GCMON_SIM_KIB
#define MIB           GCMON_SIM_MIB
#define BLOCKS(bytes) ((bytes) / GCMON_SIM_BLOCK_BYTES)

#define STEP_US     10000ull
#define SEEN_MAX    32
#define STEPS_PER_S (1000000ull / STEP_US)

/* Pool sizes and idle use (sim_scenario.h): with no pipeline, in MMZ an
 * OpenMV-style frame-buffer arena of CONFIG_CANMV_OPENMV_CFG_FB_ALLOC_SIZE
 * (0x1400000 in kendryte/canmv_k230 configs/k230_canmv_v3p0_defconfig and
 * the other CanMV boards; assumed to live in MMZ) and 1.5 MiB of system
 * blocks; kernel heap and user pages of a booted system running MicroPython
 * (assumed). */
#define GC_HEAP_BYTES   GCMON_SIM_GC_HEAP_BYTES
#define SYS_TOTAL       GCMON_SIM_SYS_TOTAL
#define MMZ_TOTAL       GCMON_SIM_MMZ_TOTAL
#define KHEAP_TOTAL     GCMON_SIM_KHEAP_TOTAL
#define PAGE_TOTAL      GCMON_SIM_PAGE_TOTAL
#define PAGE_SIZE_BYTES GCMON_SIM_PAGE_BYTES
#define MMZ_IDLE_USED   GCMON_SIM_MMZ_IDLE_USED
#define KHEAP_IDLE_USED GCMON_SIM_KHEAP_IDLE_USED
#define PAGE_IDLE_USED  GCMON_SIM_PAGE_IDLE_USED

/* The pipeline's start-up order, in steps after it starts: sensor buffers
 * at once, the AI model 150 ms later, display buffers after 300 ms. */
#define START_MODEL_STEPS 15
#define START_OSD_STEPS   30

#define STREAM_BOOT    GCMON_SIM_STREAM_BOOT
#define STREAM_PHASE   GCMON_SIM_STREAM_PHASE
#define STREAM_STEP    GCMON_SIM_STREAM_STEP
#define STREAM_COLLECT GCMON_SIM_STREAM_COLLECT
#define STREAM_KHEAP   GCMON_SIM_STREAM_KHEAP
#define STREAM_PAGE    GCMON_SIM_STREAM_PAGE

typedef struct sim {
  gcmon_source base;
  uint64_t seed;
  bool heavy; /* the "heavy" workload */
  bool started;
  uint64_t t0_us;
  uint64_t step; /* steps simulated since t0 */
  uint64_t speed; /* simulated steps per real step (--speed) */
  gcmon__sim_heap heap;
  gcmon__sim_scenario scenario; /* kind GCMON_SIM_DEFAULT: the phases below */

  uint64_t base_live;   /* blocks the idle program keeps (modules, REPL) */
  bool running;         /* the pipeline runs in this phase */
  uint64_t phase;       /* phase number: 0 idle, then running, idle, ... */
  uint64_t phase_start; /* first step of the phase */
  uint64_t phase_end;   /* first step of the next phase */
  uint64_t live_target; /* blocks the program keeps reachable now */
  uint64_t mmz_vb, mmz_model, mmz_osd; /* bytes the pipeline holds in MMZ */

  bool pend_threshold, pend_enabled; /* controls waiting for an instant */
  int64_t threshold_bytes;
  bool enabled;

  /* Collections the simulated program's steps made (automatic, or its own
   * gc.collect() in pause-heavy), not yet taken by the agent; the oldest
   * are dropped when the agent falls behind (it then counts them from
   * gc.collections, with no pause). */
  gcmon_source_collection seen[SEEN_MAX];
  size_t seen_first, seen_count;
} sim;

static uint64_t rnd(const sim *s, uint64_t stream, uint64_t n) {
  return gcmon__sim_rand(s->seed, stream, n);
}

static void begin_phase(sim *s, uint64_t start) {
  uint64_t r = rnd(s, STREAM_PHASE, s->phase * 2);
  uint64_t r2 = rnd(s, STREAM_PHASE, s->phase * 2 + 1);
  uint64_t seconds;

  s->running = s->phase % 2 == 1;
  s->phase_start = start;
  if (s->phase == 0) {
    seconds = 3 + r % 6; /* the script starts its pipeline soon after boot */
  } else if (s->running) {
    seconds = 20 + r % 71;
    s->mmz_vb = (24 + r2 % 17) * MIB;
    s->mmz_model = (8 + (r2 >> 16) % 17) * MIB;
    s->mmz_osd = (2 + (r2 >> 32) % 7) * MIB;
  } else {
    seconds = s->heavy ? 1 + r % 2 : 10 + r % 31;
  }
  s->live_target = s->base_live;
  if (s->running)
    s->live_target += BLOCKS((400 + (r >> 24) % 500) * KIB);
  s->phase_end = start + seconds * STEPS_PER_S;
}

/* One 10 ms step of the simulated program. */
static void step(sim *s) {
  uint64_t k = s->step + 1;
  uint64_t r = rnd(s, STREAM_STEP, k);
  gcmon__sim_heap *h = &s->heap;
  uint64_t want, got, keep = 0, large = 0;

  if (s->scenario.kind != GCMON_SIM_DEFAULT) {
    gcmon__sim_scenario_step(&s->scenario, h, k);
    s->step = k;
    return;
  }
  if (k >= s->phase_end) {
    s->phase++;
    begin_phase(s, k);
  }
  if (s->running) {
    want = 300 + r % 220; /* 9.6-16.6 KB of objects per 10 ms */
    if (s->heavy)
      want *= 3;
    if ((r >> 20) % 4 == 0)
      large = 64 + (r >> 24) % 960; /* a 2-32 KB buffer */
  } else {
    want = 1 + r % 4;
    if ((r >> 20) % 512 == 0)
      large = 64 + (r >> 24) % 192;
  }
  if (h->live < s->live_target)
    keep = (s->live_target - h->live) / 40 + 1;
  got = gcmon__sim_heap_alloc_small(h, want);
  if (keep > got)
    keep = got;
  gcmon__sim_heap_drop(h, got - keep);
  if (h->live > s->live_target)
    gcmon__sim_heap_drop(h, (h->live - s->live_target) / 100 + 1);
  if (large != 0)
    gcmon__sim_heap_drop(h, gcmon__sim_heap_alloc_large(h, large));
  s->step = k;
}

/* Note the collections the step just made, timed on the agent's clock;
 * the pause is the sim's cost model for the heap they left. */
static void note_collections(sim *s, uint64_t before, int64_t alloc_before) {
  gcmon_gc_info gi;

  gcmon__sim_heap_info(&s->heap, &gi);
  for (uint64_t n = before; n < s->heap.collections; n++) {
    bool last = n + 1 == s->heap.collections;
    gcmon_source_collection *c;
    if (s->seen_count == SEEN_MAX) {
      s->seen_first = (s->seen_first + 1) % SEEN_MAX;
      s->seen_count--;
    }
    c = &s->seen[(s->seen_first + s->seen_count++) % SEEN_MAX];
    c->cause = last && s->scenario.program_collected
                   ? GCMON_COLLECTION_PROGRAM
                   : GCMON_COLLECTION_AUTOMATIC;
    c->start_us = s->t0_us + s->step * STEP_US / s->speed;
    c->pause_us = gcmon__sim_heap_collect_cost_us(&s->heap,
                                                  rnd(s, STREAM_COLLECT, n));
    c->alloc_before = n == before ? alloc_before : -1;
    c->alloc_after = last ? gi.mem_alloc : -1;
    c->largest_free_after = last ? gi.largest_free : -1;
  }
}

/* Bring the simulation to now_us, then apply waiting controls. */
static void advance(sim *s, uint64_t now_us) {
  if (!s->started) {
    s->started = true;
    s->t0_us = now_us;
  }
  if (now_us > s->t0_us) {
    uint64_t target = (now_us - s->t0_us) * s->speed / STEP_US;
    while (s->step < target) {
      uint64_t before = s->heap.collections;
      int64_t alloc = (int64_t)((s->heap.live + s->heap.garbage) *
                                GCMON_SIM_BLOCK_BYTES);
      step(s);
      if (s->heap.collections != before)
        note_collections(s, before, alloc);
    }
  }
  if (s->pend_threshold)
    gcmon__sim_heap_set_threshold(&s->heap, s->threshold_bytes);
  if (s->pend_enabled)
    s->heap.enabled = s->enabled;
  s->pend_threshold = s->pend_enabled = false;
}

static void fill_mem(gcmon_mem_info *m, uint64_t total, uint64_t used) {
  m->total = total;
  m->used = used;
  m->free = total - used;
}

static int fill_sample(sim *s, uint64_t now_us, uint64_t kheap, uint64_t page,
                       uint64_t mmz, gcmon_sample *out);

static int sim_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  sim *s = (sim *)src;
  uint64_t second, since, mmz, kheap, page;
  bool started_up, done_up;

  advance(s, now_us);
  if (s->scenario.kind != GCMON_SIM_DEFAULT) {
    gcmon__sim_scenario_sys(&s->scenario, s->step, &kheap, &page, &mmz);
    return fill_sample(s, now_us, kheap, page, mmz, out);
  }
  second = s->heavy ? s->step : s->step / STEPS_PER_S;
  since = s->step - s->phase_start;
  started_up = s->running && since >= START_MODEL_STEPS;
  done_up = s->running && since >= START_OSD_STEPS;

  mmz = MMZ_IDLE_USED;
  if (s->running)
    mmz += s->mmz_vb;
  if (started_up)
    mmz += s->mmz_model;
  if (done_up)
    mmz += s->mmz_osd;
  kheap = KHEAP_IDLE_USED + (started_up ? 3 * MIB : 0) +
          rnd(s, STREAM_KHEAP, second) % (512 * KIB) / 64 * 64;
  page = PAGE_IDLE_USED + (started_up ? 16 * MIB + 2 * s->mmz_osd : 0) +
         rnd(s, STREAM_PAGE, second) % (2 * MIB) / PAGE_SIZE_BYTES *
             PAGE_SIZE_BYTES;

  return fill_sample(s, now_us, kheap, page, mmz, out);
}

static int fill_sample(sim *s, uint64_t now_us, uint64_t kheap, uint64_t page,
                       uint64_t mmz, gcmon_sample *out) {
  out->uptime_us = now_us;
  out->has_gc = true;
  gcmon__sim_heap_info(&s->heap, &out->gc);
  out->sys_total = SYS_TOTAL;
  out->has_sys_heap = out->has_sys_page = out->has_sys_mmz = true;
  fill_mem(&out->sys_heap, KHEAP_TOTAL, kheap);
  fill_mem(&out->sys_page, PAGE_TOTAL, page);
  fill_mem(&out->sys_mmz, MMZ_TOTAL, mmz);
  return 0;
}

static int sim_collect(gcmon_source *src, uint64_t now_us, int64_t *freed_bytes,
                       uint64_t *duration_us) {
  sim *s = (sim *)src;
  uint64_t cost;

  advance(s, now_us);
  cost = gcmon__sim_heap_collect_cost_us(
      &s->heap, rnd(s, STREAM_COLLECT, s->heap.collections));
  *freed_bytes =
      (int64_t)(gcmon__sim_heap_collect(&s->heap) * GCMON_SIM_BLOCK_BYTES);
  *duration_us = cost;
  return 0;
}

static int sim_set_threshold(gcmon_source *src, int64_t bytes) {
  sim *s = (sim *)src;

  s->pend_threshold = true;
  s->threshold_bytes = bytes;
  return 0;
}

static int sim_set_enabled(gcmon_source *src, bool enabled) {
  sim *s = (sim *)src;

  s->pend_enabled = true;
  s->enabled = enabled;
  return 0;
}

static void sim_close(gcmon_source *src) {
  free(src);
}

static size_t sim_take_collections(gcmon_source *src,
                                   gcmon_source_collection *out, size_t max) {
  sim *s = (sim *)src;
  size_t n = 0;

  for (; n < max && s->seen_count > 0; n++) {
    out[n] = s->seen[s->seen_first];
    s->seen_first = (s->seen_first + 1) % SEEN_MAX;
    s->seen_count--;
  }
  return n;
}

/* Every collection of the simulated program is reported with its modeled
 * pause (take_collections): the allocator's own, and the program's
 * gc.collect() in the pause-heavy scenario. */
static const gcmon_source_ops sim_ops = {.name = "sim",
                                         .read = sim_read,
                                         .collect = sim_collect,
                                         .set_threshold = sim_set_threshold,
                                         .set_enabled = sim_set_enabled,
                                         .close = sim_close,
                                         .take_collections =
                                             sim_take_collections,
                                         .unexplained_cause =
                                             GCMON_COLLECTION_AUTOMATIC};

int gcmon__source_sim_open(gcmon_source **out, const gcmon_source_config *cfg,
                           char *err, size_t errlen) {
  int kind = gcmon__sim_scenario_kind(cfg->scenario);
  sim *s;
  uint64_t r, boot_garbage;

  if (kind < 0) {
    gcmon__source_errf(err, errlen, "sim: unknown scenario '%s'",
                       cfg->scenario);
    return GCMON_EINVAL;
  }
  s = calloc(1, sizeof *s);
  if (s == NULL) {
    gcmon__source_errf(err, errlen, "sim: out of memory");
    return GCMON_ENOMEM;
  }
  s->base.ops = &sim_ops;
  s->base.impl = s;
  snprintf(s->base.device_id, sizeof s->base.device_id, "k230-sim-%" PRIu64,
           cfg->seed);
  s->seed = cfg->seed;
  if (cfg->workload && strcmp(cfg->workload, "heavy") == 0) {
    s->heavy = true;
  } else if (cfg->workload && strcmp(cfg->workload, "default") != 0) {
    gcmon__source_errf(err, errlen,
                       "sim: unknown workload '%s' (default, heavy)",
                       cfg->workload);
    free(s);
    return GCMON_EINVAL;
  }
  s->speed = cfg->speed > 1 ? cfg->speed : 1;
  gcmon__sim_heap_init(&s->heap, BLOCKS(GC_HEAP_BYTES), cfg->seed);

  /* Booted: modules imported, REPL up, some garbage left from start-up. */
  r = rnd(s, STREAM_BOOT, 0);
  s->base_live = BLOCKS((450 + r % 250) * KIB);
  boot_garbage = BLOCKS((100 + (r >> 16) % 200) * KIB);
  gcmon__sim_heap_alloc_small(&s->heap, s->base_live + boot_garbage);
  gcmon__sim_heap_drop(&s->heap, boot_garbage);
  begin_phase(s, 0);
  gcmon__sim_scenario_init(&s->scenario, (gcmon__sim_kind)kind, cfg->seed,
                           &s->heap);

  *out = &s->base;
  return 0;
}
