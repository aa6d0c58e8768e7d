/* A pretend MicroPython heap for test_mp_gc_hook.c, laid out over objects
 * as MicroPython's is, so that -Wl,--wrap=gc_collect acts as it does in
 * firmware:
 *   gc_hook_fake_gc.c     defines gc_collect() (ports/unix/gccollect.c),
 *                         and calls it once from the same object (which
 *                         the wrap cannot see);
 *   gc_hook_fake_modgc.c  the program's gc.collect() (py/modgc.c);
 *   gc_hook_fake_alloc.c  the allocator's collection (py/gc.c gc_alloc). */
#ifndef GCMON_TEST_GC_HOOK_FAKE_H
#define GCMON_TEST_GC_HOOK_FAKE_H

#include <stdint.h>

void gc_collect(void);

/* Each collection busy-waits this long (a mark and sweep), under the
 * pretend heap's lock, then frees half of what this thread has in use. */
void fake_gc_set_pause_us(uint64_t us);
/* What this thread has in use: the hook's "mem_alloc" (per thread, so
 * records from two threads cannot be mixed up without it showing). */
void fake_gc_set_used(uint64_t bytes);
uint64_t fake_gc_used(void);
uint64_t fake_gc_collections(void); /* run by the real gc_collect() */

/* py_gc_collect(): gc.collect() from Python; returns the count after. */
uint64_t fake_py_gc_collect(void);
/* gc_alloc() finding the heap full: collects, then allocates bytes. */
void fake_gc_alloc_full(uint64_t bytes);
/* A collection from the object that defines gc_collect(). */
void fake_gc_collect_in_same_object(void);

#endif
