/* The history ring: the last N series samples, addressed by seq.
 *
 * Seq numbers start at 1 and grow by one per sample; the ring keeps the
 * newest `capacity` of them. Lookups are O(1) (seq modulo capacity). The
 * storage is allocated once at init. */
#ifndef GCMON_HISTORY_H
#define GCMON_HISTORY_H

#include "gcmon/sample.h"

#include <stdint.h>

typedef struct {
  gcmon_sample *slots;
  uint32_t capacity;
  uint64_t newest; /* seq of the newest sample; 0 = empty */
} gcmon__history;

/* 0 or GCMON_ENOMEM. */
int gcmon__history_init(gcmon__history *h, uint32_t capacity);
void gcmon__history_close(gcmon__history *h);

/* Store s as seq newest + 1 (written into s->seq too); returns that seq. */
uint64_t gcmon__history_append(gcmon__history *h, gcmon_sample *s);

/* Oldest retained seq, 0 when empty. */
uint64_t gcmon__history_oldest(const gcmon__history *h);

/* The sample with this seq, or NULL when not retained. */
const gcmon_sample *gcmon__history_get(const gcmon__history *h, uint64_t seq);

#endif
