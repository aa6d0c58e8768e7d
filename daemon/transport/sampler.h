/* The sampler's schedule: when the next series sample is due.
 *
 * A repeating libuv timer re-arms from the instant it fired, so every
 * wake-up that comes late (the loop's millisecond clock, a busy loop, the
 * scheduler) lengthens the period for good: at 10 ms gcmond took 90-97
 * samples a second instead of 100. The server instead keeps an absolute
 * deadline on the loop's clock and arms a one-shot timer for it, so a late
 * wake-up only shortens the next wait and the rate stays exact. */
#ifndef GCMON_SAMPLER_H
#define GCMON_SAMPLER_H

#include <stdint.h>

/* The deadline after `due` (when the sample just taken was due), given the
 * loop time `now` and the period, all in milliseconds: due + interval,
 * unless the loop stalled past that and the one after, in which case the
 * missed samples are skipped (a stall is not answered with a burst) and
 * the latest deadline not after now is returned, so one sample is taken
 * at once and the schedule continues on its grid. */
uint64_t gcmon__sampler_next_due(uint64_t due, uint64_t now,
                                 uint32_t interval_ms);

#endif
