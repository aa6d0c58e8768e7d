/* Strict scanning of the small text files sources read (/proc/meminfo,
 * /proc/media-mem): unsigned decimals that reject signs, junk and overflow,
 * literal matching and substring search over a (pointer, end) span that need
 * not be NUL-terminated. No allocation; every function advances *p only on
 * success, so a caller can try alternatives from the same place. */
#ifndef GCMON_SOURCE_TEXT_H
#define GCMON_SOURCE_TEXT_H

#include <stdbool.h>
#include <stdint.h>

/* One or more ASCII digits into *out. False (and *p unchanged) on no digit
 * or on a value past UINT64_MAX. */
bool gcmon__text_u64(const char **p, const char *end, uint64_t *out);

/* Match the literal lit at *p. */
bool gcmon__text_lit(const char **p, const char *end, const char *lit);

/* Skip spaces and tabs (not newlines). */
void gcmon__text_blanks(const char **p, const char *end);

/* First / last occurrence of needle in [buf, end), or NULL. */
const char *gcmon__text_find(const char *buf, const char *end,
                             const char *needle);
const char *gcmon__text_find_last(const char *buf, const char *end,
                                  const char *needle);

#endif
