/* The gc_collect() wrap and its ring of collection records (see
 * gc_hook.h). Every shared field is read and written with __atomic
 * builtins; the per-thread mode is thread-local. */
#define _POSIX_C_SOURCE 200809L
#include "gc_hook.h"

#include <time.h>

/* What this thread's collections are, besides the ordinary case. */
enum { MODE_NORMAL, MODE_REMOTE, MODE_CALIBRATING };

/* One record. seq is 2n+1 while record n is written, 2n+2 once it is. */
typedef struct hook_slot {
  uint64_t seq;
  uint64_t by_program;
  uint64_t start_us, pause_us, used_before, used_after;
} hook_slot;

typedef struct gc_hook {
  int armed;
  uintptr_t program_site; /* 0 until calibrated */
  gcmon_mp_gc_used_fn used;
  uint64_t head; /* the number the next record takes */
  uint64_t tail; /* the next record the reader wants (reader's own) */
  hook_slot ring[GCMON_MP_GC_HOOK_RING];
} gc_hook;

static gc_hook hook;
static __thread int thread_mode;
static __thread uint64_t thread_remote_pause_us;

#define LOAD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void push(const gcmon_mp_collection *c) {
  uint64_t n = __atomic_fetch_add(&hook.head, 1, __ATOMIC_RELAXED);
  hook_slot *s = &hook.ring[n % GCMON_MP_GC_HOOK_RING];

  STORE(&s->seq, 2 * n + 1);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  STORE(&s->by_program, (uint64_t)c->by_program);
  STORE(&s->start_us, c->start_mono_us);
  STORE(&s->pause_us, c->pause_us);
  STORE(&s->used_before, c->used_before);
  STORE(&s->used_after, c->used_after);
  __atomic_store_n(&s->seq, 2 * n + 2, __ATOMIC_RELEASE);
}

void __wrap_gc_collect(void) {
  uintptr_t site = (uintptr_t)__builtin_return_address(0);
  gcmon_mp_gc_used_fn used;
  gcmon_mp_collection c;
  uint64_t t0;

  if (thread_mode == MODE_CALIBRATING) {
    __atomic_store_n(&hook.program_site, site, __ATOMIC_RELEASE);
    __real_gc_collect();
    return;
  }
  if (thread_mode == MODE_REMOTE) {
    t0 = mono_us();
    __real_gc_collect();
    thread_remote_pause_us += mono_us() - t0;
    return;
  }
  if (!__atomic_load_n(&hook.armed, __ATOMIC_ACQUIRE)) {
    __real_gc_collect();
    return;
  }
  used = __atomic_load_n(&hook.used, __ATOMIC_ACQUIRE);
  c.by_program = site == LOAD(&hook.program_site);
  c.used_before = used ? used() : 0;
  t0 = mono_us();
  __real_gc_collect();
  c.pause_us = mono_us() - t0;
  c.start_mono_us = t0;
  c.used_after = used ? used() : 0;
  push(&c);
}

bool gcmon_mp_gc_hook_calibrate(void (*collect)(void *arg), void *arg) {
  int was = thread_mode;

  thread_mode = MODE_CALIBRATING;
  collect(arg);
  thread_mode = was;
  return gcmon_mp_gc_hook_calibrated();
}

bool gcmon_mp_gc_hook_calibrated(void) {
  return __atomic_load_n(&hook.program_site, __ATOMIC_ACQUIRE) != 0;
}

bool gcmon_mp_gc_hook_arm(gcmon_mp_gc_used_fn used) {
  if (!gcmon_mp_gc_hook_calibrated())
    return false;
  if (__atomic_load_n(&hook.armed, __ATOMIC_ACQUIRE))
    return true;
  __atomic_store_n(&hook.used, used, __ATOMIC_RELEASE);
  STORE(&hook.tail, LOAD(&hook.head)); /* nothing from before */
  __atomic_store_n(&hook.armed, 1, __ATOMIC_RELEASE);
  return true;
}

void gcmon_mp_gc_hook_disarm(void) {
  __atomic_store_n(&hook.armed, 0, __ATOMIC_RELEASE);
}

void gcmon_mp_gc_hook_remote(bool on) {
  thread_mode = on ? MODE_REMOTE : MODE_NORMAL;
  thread_remote_pause_us = 0;
}

uint64_t gcmon_mp_gc_hook_remote_pause_us(void) {
  return thread_remote_pause_us;
}

/* Copy record n out of its slot: 1 copied, 0 not written yet (a writer is
 * still at it), -1 overwritten by a later record (lost). */
static int copy_record(uint64_t n, gcmon_mp_collection *out) {
  hook_slot *s = &hook.ring[n % GCMON_MP_GC_HOOK_RING];
  uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

  if (seq < 2 * n + 2)
    return 0;
  if (seq > 2 * n + 2)
    return -1;
  out->by_program = LOAD(&s->by_program) != 0;
  out->start_mono_us = LOAD(&s->start_us);
  out->pause_us = LOAD(&s->pause_us);
  out->used_before = LOAD(&s->used_before);
  out->used_after = LOAD(&s->used_after);
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  return LOAD(&s->seq) == seq ? 1 : -1;
}

unsigned gcmon_mp_gc_hook_take(gcmon_mp_collection *out, unsigned max,
                               uint64_t *lost) {
  uint64_t head = __atomic_load_n(&hook.head, __ATOMIC_ACQUIRE);
  uint64_t tail = LOAD(&hook.tail);
  unsigned n = 0;

  *lost = 0;
  if (head - tail > GCMON_MP_GC_HOOK_RING) {
    *lost = head - GCMON_MP_GC_HOOK_RING - tail;
    tail = head - GCMON_MP_GC_HOOK_RING;
  }
  while (n < max && tail != head) {
    int got = copy_record(tail, &out[n]);
    if (got == 0)
      break; /* still being written: the next take has it */
    if (got < 0)
      (*lost)++;
    else
      n++;
    tail++;
  }
  STORE(&hook.tail, tail);
  return n;
}
