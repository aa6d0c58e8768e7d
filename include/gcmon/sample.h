/* The plain C shape of one gcmon reading, shared by the daemon (which fills
 * it from a source) and the client library (which hands it to callers).
 * No protobuf types appear here: users of libgcmon need no protobuf headers.
 * Field meanings are those of docs/protocol.md's Sample, GcInfo and MemInfo. */
#ifndef GCMON_SAMPLE_H
#define GCMON_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* (total, used, free) in bytes: the tuple order of gc.sys_heap(); used is
 * always the current use. peak_used is the highest use since boot where the
 * board keeps one (the K230 kernel heap on most firmware), 0 when unknown
 * (MemInfo.peak_used, protocol 1.1). */
typedef struct gcmon_mem_info {
  uint64_t total;
  uint64_t used;
  uint64_t free;
  uint64_t peak_used;
} gcmon_mem_info;

/* MicroPython's gc heap. */
typedef struct gcmon_gc_info {
  int64_t mem_alloc;    /* gc.mem_alloc() */
  int64_t mem_free;     /* gc.mem_free(); -1 when it cannot be determined */
  int64_t threshold;    /* gc.threshold(); -1 when disabled */
  bool enabled;         /* gc.isenabled() */
  uint64_t collections; /* collections seen since start, when known */
  int64_t largest_free; /* largest free block in bytes; -1 when unknown */
} gcmon_gc_info;

typedef struct gcmon_sample {
  uint64_t seq;       /* series number from 1; 0 for an on-demand reading */
  uint64_t uptime_us; /* device monotonic time of the reading */
  bool has_gc;        /* false when the source has no gc heap */
  gcmon_gc_info gc;
  uint64_t sys_total; /* gc.sys_total(); 0 = unknown */
  bool has_sys_heap;
  bool has_sys_page;
  bool has_sys_mmz;
  gcmon_mem_info sys_heap; /* kernel heap */
  gcmon_mem_info sys_page; /* user pages */
  gcmon_mem_info sys_mmz;  /* multimedia MMZ pool */
} gcmon_sample;

typedef struct gcmon_collect_result {
  int64_t freed_bytes;  /* mem_alloc before - after */
  uint64_t duration_us; /* how long the collection took */
  gcmon_sample after;   /* on-demand reading after the collection */
} gcmon_collect_result;

#ifdef __cplusplus
}
#endif
#endif
