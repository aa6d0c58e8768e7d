/* The allocation counter of alloc_count.h: --wrap shims around libc. */
#include "alloc_count.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static unsigned long allocations; /* updated atomically */

static void count(void) {
  __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
}

void *__wrap_malloc(size_t n) {
  count();
  return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m) {
  count();
  return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n) {
  count();
  return __real_realloc(p, n);
}

unsigned long gcmon_test_allocations(void) {
  return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}
