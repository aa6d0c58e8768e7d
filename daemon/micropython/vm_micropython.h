/* The real VM behind the seam (vm.h): MicroPython's gc heap, reached from
 * the module's registered worker thread T2. Only the files implementing
 * this header (vm_micropython.c, gc_hook_micropython.c) and modgcmon.c,
 * console_micropython.c include MicroPython headers.
 *
 * Locking, per build:
 *   GIL      enter/leave take and drop the GIL; every op runs under it
 *            (gc.c does no locking of its own there; on CanMV's split heap
 *            a collection may even free a heap area under an unlocked scan).
 *   no GIL   enter/leave do nothing; gc_info() and gc_collect() take
 *            MP_STATE_MEM(gc_mutex) themselves (holding it around them
 *            would deadlock); the threshold and enable stores and the cheap
 *            reads take gc_mutex, the lock gc_alloc() reads them under.
 *
 * Leaving at a soft reset, per port (should_exit):
 *   any port   T2's own mp_pending_exception is set: newer CanMV K230
 *              (kendryte/canmv_k230 port/core/mpthreadport.c) delivers the
 *              soft-reset SystemExit that way and waits for T2 to finish.
 *   Oct-2024   CanMV (canmv-k230/canmv port/core/mpthreadport.c) parks it
 *              in a private slot that only mp_thread_exitpoint() turns into
 *              an exception: where the firmware defines that function
 *              (found at run time, gcmon_mp_vm_has_exitpoint), T2 calls it
 *              under the GIL, at most every GCMON_MP_EXITPOINT_MS.
 *   unix       nothing is delivered; exit cancels T2 (mp_thread_deinit). */
#ifndef GCMON_MP_VM_MICROPYTHON_H
#define GCMON_MP_VM_MICROPYTHON_H

#include "vm.h"

#define GCMON_MP_EXITPOINT_MS 100u

typedef struct gcmon_mp_vm_state {
  bool exit_seen;
  uint64_t last_exitpoint_us;
  int scrubbed; /* the main thread ran the stack scrub (vm_collect) */
} gcmon_mp_vm_state;

/* How long a collect waits for the main thread to scrub its stack, and
 * how much of it the scrub clears (vm_micropython.c, vm_collect). */
#define GCMON_MP_SCRUB_WAIT_MS 20u
#define GCMON_MP_SCRUB_BYTES   (8u * 1024u)

/* True when the firmware has the Oct-2024 CanMV exit point (status()
 * reports which soft-reset protocol is in use). */
bool gcmon_mp_vm_has_exitpoint(void);

/* Collection records timed where they happen (gc_hook.h, built with
 * GCMON_GC_HOOK=1, the default; gc_hook_micropython.c):
 *   start    on a Python thread holding the GIL, before the VM ops are
 *            made: calibrates the wrap once (one gc.collect()) and starts
 *            recording. False when the build has no wrap or it did not
 *            take effect; the VM then has no take_collections.
 *   stop     stops recording (gcmon.stop()).
 *   remote   around the module's own collect, on T2: not recorded, but
 *            timed: remote_pause_us is what its collections took (0
 *            without the wrap).
 *   take_fn  the VM's take_collections, or NULL. */
typedef unsigned (*gcmon_mp_take_collections_fn)(void *ctx,
                                                 gcmon_mp_collection *out,
                                                 unsigned max, uint64_t *lost);
bool gcmon_mp_vm_gc_hook_start(void);
void gcmon_mp_vm_gc_hook_stop(void);
void gcmon_mp_vm_gc_hook_remote(bool on);
uint64_t gcmon_mp_vm_gc_hook_remote_pause_us(void);
gcmon_mp_take_collections_fn gcmon_mp_vm_gc_hook_take_fn(void);

/* Fill vm with the real ops, their context being st. */
void gcmon_mp_vm_micropython(gcmon_mp_vm *vm, gcmon_mp_vm_state *st);

#endif
