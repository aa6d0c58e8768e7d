/* Size and duration parsing and formatting (see units.h). */
#define _POSIX_C_SOURCE 200809L /* gmtime_r, localtime_r */
#include "units.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Decimal with an optional fraction: value in millionths. */
static int parse_decimal(const char **p, uint64_t *micro) {
  const char *s = *p;
  uint64_t whole = 0, frac = 0, scale = 1000000;
  int digits = 0;

  while (*s >= '0' && *s <= '9') {
    if (whole > (UINT64_MAX / 10 - 9) / 1000000)
      return -1;
    whole = whole * 10 + (uint64_t)(*s++ - '0');
    digits++;
  }
  if (*s == '.') {
    s++;
    while (*s >= '0' && *s <= '9') {
      if (scale > 1) {
        scale /= 10;
        frac += (uint64_t)(*s - '0') * scale;
      }
      s++;
      digits++;
    }
  }
  if (digits == 0)
    return -1;
  *micro = whole * 1000000 + frac;
  *p = s;
  return 0;
}

int units_parse_size(const char *s, int64_t *out) {
  uint64_t micro, mult = 1, bytes;
  const char *p = s;

  if (!s || parse_decimal(&p, &micro) != 0)
    return -1;
  switch (*p) {
  case 'k':
  case 'K':
    mult = 1024;
    p++;
    break;
  case 'm':
  case 'M':
    mult = 1024 * 1024;
    p++;
    break;
  case 'g':
  case 'G':
    mult = 1024 * 1024 * 1024;
    p++;
    break;
  default:
    break;
  }
  if (mult > 1 && strcasecmp(p, "ib") == 0)
    p += 2;
  else if (strcasecmp(p, "b") == 0)
    p += 1;
  if (*p != '\0')
    return -1;
  if (micro / 1000000 > (uint64_t)INT64_MAX / mult)
    return -1;
  bytes = micro / 1000000 * mult + micro % 1000000 * mult / 1000000;
  if (mult == 1 && micro % 1000000 != 0)
    return -1; /* a fraction of a byte */
  if (bytes > (uint64_t)INT64_MAX)
    return -1;
  *out = (int64_t)bytes;
  return 0;
}

void units_format_bytes(uint64_t bytes, char *out, size_t len) {
  /* up to EiB: no figure is ever wider than "1023.99 KiB" (11 cells) */
  static const char *const names[] = {"KiB", "MiB", "GiB",
                                      "TiB", "PiB", "EiB"};
  double v = (double)bytes;
  int i = -1;

  if (bytes < 1024) {
    snprintf(out, len, "%u B", (unsigned)bytes);
    return;
  }
  while (v >= 1024.0 && i < 5) {
    v /= 1024.0;
    i++;
  }
  snprintf(out, len, "%.2f %s", v, names[i]);
}

void units_format_duration_us(uint64_t us, char *out, size_t len) {
  if (us < 1000)
    snprintf(out, len, "%u us", (unsigned)us);
  else if (us < 1000000)
    snprintf(out, len, "%.2f ms", (double)us / 1000.0);
  else
    snprintf(out, len, "%.2f s", (double)us / 1e6);
}

void units_format_time_utc(int64_t wall_us, char *out, size_t len) {
  time_t secs = (time_t)(wall_us / 1000000);
  struct tm tm;
  char base[24];
  if (!gmtime_r(&secs, &tm) ||
      strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
    snprintf(out, len, "%s", "");
    return;
  }
  snprintf(out, len, "%s.%03dZ", base, (int)(wall_us / 1000 % 1000));
}

void units_format_time_local(int64_t wall_us, bool date, char *out,
                             size_t len) {
  time_t secs = (time_t)(wall_us / 1000000);
  struct tm tm;
  if (!localtime_r(&secs, &tm) ||
      strftime(out, len, date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm) == 0)
    snprintf(out, len, "%s", "");
}
