/* The MicroPython side of the gc_collect() wrap (gc_hook.h): calibrating
 * it with the gc module's own collect, mem_alloc without a gc_info() scan,
 * and the VM op that drains its records. With GCMON_GC_HOOK=0 (no
 * -Wl,--wrap=gc_collect in the build) every function here does nothing
 * and the VM has no take_collections. */
#include "vm_micropython.h"

#include <stddef.h>

#ifndef GCMON_GC_HOOK
#define GCMON_GC_HOOK 0
#endif

#if GCMON_GC_HOOK
#include "gc_hook.h"
#include "gc_lock_micropython.h"

#include "py/gc.h"
#include "py/mpstate.h"
#include "py/mpthread.h"
#include "py/runtime.h"

#include <string.h>

#if MICROPY_GC_SPLIT_HEAP
#define NEXT_AREA(area) ((area)->next)
#else
#define NEXT_AREA(area) (NULL)
#endif

/* Blocks in use among the 4 two-bit entries of each byte of v (py/gc.c's
 * allocation table: 0 free, else head, tail or mark). */
static unsigned used_entries(uint64_t v) {
  return (unsigned)__builtin_popcountll((v | v >> 1) & 0x5555555555555555ull);
}

/* gc.mem_alloc() as gc_info() counts it (head and tail blocks), from the
 * allocation tables alone: a quarter byte per block, 8 bytes at a time,
 * about a hundredth of gc_info()'s cost. The wrap runs on the collecting
 * thread, which holds the GIL on GIL builds and not gc_mutex (gc_alloc()
 * and py/modgc.c call gc_collect() without it), so gc_mutex is free to
 * take on no-GIL builds. */
static uint64_t used_bytes(void) {
  uint64_t blocks = 0;

  GC_WORD_LOCK();
  for (mp_state_mem_area_t *area = &MP_STATE_MEM(area); area != NULL;
       area = NEXT_AREA(area)) {
    const byte *atb = area->gc_alloc_table_start;
    size_t len = area->gc_alloc_table_byte_len, i = 0;
    for (; i + 8 <= len; i += 8) {
      uint64_t v;
      memcpy(&v, atb + i, sizeof v);
      blocks += used_entries(v);
    }
    for (; i < len; i++)
      blocks += used_entries(atb[i]);
  }
  GC_WORD_UNLOCK();
  return blocks * MICROPY_BYTES_PER_GC_BLOCK;
}

/* gc.collect() as a program calls it: through the gc module's function
 * object, so the wrap sees py/modgc.c's call site. */
static void call_gc_collect(void *arg) {
  mp_obj_t gc =
      mp_import_name(MP_QSTR_gc, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
  (void)arg;
  mp_call_function_0(mp_load_attr(gc, MP_QSTR_collect));
}

static unsigned take(void *ctx, gcmon_mp_collection *out, unsigned max,
                     uint64_t *lost) {
  (void)ctx;
  return gcmon_mp_gc_hook_take(out, max, lost);
}

bool gcmon_mp_vm_gc_hook_start(void) {
  if (!gcmon_mp_gc_hook_calibrated())
    gcmon_mp_gc_hook_calibrate(call_gc_collect, NULL);
  return gcmon_mp_gc_hook_arm(used_bytes);
}

void gcmon_mp_vm_gc_hook_stop(void) {
  gcmon_mp_gc_hook_disarm();
}

void gcmon_mp_vm_gc_hook_remote(bool on) {
  gcmon_mp_gc_hook_remote(on);
}

uint64_t gcmon_mp_vm_gc_hook_remote_pause_us(void) {
  return gcmon_mp_gc_hook_remote_pause_us();
}

gcmon_mp_take_collections_fn gcmon_mp_vm_gc_hook_take_fn(void) {
  return gcmon_mp_gc_hook_calibrated() ? take : NULL;
}

#else /* !GCMON_GC_HOOK */

bool gcmon_mp_vm_gc_hook_start(void) {
  return false;
}

void gcmon_mp_vm_gc_hook_stop(void) {
}

void gcmon_mp_vm_gc_hook_remote(bool on) {
  (void)on;
}

uint64_t gcmon_mp_vm_gc_hook_remote_pause_us(void) {
  return 0;
}

gcmon_mp_take_collections_fn gcmon_mp_vm_gc_hook_take_fn(void) {
  return NULL;
}

#endif
