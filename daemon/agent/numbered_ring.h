/* Numbered rings: records numbered from 1 kept in a fixed array of
 * `capacity` slots (number modulo capacity), the newest `capacity` of them
 * retained. Shared arithmetic of the collection and alarm-event rings. */
#ifndef GCMON_NUMBERED_RING_H
#define GCMON_NUMBERED_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Oldest number retained when `next` is the number the next record takes
 * (0 when there is none yet). */
static inline uint64_t gcmon__ring_oldest(uint64_t next, uint32_t capacity) {
  uint64_t newest = next - 1;
  if (newest == 0)
    return 0;
  return newest >= capacity ? newest - capacity + 1 : 1;
}

/* Whether record `number` is retained. */
static inline bool gcmon__ring_has(uint64_t next, uint32_t capacity,
                                   uint64_t number) {
  uint64_t oldest = gcmon__ring_oldest(next, capacity);
  return oldest != 0 && number >= oldest && number < next;
}

#endif
