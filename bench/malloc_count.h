/* The counters libgcmon_malloc_count.so (malloc_count.c) keeps for the
 * process it is preloaded into, in a file both sides map:
 *
 *     GCMON_MALLOC_COUNT_FILE=/tmp/x LD_PRELOAD=.../gcmon_malloc_count.so
 * gcmond
 *
 * The measuring process creates the file (sizeof(bench_malloc_counts)
 * bytes, zeroed), maps it too and reads the counters whenever it likes.
 * Every field only grows, except live_bytes. */
#ifndef GCMON_BENCH_MALLOC_COUNT_H
#define GCMON_BENCH_MALLOC_COUNT_H

#include <stdint.h>

#define BENCH_MALLOC_COUNT_ENV "GCMON_MALLOC_COUNT_FILE"

typedef struct {
  uint64_t allocs;    /* malloc, calloc, realloc(NULL or growing), *align* */
  uint64_t reallocs;  /* realloc of an existing block (also in allocs) */
  uint64_t frees;     /* free of a non-NULL pointer */
  uint64_t bytes;     /* usable bytes handed out, summed */
  int64_t live_bytes; /* usable bytes allocated and not yet freed */
} bench_malloc_counts;

#endif
