/* Memory insight (protocol 1.1): the plain C shapes of watermarks,
 * collection records and alarms, shared by the daemon's agent core (which
 * keeps them) and libgcmon (which hands them to callers). Field meanings
 * are those of docs/protocol.md, "Memory insight"; no protobuf types here.
 *
 *     gcmon_watermark_window w;
 *     gcmon_get_watermarks(c, false, &w, 0);   // since the window start
 *     if (w.values.pool[GCMON_POOL_GC].present)
 *       printf("lowest gc free: %llu\n",
 *              (unsigned long long)w.values.pool[GCMON_POOL_GC].min_free);
 */
#ifndef GCMON_INSIGHT_H
#define GCMON_INSIGHT_H

#include "gcmon/export.h"
#include "gcmon/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The four pools of a Sample, in AlarmRule.Pool order. */
typedef enum gcmon_pool {
  GCMON_POOL_GC = 0,   /* MicroPython's gc heap */
  GCMON_POOL_SYS_HEAP, /* kernel heap */
  GCMON_POOL_SYS_PAGE, /* user pages */
  GCMON_POOL_SYS_MMZ,  /* multimedia MMZ */
  GCMON_POOL_COUNT
} gcmon_pool;

/* Extremes of one pool over a window of sampler ticks. */
typedef struct gcmon_pool_watermark {
  bool present;             /* false: the pool was absent from every tick */
  uint64_t min_free;        /* lowest free */
  uint64_t max_used;        /* highest used */
  int64_t min_largest_free; /* lowest largest free block; -1 = unknown */
} gcmon_pool_watermark;

typedef struct gcmon_watermarks {
  uint64_t from_seq; /* first series tick covered (0: none yet) */
  uint64_t to_seq;   /* last series tick covered */
  gcmon_pool_watermark pool[GCMON_POOL_COUNT];
} gcmon_watermarks;

/* get_watermarks: the daemon-wide window (the closed one, on reset). */
typedef struct gcmon_watermark_window {
  gcmon_watermarks values;
  uint64_t start_uptime_us; /* device time the window started */
} gcmon_watermark_window;

typedef enum gcmon_collection_cause {
  GCMON_COLLECTION_UNKNOWN = 0,
  GCMON_COLLECTION_REMOTE,   /* a collect request */
  GCMON_COLLECTION_PROGRAM,  /* the program called gc.collect() */
  GCMON_COLLECTION_AUTOMATIC /* the allocator collected by itself */
} gcmon_collection_cause;

/* One collection the daemon saw. */
typedef struct gcmon_collection {
  uint64_t number; /* count since the daemon started, from 1 */
  gcmon_collection_cause cause;
  uint64_t start_uptime_us;   /* device time it started (or was seen) */
  uint64_t pause_us;          /* 0 = unknown */
  int64_t alloc_before;       /* mem_alloc before; -1 = unknown */
  int64_t alloc_after;        /* mem_alloc after; -1 = unknown */
  int64_t freed_bytes;        /* before - after; -1 = unknown */
  int64_t largest_free_after; /* -1 = unknown */
  uint64_t seq;               /* series tick at which it was seen */
} gcmon_collection;

/* Records one get_collections answer carries at most. */
#define GCMON_COLLECTIONS_MAX 6

typedef struct gcmon_collections {
  size_t count;
  gcmon_collection records[GCMON_COLLECTIONS_MAX]; /* ascending number */
  uint64_t next_number;   /* pass as from_number to continue */
  uint64_t oldest_number; /* oldest retained (0 when none yet) */
} gcmon_collections;

typedef enum gcmon_alarm_metric {
  GCMON_ALARM_FREE = 0,
  GCMON_ALARM_USED,
  GCMON_ALARM_LARGEST_FREE,
  GCMON_ALARM_FRAGMENTATION /* 1 - largest_free/free, parts per million */
} gcmon_alarm_metric;

typedef enum gcmon_alarm_compare {
  GCMON_ALARM_BELOW = 0, /* raised while the metric is below level */
  GCMON_ALARM_ABOVE      /* raised while the metric is above level */
} gcmon_alarm_compare;

#define GCMON_ALARMS_MAX      6  /* rules a daemon holds */
#define GCMON_ALARM_NAME_MAX  24 /* AlarmRule.name, bytes */
#define GCMON_ALARM_OWNER_MAX 40 /* AlarmRule.owner, bytes */

typedef struct gcmon_alarm_rule {
  uint32_t id; /* set by the daemon */
  gcmon_pool pool;
  gcmon_alarm_metric metric;
  gcmon_alarm_compare compare;
  int64_t level;      /* bytes, or ppm for FRAGMENTATION */
  int64_t hysteresis; /* clears once back past level by this much (>= 0) */
  uint32_t hold_ms;   /* past level this long before it is raised */
  char name[GCMON_ALARM_NAME_MAX + 1];
  char owner[GCMON_ALARM_OWNER_MAX + 1]; /* set by the daemon */
} gcmon_alarm_rule;

typedef struct gcmon_alarm_state {
  gcmon_alarm_rule rule;
  bool active;        /* raised now */
  uint64_t since_seq; /* tick of the last raise or clear (0: never) */
  int64_t value;      /* the metric at that tick */
} gcmon_alarm_state;

typedef struct gcmon_alarm_list {
  size_t count;
  gcmon_alarm_state alarms[GCMON_ALARMS_MAX];
} gcmon_alarm_list;

/* A rule raised or cleared. */
typedef struct gcmon_alarm_event {
  uint32_t alarm;      /* rule id */
  bool raised;         /* false: cleared */
  int64_t value;       /* the metric that crossed */
  gcmon_sample sample; /* the series sample that caused it */
} gcmon_alarm_event;

/* Names as in docs/protocol.md ("gc", "free", "below", "program"). */
GCMON_EXPORT const char *gcmon_pool_name(gcmon_pool pool);
GCMON_EXPORT const char *gcmon_alarm_metric_name(gcmon_alarm_metric metric);
GCMON_EXPORT const char *gcmon_alarm_compare_name(gcmon_alarm_compare compare);
GCMON_EXPORT const char *
gcmon_collection_cause_name(gcmon_collection_cause cause);

#ifdef __cplusplus
}
#endif
#endif
