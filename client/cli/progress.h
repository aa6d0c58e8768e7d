/* A one-line progress report on stderr for long-running commands
 * (record): rewritten in place with \r at most a few times a second, and
 * cleared before any other line is printed, so it never mixes with the
 * messages. Silent unless stderr is a terminal. */
#ifndef GCMON_CLI_PROGRESS_H
#define GCMON_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
  const char *prog;
  bool enabled;
  bool shown; /* a line is on the terminal now */
  int64_t start_us, last_us;
} progress;

void progress_init(progress *p, const char *prog, bool enabled);
/* "gcmon record: 1234 samples, 0 gaps, 0 restarts, 10.0/s" */
void progress_update(progress *p, uint64_t samples, uint64_t gaps,
                     uint64_t restarts);
/* Erase the line (before another message, or at the end). */
void progress_clear(progress *p);

/* "sample" or "samples" for n. */
const char *plural(uint64_t n, const char *one, const char *many);

#endif
