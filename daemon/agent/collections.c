/* The collection ring (see collections.h). */
#include "collections.h"
#include "numbered_ring.h"

#include <string.h>

void gcmon__coll_init(gcmon__collections *c) {
  memset(c, 0, sizeof *c);
  c->next_number = 1;
}

uint64_t gcmon__coll_add(gcmon__collections *c, const gcmon_collection *r) {
  uint64_t n = c->next_number++;
  gcmon_collection *slot = &c->ring[n % GCMON__COLLECTION_RING];
  *slot = *r;
  slot->number = n;
  c->explained++;
  return n;
}

void gcmon__coll_tick(gcmon__collections *c, const gcmon_sample *s,
                      gcmon_collection_cause unexplained_cause) {
  uint64_t jump, added;

  if (!s->has_gc)
    return;
  jump = c->have_count && s->gc.collections > c->counted
             ? s->gc.collections - c->counted
             : 0;
  added = c->explained;
  for (uint64_t i = added; i < jump; i++) {
    /* Only the last of several unexplained ones ends at this tick's
     * mem_alloc; the others' values are not known. */
    bool last = i + 1 == jump;
    bool first = i == added;
    gcmon_collection r = {
        .cause = unexplained_cause,
        .start_uptime_us = s->uptime_us,
        .alloc_before = first ? c->prev_alloc : -1,
        .alloc_after = last ? s->gc.mem_alloc : -1,
        .freed_bytes = -1,
        .largest_free_after = last ? s->gc.largest_free : -1,
        .seq = s->seq,
    };
    if (first && last && c->prev_alloc >= 0 && s->gc.mem_alloc >= 0)
      r.freed_bytes = c->prev_alloc - s->gc.mem_alloc;
    gcmon__coll_add(c, &r);
  }
  c->explained = 0;
  c->have_count = true;
  c->counted = s->gc.collections;
  c->prev_alloc = s->gc.mem_alloc;
}

uint64_t gcmon__coll_oldest(const gcmon__collections *c) {
  return gcmon__ring_oldest(c->next_number, GCMON__COLLECTION_RING);
}

const gcmon_collection *gcmon__coll_get(const gcmon__collections *c,
                                        uint64_t number) {
  return gcmon__ring_has(c->next_number, GCMON__COLLECTION_RING, number)
             ? &c->ring[number % GCMON__COLLECTION_RING]
             : NULL;
}

void gcmon__coll_to_pb(const gcmon_collection *r,
                       gcmon_v1_CollectionRecord *out) {
  *out = (gcmon_v1_CollectionRecord)gcmon_v1_CollectionRecord_init_zero;
  out->number = r->number;
  out->cause = (gcmon_v1_CollectionRecord_Cause)r->cause;
  out->start_uptime_us = r->start_uptime_us;
  out->pause_us = r->pause_us;
  out->alloc_before = r->alloc_before;
  out->alloc_after = r->alloc_after;
  out->freed_bytes = r->freed_bytes;
  out->largest_free_after = r->largest_free_after;
  out->seq = r->seq;
}
