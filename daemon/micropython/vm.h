/* The seam between the gcmon MicroPython module and the VM it watches.
 *
 * Everything the module does to MicroPython goes through this small ops
 * table, and only ever from the VM worker thread (T2, see mailbox.h): the
 * real table (vm_micropython.c) uses MicroPython's headers and is compiled
 * only into firmware; the tests plug in a fake with a pretend heap. Nothing
 * on the other side of the seam (mailbox, source, loop thread) includes a
 * MicroPython header, which is what lets CI test it.
 *
 *     vm->enter(vm->ctx);                 // the GIL on GIL builds; may block
 *     vm->read(vm->ctx, true, &reading);  // a full gc_info() scan
 *     vm->leave(vm->ctx);
 *
 * Every op except should_exit runs between enter and leave. None of them
 * allocates on the MicroPython heap. */
#ifndef GCMON_MP_VM_H
#define GCMON_MP_VM_H

#include <stdbool.h>
#include <stdint.h>

/* One look at the gc heap. Byte counts are what Python's gc module would
 * return at that instant. */
typedef struct gcmon_mp_reading {
  bool full;             /* the four heap fields below come from a scan */
  uint64_t total;        /* heap bytes (gc_info total) */
  uint64_t used;         /* gc.mem_alloc() */
  uint64_t free;         /* gc_info free: free bytes in the heap's areas */
  uint64_t grow_room;    /* gc_info max_new_split where the heap grows new
                            areas by itself (MICROPY_GC_SPLIT_HEAP_AUTO),
                            else 0: gc.mem_free() is free + grow_room */
  uint64_t largest_free; /* largest free run: max_free x bytes per block */
  int64_t threshold;     /* gc.threshold(): bytes, -1 when off */
  bool enabled;          /* gc.isenabled() */
  /* Cheap counters for spotting collections the module did not ask for:
   * gc_alloc_amount (blocks allocated since the last collection, zeroed
   * when one starts) and gc_collected (blocks freed by the last one; 0
   * where the build does not keep it). */
  uint64_t alloc_amount;
  uint64_t collected;
} gcmon_mp_reading;

/* One collection the VM saw happen and timed (not the module's own). */
typedef struct gcmon_mp_collection {
  bool by_program;        /* gc.collect() from Python; false: the allocator */
  uint64_t start_mono_us; /* CLOCK_MONOTONIC when it started */
  uint64_t pause_us;      /* how long it held the heap */
  uint64_t used_before;   /* gc.mem_alloc() before and after */
  uint64_t used_after;
} gcmon_mp_collection;

/* Records one READ hands over at most; more wait for the next. */
#define GCMON_MP_COLLECTIONS_PER_READ 8

typedef struct gcmon_mp_vm {
  void *ctx;
  /* Make the VM safe to touch from this thread (take the GIL on GIL
   * builds; nothing on no-GIL builds, where gc.c locks for itself). May
   * wait as long as the Python code holding the GIL keeps it. */
  void (*enter)(void *ctx);
  void (*leave)(void *ctx);
  /* The cheap counters always; with full, also a gc_info() scan (linear in
   * the heap size; it blocks allocation while it runs). */
  void (*read)(void *ctx, bool full, gcmon_mp_reading *out);
  /* gc.collect() on this thread (which must be registered with the VM: it
   * runs finalisers). 0, or GCMON_EIO when the collection raised. The VM
   * sets *pause_us to how long its collection(s) held the heap when it can
   * time them (the real VM with the gc_collect() wrap); 0 leaves the
   * caller to time the whole call. */
  int (*collect)(void *ctx, uint64_t *pause_us);
  /* gc.threshold(bytes); negative turns it off. */
  void (*set_threshold)(void *ctx, int64_t bytes);
  /* gc.enable() / gc.disable(). */
  void (*set_enabled)(void *ctx, bool enabled);
  /* Polled on every wake-up of the worker, outside enter/leave: true when
   * the VM wants this thread gone (soft reset, IDE stop). NULL = never. */
  bool (*should_exit)(void *ctx);
  /* Collections since the last call, oldest first, at most max; returns
   * how many, and in *lost how many the VM timed but could not keep (its
   * ring was full): those are counted, with no cause or pause. NULL = the
   * VM cannot time them (they are then only counted, from
   * alloc_amount/collected, with no cause or pause). The real VM's are
   * timed by the gc_collect() wrap (gc_hook.h). */
  unsigned (*take_collections)(void *ctx, gcmon_mp_collection *out,
                               unsigned max, uint64_t *lost);
} gcmon_mp_vm;

#endif
