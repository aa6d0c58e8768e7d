/* The pretend py/modgc.c: the call site of a program's gc.collect(). */
#include "gc_hook_fake.h"

uint64_t fake_py_gc_collect(void) {
  gc_collect();
  return fake_gc_collections(); /* as py_gc_collect returns gc_collected */
}
