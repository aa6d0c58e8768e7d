/* Sample series for the compact-stream tests and benchmark: what a daemon
 * would stream, reading by reading.
 *
 *   sim       the sim source, default workload, read every 10 ms by a timer
 *             that jitters (+-0.7 ms), with remote collects, a threshold
 *             change and a disabled stretch, as a user would cause;
 *   heavy     the same with the sim's heavy workload;
 *   micropython  the recorded MicroPython trace (fixtures/
 *             micropython_trace.csv, 2,000 readings of a gc heap; no system
 *             pools), replayed end to end as often as needed with time
 *             moving on.
 * seq runs from 1. */
#ifndef GCMON_COMPACT_TRACES_H
#define GCMON_COMPACT_TRACES_H

#include "gcmon/sample.h"
#include "source.h"

#include <stddef.h>
#include <stdint.h>

#define TRACE_PERIOD_US 10000u
#define TRACE_MP_ROWS   2000u

typedef enum { TRACE_SIM, TRACE_HEAVY, TRACE_MICROPYTHON } trace_kind;

typedef struct {
  trace_kind kind;
  gcmon_source *src;
  uint64_t seq;
  uint64_t rand;
  gcmon_sample rows[TRACE_MP_ROWS];
} trace;

extern const char *const trace_names[3];

/* 0 or GCMON_E*; mp_csv is the fixture's path (TRACE_MICROPYTHON only). */
int trace_open(trace *t, trace_kind kind, const char *mp_csv);
void trace_close(trace *t);
/* The next reading (seq = previous + 1). */
void trace_next(trace *t, gcmon_sample *out);

#endif
