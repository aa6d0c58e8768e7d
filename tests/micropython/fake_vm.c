/* The pretend VM (see fake_vm.h). */
#define _POSIX_C_SOURCE 200809L
#include "fake_vm.h"

#include <string.h>
#include <time.h>

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The collection's work: its pause, outside the lock. */
static void spend_pause(const fake_vm *f) {
  uint64_t us = FAKE_VM_PAUSE_US(f->total);
  struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

static uint64_t blocks(uint64_t bytes) {
  return (bytes + FAKE_VM_BLOCK - 1) / FAKE_VM_BLOCK;
}

void fake_vm_init(fake_vm *f, uint64_t heap_bytes) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  pthread_mutex_init(&f->gil, NULL);
  pthread_cond_init(&f->cv, NULL);
  f->total = heap_bytes;
  f->threshold_blocks = UINT64_MAX;
  f->enabled = true;
}

void fake_vm_destroy(fake_vm *f) {
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->gil);
  pthread_mutex_destroy(&f->mu);
}

/* Under f->mu. */
static void collect_locked(fake_vm *f) {
  f->collected = blocks(f->garbage);
  f->garbage = 0;
  f->alloc_amount = 0;
}

void fake_vm_alloc(fake_vm *f, uint64_t bytes, bool garbage) {
  uint64_t n = blocks(bytes) * FAKE_VM_BLOCK;

  pthread_mutex_lock(&f->mu);
  f->heap_allocs++;
  while (f->split_limit && f->live + f->garbage + n > f->total &&
         f->total + f->area_bytes <= f->split_limit)
    f->total += f->area_bytes; /* gc_try_add_heap() */
  if (garbage)
    f->garbage += n;
  else
    f->live += n;
  f->alloc_amount += n / FAKE_VM_BLOCK;
  pthread_mutex_unlock(&f->mu);
}

void fake_vm_collect_by_program(fake_vm *f) {
  gcmon_mp_collection c = {.by_program = true, .start_mono_us = mono_us()};

  spend_pause(f);
  pthread_mutex_lock(&f->mu);
  c.used_before = f->live + f->garbage;
  collect_locked(f);
  c.used_after = f->live + f->garbage;
  c.pause_us = mono_us() - c.start_mono_us;
  if (f->n_timed < sizeof f->timed / sizeof f->timed[0])
    f->timed[f->n_timed++] = c;
  else
    f->lost_timed++;
  pthread_mutex_unlock(&f->mu);
}

void fake_vm_split_heap_auto(fake_vm *f, uint64_t area_bytes,
                             uint64_t limit) {
  pthread_mutex_lock(&f->mu);
  f->area_bytes = area_bytes;
  f->split_limit = limit;
  pthread_mutex_unlock(&f->mu);
}

static uint64_t grow_room_locked(const fake_vm *f) {
  return f->split_limit > f->total ? f->split_limit - f->total : 0;
}

uint64_t fake_vm_mem_free(fake_vm *f) {
  uint64_t v;

  pthread_mutex_lock(&f->mu);
  v = f->total - (f->live + f->garbage) + grow_room_locked(f);
  pthread_mutex_unlock(&f->mu);
  return v;
}

uint64_t fake_vm_heap_total(fake_vm *f) {
  uint64_t v;

  pthread_mutex_lock(&f->mu);
  v = f->total;
  pthread_mutex_unlock(&f->mu);
  return v;
}

uint64_t fake_vm_mem_alloc(fake_vm *f) {
  uint64_t v;

  pthread_mutex_lock(&f->mu);
  v = f->live + f->garbage;
  pthread_mutex_unlock(&f->mu);
  return v;
}

fake_vm fake_vm_snapshot(fake_vm *f) {
  fake_vm s;

  pthread_mutex_lock(&f->mu);
  s = *f;
  pthread_mutex_unlock(&f->mu);
  return s;
}

void fake_vm_set_exit(fake_vm *f) {
  pthread_mutex_lock(&f->mu);
  f->exit_wanted = true;
  pthread_mutex_unlock(&f->mu);
}

void fake_vm_gate_collects(fake_vm *f) {
  pthread_mutex_lock(&f->mu);
  f->collect_gated = true;
  pthread_mutex_unlock(&f->mu);
}

void fake_vm_wait_collect_started(fake_vm *f) {
  pthread_mutex_lock(&f->mu);
  while (!f->collect_started)
    pthread_cond_wait(&f->cv, &f->mu);
  pthread_mutex_unlock(&f->mu);
}

void fake_vm_open_gate(fake_vm *f) {
  pthread_mutex_lock(&f->mu);
  f->collect_gated = false;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
}

static void enter(void *ctx) {
  pthread_mutex_lock(&((fake_vm *)ctx)->gil);
}

static void leave(void *ctx) {
  pthread_mutex_unlock(&((fake_vm *)ctx)->gil);
}

static void read_vm(void *ctx, bool full, gcmon_mp_reading *out) {
  fake_vm *f = ctx;
  uint64_t used;

  pthread_mutex_lock(&f->mu);
  used = f->live + f->garbage;
  *out = (gcmon_mp_reading){.full = full};
  if (full) {
    out->total = f->total;
    out->used = used;
    out->free = f->total - used;
    out->grow_room = grow_room_locked(f);
    out->largest_free = f->total - used; /* never fragmented */
    f->scans++;
  }
  out->threshold = f->threshold_blocks == UINT64_MAX
                       ? -1
                       : (int64_t)(f->threshold_blocks * FAKE_VM_BLOCK);
  out->enabled = f->enabled;
  out->alloc_amount = f->alloc_amount;
  out->collected = f->collected;
  f->reads++;
  pthread_mutex_unlock(&f->mu);
}

static int collect(void *ctx, uint64_t *pause_us) {
  fake_vm *f = ctx;

  *pause_us = 0; /* the mailbox times the call */
  pthread_mutex_lock(&f->mu);
  f->collect_started = true;
  pthread_cond_broadcast(&f->cv);
  while (f->collect_gated)
    pthread_cond_wait(&f->cv, &f->mu);
  pthread_mutex_unlock(&f->mu);
  spend_pause(f);
  pthread_mutex_lock(&f->mu);
  collect_locked(f);
  f->collects++;
  f->collect_started = false;
  pthread_mutex_unlock(&f->mu);
  return 0;
}

static void set_threshold(void *ctx, int64_t bytes) {
  fake_vm *f = ctx;

  pthread_mutex_lock(&f->mu);
  f->threshold_blocks =
      bytes < 0 ? UINT64_MAX : (uint64_t)bytes / FAKE_VM_BLOCK;
  f->stores++;
  pthread_mutex_unlock(&f->mu);
}

static void set_enabled(void *ctx, bool enabled) {
  fake_vm *f = ctx;

  pthread_mutex_lock(&f->mu);
  f->enabled = enabled;
  f->stores++;
  pthread_mutex_unlock(&f->mu);
}

static bool should_exit(void *ctx) {
  fake_vm *f = ctx;
  bool v;

  pthread_mutex_lock(&f->mu);
  v = f->exit_wanted;
  pthread_mutex_unlock(&f->mu);
  return v;
}

static unsigned take_collections(void *ctx, gcmon_mp_collection *out,
                                 unsigned max, uint64_t *lost) {
  fake_vm *f = ctx;
  unsigned n;

  *lost = f->lost_timed;
  f->lost_timed = 0;
  pthread_mutex_lock(&f->mu);
  n = f->n_timed < max ? f->n_timed : max;
  memcpy(out, f->timed, n * sizeof *out);
  memmove(f->timed, f->timed + n, (f->n_timed - n) * sizeof *out);
  f->n_timed -= n;
  pthread_mutex_unlock(&f->mu);
  return n;
}

gcmon_mp_vm fake_vm_ops(fake_vm *f) {
  return (gcmon_mp_vm){f,           enter,         leave,
                       read_vm,     collect,       set_threshold,
                       set_enabled, should_exit,   take_collections};
}

static void *serve(void *arg) {
  fake_worker *w = arg;
  w->vm_exit = gcmon_mp_mailbox_serve(w->mb, &w->vm, 10);
  return NULL;
}

void fake_worker_start(fake_worker *w, gcmon_mp_mailbox *mb, fake_vm *f) {
  w->mb = mb;
  w->vm = fake_vm_ops(f);
  w->vm_exit = false;
  pthread_create(&w->thread, NULL, serve, w);
}

bool fake_worker_join(fake_worker *w) {
  pthread_join(w->thread, NULL);
  return w->vm_exit;
}
