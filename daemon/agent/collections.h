/* Collection records: every collection of the gc heap the agent sees, in a
 * bounded ring numbered from 1.
 *
 * Three ways in, checked at each sampler tick: the agent's own collect
 * (gcmon__coll_add from dispatch, cause REMOTE), records the source hands
 * over (its take_collections op: the program's gc.collect(), automatic
 * ones, with their pause), and, for collections neither explained, the
 * jump of the sample's gc.collections counter (cause AUTOMATIC when the
 * source says every unexplained collection is automatic, else UNKNOWN;
 * pause unknown, alloc before = the previous tick's). Readers keep a
 * number as their cursor; a reader that falls behind the ring's oldest
 * record has lost the ones between (counted by the reader). */
#ifndef GCMON_COLLECTIONS_H
#define GCMON_COLLECTIONS_H

#include "gcmon.pb.h"
#include "gcmon/insight.h"

#define GCMON__COLLECTION_RING 32u

typedef struct gcmon__collections {
  gcmon_collection ring[GCMON__COLLECTION_RING];
  uint64_t next_number; /* number the next record takes (from 1) */
  uint64_t explained;   /* records added since the last tick */
  bool have_count;      /* counted/prev_* are from a tick */
  uint64_t counted;     /* gc.collections at the last tick */
  int64_t prev_alloc;   /* mem_alloc at the last tick */
} gcmon__collections;

void gcmon__coll_init(gcmon__collections *c);

/* Append a record (its number is assigned); returns the number. */
uint64_t gcmon__coll_add(gcmon__collections *c, const gcmon_collection *r);

/* At a tick whose sample is s: add a record for every collection the
 * gc.collections counter shows beyond those added since the last tick. */
void gcmon__coll_tick(gcmon__collections *c, const gcmon_sample *s,
                      gcmon_collection_cause unexplained_cause);

/* Oldest retained number (0 when none yet). */
uint64_t gcmon__coll_oldest(const gcmon__collections *c);

/* The record with this number, or NULL when not retained. */
const gcmon_collection *gcmon__coll_get(const gcmon__collections *c,
                                        uint64_t number);

void gcmon__coll_to_pb(const gcmon_collection *r,
                       gcmon_v1_CollectionRecord *out);

#endif
