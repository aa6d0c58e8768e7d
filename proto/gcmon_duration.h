/* Durations on the command line, one rule for gcmond and gcmon: a number
 * with an optional fraction and an optional unit, "ms", "s" or "m"; a bare
 * number is milliseconds. "250", "250ms", "1.5s", "2m" are all accepted by
 * every flag that takes a duration. No I/O, no allocation. */
#ifndef GCMON_DURATION_H
#define GCMON_DURATION_H

#include <stdint.h>

/* The longest duration any flag accepts: one day. */
#define GCMON_DURATION_MAX_MS 86400000u

/* s -> whole milliseconds in *out, 1 ms .. GCMON_DURATION_MAX_MS.
 * 0 on success, GCMON_EINVAL when malformed or out of range (a fraction
 * of a millisecond is truncated; what truncates to 0 is refused). */
int gcmon_parse_duration_ms(const char *s, uint32_t *out);

#endif
