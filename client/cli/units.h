/* Numbers for people: sizes with binary suffixes in and out, durations. */
#ifndef GCMON_CLI_UNITS_H
#define GCMON_CLI_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "65536", "64K", "64KiB", "1M", "1.5M", "2G" (binary multiples, any case)
 * -> bytes. 0 or -1 when malformed or above INT64_MAX. */
int units_parse_size(const char *s, int64_t *out);

/* 1536 -> "1.50 KiB", 512 -> "512 B". */
void units_format_bytes(uint64_t bytes, char *out, size_t len);

/* microseconds -> "850 us", "12.3 ms", "4.20 s". */
void units_format_duration_us(uint64_t us, char *out, size_t len);

/* Host wall-clock time (microseconds since 1970) as ISO 8601: UTC with
 * milliseconds, "2026-12-03T16:10:00.123Z" (JSON, CSV); or local time for
 * a table, "16:10:00" or with date "2026-12-03T16:10:00". */
#define UNITS_TIME_ISO_MAX 32
void units_format_time_utc(int64_t wall_us, char *out, size_t len);
void units_format_time_local(int64_t wall_us, bool date, char *out,
                             size_t len);

#endif
