/* Times one history download through libgcmon, as `gcmon history` does it
 * (pipelined get_history, compact when granted): the first N retained
 * samples of TARGET. For bench/compact-link, which runs it over a paced
 * serial line with and without ?compact=0.
 *
 *     bench_history_fetch TARGET N
 * prints: <samples> <gaps> <seconds> <compact granted 0|1> */
#define _POSIX_C_SOURCE 200809L
#include "gcmon/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  uint64_t samples, gaps, last;
  int bad;
} tally;

static void on_sample(void *data, const gcmon_sample *s) {
  tally *t = data;
  if (s->seq <= t->last)
    t->bad = 1;
  t->last = s->seq;
  t->samples++;
}

static void on_gap(void *data, uint64_t first, uint64_t last) {
  tally *t = data;
  t->gaps += last - first + 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  gcmon_client *c;
  gcmon_history_options o = {0};
  tally t = {0, 0, 0, 0};
  double t0;
  int err;

  if (argc != 3) {
    fprintf(stderr, "usage: bench_history_fetch TARGET N\n");
    return 2;
  }
  if (gcmon_client_init(&c, NULL, argv[1], NULL) != 0 ||
      gcmon_client_connect(c, 10000) != 0) {
    fprintf(stderr, "bench_history_fetch: cannot connect to %s\n", argv[1]);
    return 1;
  }
  o.from_seq = 1;
  o.max_samples = strtoull(argv[2], NULL, 10);
  o.on_sample = on_sample;
  o.on_gap = on_gap;
  o.data = &t;
  t0 = now_s();
  err = gcmon_history_fetch(c, &o, 10000);
  printf("%llu %llu %.3f %d\n", (unsigned long long)t.samples,
         (unsigned long long)t.gaps, now_s() - t0,
         gcmon_client_info(c)->compact ? 1 : 0);
  gcmon_client_close(c);
  return err || t.bad ? 1 : 0;
}
