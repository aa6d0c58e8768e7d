/* Strict scanning of /proc-style text for the sources; see source_text.h. */
#include "source_text.h"

#include <string.h>

bool gcmon__text_u64(const char **p, const char *end, uint64_t *out) {
  const char *s = *p;
  uint64_t v = 0;

  if (s >= end || *s < '0' || *s > '9')
    return false;
  for (; s < end && *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  *p = s;
  return true;
}

bool gcmon__text_lit(const char **p, const char *end, const char *lit) {
  size_t n = strlen(lit);

  if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
    return false;
  *p += n;
  return true;
}

void gcmon__text_blanks(const char **p, const char *end) {
  while (*p < end && (**p == ' ' || **p == '\t'))
    (*p)++;
}

const char *gcmon__text_find(const char *buf, const char *end,
                             const char *needle) {
  size_t n = strlen(needle);

  for (const char *s = buf; (size_t)(end - s) >= n; s++)
    if (memcmp(s, needle, n) == 0)
      return s;
  return NULL;
}

const char *gcmon__text_find_last(const char *buf, const char *end,
                                  const char *needle) {
  size_t n = strlen(needle);

  if ((size_t)(end - buf) < n)
    return NULL;
  for (const char *s = end - n;; s--) {
    if (memcmp(s, needle, n) == 0)
      return s;
    if (s == buf)
      return NULL;
  }
}
