/* A direct round trip to a board through libgcmon: get_sample on one open
 * session, timed call by call. bench_export.py sets it beside the scrape
 * latency of `gcmon export`, as what a scrape would cost if it asked the
 * board instead of its cache.
 *
 *     bench_rtt URI [CALLS]
 *
 * Connects and says hello (not timed), makes 20 untimed calls to warm up,
 * then CALLS timed ones (default 1000), and prints one line:
 *
 *     calls=1000 p50_us=... p99_us=... max_us=...
 *
 * Exits non-zero when the board cannot be reached or a call fails. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WARMUP 20

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of sorted v, nearest rank. */
static double quantile(const double *v, size_t n, double q) {
  size_t i = (size_t)(q * (double)n + 0.5);
  return v[i == 0 ? 0 : i > n ? n - 1 : i - 1];
}

int main(int argc, char **argv) {
  gcmon_client *c;
  gcmon_sample s;
  size_t calls = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1000;
  double *lat;
  int err;

  if (argc < 2 || calls == 0) {
    fprintf(stderr, "usage: bench_rtt URI [CALLS]\n");
    return 2;
  }
  lat = calloc(calls, sizeof *lat);
  if (!lat || gcmon_client_init(&c, NULL, argv[1], NULL) != 0) {
    fprintf(stderr, "bench_rtt: %s: cannot create a client\n", argv[1]);
    return 1;
  }
  err = gcmon_client_connect(c, 0);
  for (size_t i = 0; err == 0 && i < WARMUP + calls; i++) {
    double t0 = now_us();
    err = gcmon_get_sample(c, &s, 0);
    if (i >= WARMUP)
      lat[i - WARMUP] = now_us() - t0;
  }
  if (err != 0) {
    fprintf(stderr, "bench_rtt: %s\n", gcmon_client_errmsg(c));
    gcmon_client_close(c);
    free(lat);
    return 1;
  }
  qsort(lat, calls, sizeof *lat, by_value);
  printf("calls=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", calls,
         quantile(lat, calls, 0.5), quantile(lat, calls, 0.99), lat[calls - 1]);
  gcmon_client_close(c);
  free(lat);
  return 0;
}
