/* The real VM ops (see vm_micropython.h for the locking and the soft-reset
 * duties). Runs only on T2. Nothing here allocates on the MicroPython heap:
 * gc_info() and the stores allocate nothing, and gc_collect() only frees
 * (finalisers it runs are the program's own code). */
#include "vm_micropython.h"
#include "gc_lock_micropython.h"

#include "gcmon/error.h"

#include "py/gc.h"
#include "py/mpstate.h"
#include "py/mpthread.h"
#include "py/nlr.h"
#include "py/runtime.h"

#include <time.h>

#if !MICROPY_PY_THREAD
#error "gcmon needs a MicroPython built with threads (MICROPY_PY_THREAD)"
#endif
#if !MICROPY_GC_ALLOC_THRESHOLD
#error "gcmon needs MICROPY_GC_ALLOC_THRESHOLD (gc.threshold)"
#endif

static void vm_enter(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_ENTER();
}

static void vm_leave(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_EXIT();
}

static void vm_read(void *ctx, bool full, gcmon_mp_reading *out) {
  size_t threshold;

  (void)ctx;
  *out = (gcmon_mp_reading){.full = full};
  if (full) {
    gc_info_t info;
    gc_info(&info); /* locks for itself on no-GIL builds */
    out->total = info.total;
    out->used = info.used;
    out->free = info.free;
#if MICROPY_GC_SPLIT_HEAP_AUTO
    /* py/modgc.c gc_mem_free(): "info.free + info.max_new_split". */
    out->grow_room = info.max_new_split;
#endif
    out->largest_free = (uint64_t)info.max_free * MICROPY_BYTES_PER_GC_BLOCK;
  }
  GC_WORD_LOCK();
  threshold = MP_STATE_MEM(gc_alloc_threshold);
  out->enabled = MP_STATE_MEM(gc_auto_collect_enabled) != 0;
  out->alloc_amount = MP_STATE_MEM(gc_alloc_amount);
#if MICROPY_PY_GC_COLLECT_RETVAL
  out->collected = MP_STATE_MEM(gc_collected);
#endif
  GC_WORD_UNLOCK();
  /* As py/modgc.c gc_threshold() reports it. */
  out->threshold = threshold == (size_t)-1
                       ? -1
                       : (int64_t)(threshold * MICROPY_BYTES_PER_GC_BLOCK);
}

#if MICROPY_ENABLE_SCHEDULER
/* Run by the main thread from the scheduler: zero the stack below it. */
static mp_obj_t scrub_stack(mp_obj_t arg) {
  volatile unsigned char pad[GCMON_MP_SCRUB_BYTES];
  gcmon_mp_vm_state *st = MP_OBJ_TO_PTR(arg);

  for (size_t i = 0; i < sizeof pad; i++)
    pad[i] = 0;
  __atomic_store_n(&st->scrubbed, 1, __ATOMIC_RELEASE);
  return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(scrub_stack_obj, scrub_stack);

/* Why a collect may run twice. On the unix port another thread's stack is
 * scanned by its own GC signal handler, from inside the signal frame the
 * kernel builds below its stack pointer. The kernel does not write every
 * byte of that frame (XSAVE leaves components in their initial state
 * unwritten), so words left there by the main thread's earlier, deeper
 * calls are scanned as roots. At an idle REPL (blocked in read()) that
 * stale memory can keep a list the program has just dropped alive, for
 * every collection, until the main thread runs again (measured: an 880 KB
 * list survived three gcmon collects; the root was 736 bytes below the
 * REPL's stack pointer). The first collection's signal also interrupts
 * that read() (EINTR), after which the main thread runs scheduled
 * callbacks (MP_HAL_RETRY_SYSCALL): one of ours zeroes the stack below it,
 * and the second collection then sees no stale word. A main thread busy
 * in Python runs it at its next bytecode and rewrites its stack anyway.
 * We wait for it at most GCMON_MP_SCRUB_WAIT_MS, with the GIL released. */
static void scrub_main_stack(gcmon_mp_vm_state *st) {
  __atomic_store_n(&st->scrubbed, 0, __ATOMIC_RELEASE);
  if (!mp_sched_schedule(MP_OBJ_FROM_PTR(&scrub_stack_obj),
                         MP_OBJ_FROM_PTR(st)))
    return; /* queue full: one collection, as before */
  gc_collect();
  MP_THREAD_GIL_EXIT();
  for (unsigned ms = 0; ms < GCMON_MP_SCRUB_WAIT_MS &&
                        !__atomic_load_n(&st->scrubbed, __ATOMIC_ACQUIRE);
       ms++) {
    struct timespec one = {0, 1000000L};
    nanosleep(&one, NULL);
  }
  MP_THREAD_GIL_ENTER();
}
#endif

static int vm_collect(void *ctx, uint64_t *pause_us) {
  nlr_buf_t nlr;
  int rc = GCMON_EIO;

  /* Ours: the agent records it (REMOTE); the gc_collect() wrap must not,
   * but it times the collections alone, without the scrub's wait and GIL
   * hand-overs in between (0 without the wrap: the call is timed). */
  gcmon_mp_vm_gc_hook_remote(true);
  if (nlr_push(&nlr) == 0) {
#if MICROPY_ENABLE_SCHEDULER
    scrub_main_stack(ctx);
#else
    (void)ctx;
#endif
    gc_collect();
    nlr_pop();
    rc = 0;
  }
  *pause_us = gcmon_mp_vm_gc_hook_remote_pause_us();
  gcmon_mp_vm_gc_hook_remote(false);
  return rc;
}

static void vm_set_threshold(void *ctx, int64_t bytes) {
  /* As py/modgc.c gc_threshold(val) stores it. */
  size_t blocks =
      bytes < 0 ? (size_t)-1 : (size_t)bytes / MICROPY_BYTES_PER_GC_BLOCK;

  (void)ctx;
  GC_WORD_LOCK();
  MP_STATE_MEM(gc_alloc_threshold) = blocks;
  GC_WORD_UNLOCK();
}

static void vm_set_enabled(void *ctx, bool enabled) {
  (void)ctx;
  GC_WORD_LOCK();
  MP_STATE_MEM(gc_auto_collect_enabled) = enabled ? 1 : 0;
  GC_WORD_UNLOCK();
}

/* The Oct-2024 CanMV soft-reset exit point (canmv-k230/canmv cacd925
 * port/include/core/mpthreadport.h: "void mp_thread_exitpoint(int flag);"
 * with "EXITPOINT_ANY = -1"), declared here weakly so that which protocol
 * T2 follows is decided at run time by the firmware the module is linked
 * into: the address is non-NULL only where the port defines the function.
 * Newer CanMV and upstream ports have no such function; there the pending
 * exception alone tells T2 to go. */
#pragma weak mp_thread_exitpoint
void mp_thread_exitpoint(int flag);
#define CANMV_EXITPOINT_ANY (-1)

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Oct-2024 CanMV: raises the parked SystemExit here, if there is one. */
static bool exitpoint_raised(void) {
  nlr_buf_t nlr;
  bool raised = false;

  MP_THREAD_GIL_ENTER();
  if (nlr_push(&nlr) == 0) {
    mp_thread_exitpoint(CANMV_EXITPOINT_ANY);
    nlr_pop();
  } else {
    raised = true;
  }
  MP_THREAD_GIL_EXIT();
  return raised;
}

bool gcmon_mp_vm_has_exitpoint(void) {
  return mp_thread_exitpoint != NULL;
}

static bool vm_should_exit(void *ctx) {
  gcmon_mp_vm_state *st = ctx;

  if (MP_STATE_THREAD(mp_pending_exception) != MP_OBJ_NULL)
    st->exit_seen = true;
  if (!st->exit_seen && gcmon_mp_vm_has_exitpoint() &&
      mono_us() - st->last_exitpoint_us >= GCMON_MP_EXITPOINT_MS * 1000u) {
    st->last_exitpoint_us = mono_us();
    st->exit_seen = exitpoint_raised();
  }
  return st->exit_seen;
}

void gcmon_mp_vm_micropython(gcmon_mp_vm *vm, gcmon_mp_vm_state *st) {
  *st = (gcmon_mp_vm_state){0};
  *vm = (gcmon_mp_vm){
      .ctx = st,
      .enter = vm_enter,
      .leave = vm_leave,
      .read = vm_read,
      .collect = vm_collect,
      .set_threshold = vm_set_threshold,
      .set_enabled = vm_set_enabled,
      .should_exit = vm_should_exit,
      .take_collections = gcmon_mp_vm_gc_hook_take_fn(),
  };
}
