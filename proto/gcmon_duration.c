/* The one duration syntax of both programs (see gcmon_duration.h). */
#include "gcmon_duration.h"

#include "gcmon/error.h"

#include <string.h>

int gcmon_parse_duration_ms(const char *s, uint32_t *out) {
  uint64_t whole = 0, frac_us = 0, scale = 1000000, us_per_unit, ms;
  int digits = 0;

  if (!s)
    return GCMON_EINVAL;
  for (; *s >= '0' && *s <= '9'; s++, digits++) {
    if (whole > GCMON_DURATION_MAX_MS)
      return GCMON_EINVAL;
    whole = whole * 10 + (uint64_t)(*s - '0');
  }
  if (*s == '.')
    for (s++; *s >= '0' && *s <= '9'; s++, digits++)
      if (scale > 1) {
        scale /= 10;
        frac_us += (uint64_t)(*s - '0') * scale;
      }
  if (digits == 0)
    return GCMON_EINVAL;
  if (*s == '\0' || strcmp(s, "ms") == 0)
    us_per_unit = 1000;
  else if (strcmp(s, "s") == 0)
    us_per_unit = 1000000;
  else if (strcmp(s, "m") == 0)
    us_per_unit = 60000000;
  else
    return GCMON_EINVAL;
  /* value = (whole + frac_us / 1e6) units, in milliseconds */
  ms = whole * (us_per_unit / 1000) + frac_us * (us_per_unit / 1000) / 1000000;
  if (ms == 0 || ms > GCMON_DURATION_MAX_MS)
    return GCMON_EINVAL;
  *out = (uint32_t)ms;
  return 0;
}
