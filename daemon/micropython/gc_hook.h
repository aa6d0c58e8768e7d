/* Timing MicroPython's collections where they happen: a link-time wrap of
 * gc_collect().
 *
 * The module's firmware build links with -Wl,--wrap=gc_collect
 * (micropython.mk, micropython.cmake; GCMON_GC_HOOK=0 turns it off). The
 * linker then sends every call to gc_collect() made from another object
 * than the one defining it to __wrap_gc_collect() here, which runs the
 * real one (__real_gc_collect) between two clock reads. MicroPython's
 * callers are py/modgc.c (a program's gc.collect()) and py/gc.c
 * (gc_alloc()'s automatic collections); the port defines gc_collect() in
 * its own file (ports/unix/gccollect.c), so both are wrapped.
 *
 * Program or automatic is told by the call site: calibrate() runs the gc
 * module's collect once and notes the return address the wrap sees, the
 * one call inside py/modgc.c's py_gc_collect(); afterwards a collection
 * returning there is the program's, any other the allocator's. The
 * module's own remote collects are marked by remote() on their thread and
 * not recorded here (the agent records those itself, as REMOTE).
 *
 *     gcmon_mp_gc_hook_calibrate(call_gc_collect, NULL); // on a VM thread
 *     gcmon_mp_gc_hook_arm(used_bytes);                  // record from now
 *     n = gcmon_mp_gc_hook_take(out, max, &lost);        // T2, on READ
 *
 * The records wait in a bounded ring of GCMON_MP_GC_HOOK_RING; a writer
 * never waits and never allocates (a sequence number per slot, atomics),
 * so collections on any number of threads, with or without a GIL, may
 * record at once. When the reader falls behind, the oldest are dropped and
 * counted as lost.
 *
 * This file includes no MicroPython header: what the wrap needs from the
 * VM (mem_alloc, cheaply) comes in through arm(), and the real
 * gc_collect() through the linker, so tests link it against a pretend
 * gc_collect() (tests/micropython/test_mp_gc_hook.c).
 *
 * The hook's state is one static instance: a linker wrap has no context
 * argument to hang it on, and a process has one MicroPython heap. */
#ifndef GCMON_MP_GC_HOOK_H
#define GCMON_MP_GC_HOOK_H

#include "vm.h"

#include <stdbool.h>
#include <stdint.h>

/* Records kept for the reader at most (a power of two). */
#define GCMON_MP_GC_HOOK_RING 32u

/* gc.mem_alloc() now, cheaply (no gc_info() scan); called by the wrap on
 * the collecting thread just before and just after the collection. */
typedef uint64_t (*gcmon_mp_gc_used_fn)(void);

/* Run collect(arg), which must call gc_collect() once through the call
 * site of a program's gc.collect(), and note that site. True when the wrap
 * saw the call (false: the wrap is not linked in, e.g. under LTO). Only
 * this thread's collections count while it runs. */
bool gcmon_mp_gc_hook_calibrate(void (*collect)(void *arg), void *arg);

/* True once calibrate() has seen the wrap. */
bool gcmon_mp_gc_hook_calibrated(void);

/* Start recording (a no-op when already recording or not calibrated):
 * earlier records are dropped. used may be NULL (mem_alloc then 0). */
bool gcmon_mp_gc_hook_arm(gcmon_mp_gc_used_fn used);

/* Stop recording; the wrap then only calls the real gc_collect(). */
void gcmon_mp_gc_hook_disarm(void);

/* Mark this thread's collections as the module's own remote ones (true)
 * or not (false): they are then not recorded, only timed, and
 * remote_pause_us() gives their total since remote(true) (0 when none went
 * through the wrap). */
void gcmon_mp_gc_hook_remote(bool on);
uint64_t gcmon_mp_gc_hook_remote_pause_us(void);

/* Records since the last take, oldest first, at most max; *lost gets how
 * many were dropped since the last take (the ring was full). One reader. */
unsigned gcmon_mp_gc_hook_take(gcmon_mp_collection *out, unsigned max,
                               uint64_t *lost);

/* The linker's names (-Wl,--wrap=gc_collect). */
void __wrap_gc_collect(void);
void __real_gc_collect(void);

#endif
