/* Counts the process's libc allocations, for tests that prove a path
 * allocates nothing. A test target gets it with
 * gcmon_test_count_allocations(<target>) in CMake, which links
 * alloc_count.c and wraps malloc/calloc/realloc at link time. */
#ifndef GCMON_ALLOC_COUNT_H
#define GCMON_ALLOC_COUNT_H

/* malloc + calloc + realloc calls so far, from any thread. */
unsigned long gcmon_test_allocations(void);

#endif
