/* A growing text buffer for the exposition. It doubles as needed; after an
 * allocation failure it keeps what it has, stops growing and says so, so
 * that the HTTP side answers 500 "out of memory" instead of a truncated
 * exposition that Prometheus would half-ingest. */
#include "export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void export_text_init(export_text *t) {
  memset(t, 0, sizeof *t);
}

void export_text_free(export_text *t) {
  free(t->buf);
  memset(t, 0, sizeof *t);
}

static bool reserve(export_text *t, size_t more) {
  size_t cap;
  char *b;

  if (t->oom)
    return false;
  if (t->len + more + 1 <= t->cap)
    return true;
  cap = t->cap ? t->cap : 4096;
  while (cap < t->len + more + 1)
    cap *= 2;
  b = realloc(t->buf, cap);
  if (!b) {
    t->oom = true;
    return false;
  }
  t->buf = b;
  t->cap = cap;
  return true;
}

void export_text_put(export_text *t, const char *s, size_t n) {
  if (!reserve(t, n))
    return;
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

void export_text_printf(export_text *t, const char *fmt, ...) {
  char small[256];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof small) {
    export_text_put(t, small, (size_t)n);
    return;
  }
  if (!reserve(t, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(t->buf + t->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}
