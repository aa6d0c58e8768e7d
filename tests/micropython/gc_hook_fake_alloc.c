/* The pretend py/gc.c: gc_alloc() collecting when the heap is full. */
#include "gc_hook_fake.h"

void fake_gc_alloc_full(uint64_t bytes) {
  gc_collect();
  fake_gc_set_used(fake_gc_used() + bytes);
}
