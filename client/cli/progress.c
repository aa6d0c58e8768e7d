/* The progress line (see progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>

#define PROGRESS_EVERY_US 250000

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void progress_init(progress *p, const char *prog, bool enabled) {
  p->prog = prog;
  p->enabled = enabled;
  p->shown = false;
  p->start_us = mono_us();
  p->last_us = 0;
}

const char *plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

void progress_update(progress *p, uint64_t samples, uint64_t gaps,
                     uint64_t restarts) {
  int64_t now = mono_us();
  double secs;
  if (!p->enabled || (p->shown && now - p->last_us < PROGRESS_EVERY_US))
    return;
  p->last_us = now;
  secs = (double)(now - p->start_us) / 1e6;
  fprintf(stderr, "\r\033[K%s record: %llu %s, %llu %s, %llu %s, %.1f/s",
          p->prog, (unsigned long long)samples,
          plural(samples, "sample", "samples"), (unsigned long long)gaps,
          plural(gaps, "gap", "gaps"), (unsigned long long)restarts,
          plural(restarts, "restart", "restarts"),
          secs > 0.5 ? (double)samples / secs : 0.0);
  fflush(stderr);
  p->shown = true;
}

void progress_clear(progress *p) {
  if (!p->shown)
    return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  p->shown = false;
}
