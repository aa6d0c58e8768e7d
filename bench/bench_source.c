/* Sampling cost: nanoseconds per reading of each source and per agent tick,
 * in process, beside the cheapest possible reading in the same run; then
 * (bench_cpu_share.c) the CPU share of a running gcmond at 1, 10 and 100 Hz
 * beside a bare libuv timer at the same rate.
 *
 * In process, each row times --repeats short passes (about --pass-us
 * each, at most --reads operations) and keeps the median, so passes a busy
 * machine preempted fall outside it:
 *
 *   clock_gettime         the floor of reading anything (sim's baseline)
 *   pread /proc/meminfo   the kernel's share of the linux source: the file
 *                         is generated on each read (linux's baseline)
 *   linux read            pread + strict parse into a sample
 *   sim read, 10 ms apart one simulated 10 ms step per reading (100 Hz)
 *   sim read, 1 s apart   100 steps per reading (1 Hz)
 *   agent tick            sim read + history append, no session open
 *   agent tick + fan-out  16 sessions x 4 subscriptions: the tick plus
 *                         encoding and framing the 64 events it causes
 *   get_sample            one pre-framed request fed to a session and its
 *                         response drained: deframe, decode, sim read,
 *                         encode, frame (the daemon's share of a round
 *                         trip, without the sockets)
 *
 *     bench_source [--gcmond PATH] [--reads N] [--repeats N] [--pass-us N]
 *                  [--window-ms N] [--quick]
 */
#define _DEFAULT_SOURCE
#include "agent.h"
#include "bench_client.h"
#include "bench_cpu_share.h"
#include "bench_util.h"
#include "source.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SESSIONS 16
#define SUBS     4

typedef struct {
  gcmon_source *src;
  gcmon_agent *agent;
  gcmon_session *sessions[SESSIONS];
  uint64_t now_us;
  int meminfo_fd;
  uint64_t step_us;
  uint8_t get_sample[32]; /* a framed get_sample request */
  size_t get_sample_len;
  volatile uint64_t sink;
} ctx;

enum {
  ROW_CLOCK,
  ROW_PREAD,
  ROW_LINUX,
  ROW_SIM_10MS,
  ROW_SIM_1S,
  ROW_TICK,
  ROW_TICK_FANOUT,
  ROW_GET_SAMPLE,
  ROWS
};

static const char *const row_names[ROWS] = {
    "clock_gettime (baseline for sim)",
    "pread /proc/meminfo, no parsing (baseline for linux)",
    "linux source read",
    "sim source read, 10 ms apart",
    "sim source read, 1 s apart",
    "agent tick (sim read + history), no session",
    "agent tick + 64 events encoded and framed (16 × 4 subscriptions)",
    "get_sample in the agent: request frame in, response frame out",
};

static const int row_baseline[ROWS] = {ROW_CLOCK, ROW_PREAD, ROW_PREAD,
                                       ROW_CLOCK, ROW_CLOCK, ROW_CLOCK,
                                       ROW_CLOCK, ROW_CLOCK};

static uint64_t fake_clock(void *data) {
  return ((ctx *)data)->now_us;
}

static int drain(ctx *x, int sessions) {
  size_t bytes = 0;
  for (int i = 0; i < sessions; i++) {
    const uint8_t *p;
    size_t n;
    while ((n = gcmon_session_output(x->sessions[i], &p)) > 0) {
      bytes += n;
      x->sink ^= p[n - 1];
      gcmon_session_output_done(x->sessions[i], n);
    }
  }
  return (int)bytes;
}

static int feed_request(ctx *x, gcmon_session *s, gcmon_v1_Request *req) {
  uint8_t frame[256];
  size_t n = bench_request_frame(NULL, req, frame, sizeof frame);
  return n && gcmon_session_feed(s, frame, n) == n ? 0 : -1;
  (void)x;
}

static int open_agent(ctx *x, bool with_sessions) {
  gcmon_agent_config cfg;
  gcmon_agent_config_defaults(&cfg);
  cfg.source = x->src;
  cfg.interval_ms = 10;
  cfg.now_us = fake_clock;
  cfg.clock_data = x;
  cfg.run_id = 1;
  if (gcmon_agent_init(&x->agent, &cfg) != 0)
    return -1;
  if (!with_sessions)
    return 0;
  for (int i = 0; i < SESSIONS; i++) {
    gcmon_session_config scfg = {.trusted = true, .peer = "bench"};
    gcmon_v1_Request req = gcmon_v1_Request_init_zero;
    if (gcmon_agent_open_session(x->agent, &scfg, &x->sessions[i]) != 0)
      return -1;
    req.id = 1;
    req.which_call = gcmon_v1_Request_hello_tag;
    req.call.hello.version = 1;
    if (feed_request(x, x->sessions[i], &req) != 0)
      return -1;
    for (uint32_t k = 0; k < SUBS; k++) {
      req = (gcmon_v1_Request)gcmon_v1_Request_init_zero;
      req.id = 2 + k;
      req.which_call = gcmon_v1_Request_subscribe_tag;
      if (feed_request(x, x->sessions[i], &req) != 0)
        return -1;
    }
  }
  drain(x, SESSIONS);
  return 0;
}

/* One timed pass of `reads` operations of row; ns per operation. */
static double time_row(ctx *x, int row, long reads) {
  gcmon_sample s;
  char buf[8192];
  struct timespec ts;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < reads; i++) {
    switch (row) {
    case ROW_CLOCK:
      clock_gettime(CLOCK_MONOTONIC, &ts);
      x->sink ^= (uint64_t)ts.tv_nsec;
      break;
    case ROW_PREAD:
      x->sink ^= (uint64_t)pread(x->meminfo_fd, buf, sizeof buf, 0);
      break;
    case ROW_LINUX:
    case ROW_SIM_10MS:
    case ROW_SIM_1S:
      x->now_us += x->step_us;
      if (x->src->ops->read(x->src, x->now_us, &s) != 0)
        return -1;
      x->sink ^= s.sys_page.used;
      break;
    case ROW_TICK:
      x->now_us += 10000;
      if (gcmon_agent_tick(x->agent) != 0)
        return -1;
      break;
    case ROW_TICK_FANOUT:
      x->now_us += 10000;
      if (gcmon_agent_tick(x->agent) != 0 || drain(x, SESSIONS) <= 0)
        return -1;
      break;
    default:
      x->now_us += 30; /* a round trip apart */
      if (gcmon_session_feed(x->sessions[0], x->get_sample,
                             x->get_sample_len) != x->get_sample_len ||
          drain(x, 1) <= 0)
        return -1;
      break;
    }
  }
  return (double)(bench_now_ns() - t0) / (double)reads;
}

static int open_row(ctx *x, int row) {
  gcmon_source_config scfg = {.name = "sim", .seed = 1230};
  char err[160];
  x->now_us = 1000000;
  x->step_us = row == ROW_SIM_1S ? 1000000 : 10000;
  if (row == ROW_LINUX)
    scfg.name = "linux";
  if (row >= ROW_LINUX && gcmon_source_open(&x->src, &scfg, err, sizeof err)) {
    fprintf(stderr, "bench_source: %s\n", err);
    return -1;
  }
  if (row == ROW_GET_SAMPLE) {
    gcmon_v1_Request req = gcmon_v1_Request_init_zero;
    req.id = 9;
    req.which_call = gcmon_v1_Request_get_sample_tag;
    x->get_sample_len =
        bench_request_frame(NULL, &req, x->get_sample, sizeof x->get_sample);
  }
  if (row >= ROW_TICK && open_agent(x, row >= ROW_TICK_FANOUT) != 0) {
    fprintf(stderr, "bench_source: cannot set up the agent\n");
    return -1;
  }
  return 0;
}

static void close_row(ctx *x) {
  if (x->agent)
    gcmon_agent_close(x->agent);
  if (x->src)
    gcmon_source_close(x->src);
  x->agent = NULL;
  x->src = NULL;
}

static int run_in_process(long reads, long repeats, long pass_us) {
  ctx x = {0};
  double ns[ROWS], *t = malloc((size_t)repeats * sizeof *t);
  if (!t)
    return -1;
  x.meminfo_fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
  if (x.meminfo_fd < 0) {
    free(t);
    return -1;
  }
  for (int row = 0; row < ROWS; row++) {
    if (open_row(&x, row) != 0)
      goto fail;
    double est = time_row(&x, row, reads / 10 + 1); /* warm up */
    long ops = est > 0 ? (long)((double)pass_us * 1e3 / est) : reads;
    if (ops < 10)
      ops = 10;
    if (ops > reads)
      ops = reads;
    for (long r = 0; r < repeats; r++)
      if ((t[r] = time_row(&x, row, ops)) < 0)
        goto fail;
    ns[row] = bench_median(t, (size_t)repeats);
    close_row(&x);
  }
  printf("| reading | ns per operation | ÷ baseline |\n|---|--:|--:|\n");
  for (int row = 0; row < ROWS; row++) {
    if (row == row_baseline[row])
      printf("| %s | %.0f | 1.0× |\n", row_names[row], ns[row]);
    else
      printf("| %s | %.0f | %.1f× |\n", row_names[row], ns[row],
             ns[row] / ns[row_baseline[row]]);
  }
  printf("\nIn process; medians of %ld passes of about %ld µs each (at "
         "most %ld operations). Per event in the fan-out row: %.0f ns "
         "((tick + fan-out − tick) / 64).\n",
         repeats, pass_us, reads, (ns[ROW_TICK_FANOUT] - ns[ROW_TICK]) / 64.0);
  close(x.meminfo_fd);
  free(t);
  return 0;
fail:
  close_row(&x);
  close(x.meminfo_fd);
  free(t);
  return -1;
}

static int usage(void) {
  fprintf(stderr, "usage: bench_source [--gcmond PATH] [--reads N (20000)] "
                  "[--repeats N (51)] [--pass-us N (2000)] "
                  "[--window-ms N (10000)] "
                  "[--windows N (3)] [--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *gcmond = BENCH_GCMOND_PATH;
  long reads = 20000, repeats = 51, pass_us = 2000, window_ms = 10000;
  long windows = 3;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--quick") == 0) {
      reads = 300;
      repeats = 5;
      pass_us = 500;
      window_ms = 700;
      windows = 1;
    } else if (strcmp(a, "--gcmond") == 0 && v) {
      gcmond = argv[++i];
    } else if (strcmp(a, "--reads") == 0 && v) {
      if (!bench_parse_long(a, argv[++i], 10, 100000000, &reads))
        return 2;
    } else if (strcmp(a, "--repeats") == 0 && v) {
      if (!bench_parse_long(a, argv[++i], 1, 1000, &repeats))
        return 2;
    } else if (strcmp(a, "--pass-us") == 0 && v) {
      if (!bench_parse_long(a, argv[++i], 10, 10000000, &pass_us))
        return 2;
    } else if (strcmp(a, "--window-ms") == 0 && v) {
      if (!bench_parse_long(a, argv[++i], 100, 3600000, &window_ms))
        return 2;
    } else if (strcmp(a, "--windows") == 0 && v) {
      if (!bench_parse_long(a, argv[++i], 1, 100, &windows))
        return 2;
    } else {
      return usage();
    }
  }
  if (run_in_process(reads, repeats, pass_us) != 0) {
    fprintf(stderr, "bench_source: in-process timing failed\n");
    return 1;
  }
  printf("\n");
  return bench_cpu_share_run(gcmond, (unsigned)window_ms, (int)windows) == 0
             ? 0
             : 1;
}
