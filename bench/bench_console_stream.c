/* One libgcmon subscriber at the sampler's period, timed, for
 * bench/bench_console.py: the agent on its own UART (serial://) against
 * the agent over the board's console (repl://), with the stream format
 * libgcmon picks by default on each (compact on both).
 *
 *     bench_console_stream TARGET SECONDS [full]
 * (full: full v1 samples, GCMON_COMPACT_OFF, a load near the line's
 * capacity at 115200 baud) prints one line:
 *     <handshake s> <samples/s> <samples> <bytes in> <bytes out> <gaps>
 *     <compact granted 0|1> <sampler period ms>
 *
 * The handshake runs from gcmon_client_init() to the first sample's
 * arrival (for repl://: open, Ctrl-C, raw REPL, probe, serve_console(),
 * hello, subscribe). Samples arrive in batches, so the rate is taken from
 * the first batch's arrival to the last's: the samples after the first
 * batch over that time. The byte counts are libgcmon's link counters over
 * the same span (in: board to host), per sample delivered. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAME_BATCH_S 0.002 /* arrivals this close belong to one batch */

typedef struct {
  double seconds;
  double first_at, last_at, until;
  uint64_t samples, after_first, last_seq;
  gcmon_link_stats at_first, at_last;
  int bad;
} tally;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_event(gcmon_subscription *s, const gcmon_event *ev,
                     void *data) {
  tally *t = data;
  gcmon_client *c = gcmon_subscription_client(s);
  double now = now_s();

  if (ev->type == GCMON_EVENT_ERROR) {
    t->bad = 1;
    gcmon_client_break(c);
    return;
  }
  if (ev->type != GCMON_EVENT_SAMPLE)
    return;
  if (t->last_seq != 0 && ev->sample->seq != t->last_seq + 1)
    t->bad = 1;
  t->last_seq = ev->sample->seq;
  if (t->samples++ == 0) {
    t->first_at = now;
    t->until = now + t->seconds;
    gcmon_client_link_stats(c, &t->at_first);
  } else if (now - t->first_at > SAME_BATCH_S) {
    t->after_first++;
    t->last_at = now;
    gcmon_client_link_stats(c, &t->at_last);
  }
  if (now >= t->until)
    gcmon_client_break(c);
}

int main(int argc, char **argv) {
  gcmon_client_options opts = {0};
  gcmon_client *c = NULL;
  gcmon_subscription *sub = NULL;
  tally t = {0};
  double t0, span, deadline;
  uint64_t in, out, n;

  if (argc < 3 || argc > 4 || (t.seconds = strtod(argv[2], NULL)) <= 0 ||
      (argc == 4 && strcmp(argv[3], "full") != 0)) {
    fprintf(stderr, "usage: bench_console_stream TARGET SECONDS [full]\n");
    return 2;
  }
  opts.compact = argc == 4 ? GCMON_COMPACT_OFF : GCMON_COMPACT_AUTO;
  t.until = 1e300;
  t0 = now_s();
  if (gcmon_client_init(&c, NULL, argv[1], &opts) != 0 ||
      gcmon_client_connect(c, 20000) != 0 ||
      gcmon_subscribe(c, 0, 0, on_event, &t, &sub, 20000) != 0) {
    fprintf(stderr, "bench_console_stream: %s: %s\n", argv[1],
            c ? gcmon_client_errmsg(c) : "bad target");
    gcmon_client_close(c);
    return 1;
  }
  deadline = t0 + 30 + t.seconds;
  while (now_s() < t.until && now_s() < deadline && !t.bad)
    if (gcmon_client_run(c, 200) != 0)
      break;
  span = t.last_at - t.first_at;
  n = t.after_first;
  if (t.samples == 0 || n == 0 || span <= 0 || t.bad) {
    fprintf(stderr, "bench_console_stream: %s: %llu samples%s\n", argv[1],
            (unsigned long long)t.samples, t.bad ? ", not contiguous" : "");
    gcmon_client_close(c);
    return 1;
  }
  in = t.at_last.bytes_in - t.at_first.bytes_in;
  out = t.at_last.bytes_out - t.at_first.bytes_out;
  printf("%.3f %.2f %llu %.2f %.2f %llu %d %u\n", t.first_at - t0,
         (double)n / span, (unsigned long long)n, (double)in / (double)n,
         (double)out / (double)n,
         (unsigned long long)(t.at_last.seq_missing - t.at_first.seq_missing),
         gcmon_client_info(c)->compact ? 1 : 0,
         gcmon_client_info(c)->min_interval_ms);
  gcmon_client_close(c);
  return 0;
}
