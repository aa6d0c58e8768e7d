/* The daemon's CPU share at 1, 10 and 100 Hz, beside a bare libuv timer at
 * the same rate (see bench_cpu_share.h).
 *
 * For each rate four processes run side by side: the baseline (bench_idle,
 * a libuv loop running one empty timer at that period: the cost of waking
 * up that often at all), gcmond --source sim with no session,
 * gcmond --source sim with one subscriber taking every sample, and gcmond
 * --source linux with one subscriber. All twelve start together and are
 * measured over the same windows, so load from elsewhere hits them alike;
 * CPU time is the schedstat nanoseconds of each process (its threads
 * summed), which unlike the 10 ms stat ticks resolves a 1 Hz daemon. The
 * subscribers are drained by this process in one poll loop.
 */
#define _DEFAULT_SOURCE
#include "bench_cpu_share.h"

#include "bench_client.h"
#include "bench_proc.h"
#include "bench_util.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATES 3
#define KINDS 4
#define PROCS (RATES * KINDS)

enum { BASELINE, SIM_IDLE, SIM_SUB, LINUX_SUB };

static const unsigned periods_ms[RATES] = {1000, 100, 10};
static const char *const kind_names[KINDS] = {
    "bare libuv timer (baseline)",
    "gcmond sim, no session",
    "gcmond sim, 1 subscriber",
    "gcmond linux, 1 subscriber",
};

typedef struct {
  int kind;
  unsigned period_ms;
  pid_t pid;
  bench_daemon daemon;
  bench_conn *conn; /* subscribers only */
  uint64_t events;
  bench_cpu cpu0;
} proc;

static int start_proc(proc *p, const char *gcmond) {
  char interval[16];
  const char *args[] = {"--source", "sim",  "--interval", interval,
                        "--seed",   "1230", "-q",         NULL};
  snprintf(interval, sizeof interval, "%u", p->period_ms);
  if (p->kind == BASELINE) {
    const char *argv[] = {BENCH_IDLE_PATH, "--interval", interval, NULL};
    p->pid = bench_spawn(BENCH_IDLE_PATH, argv);
    return p->pid > 0 ? 0 : -1;
  }
  if (p->kind == LINUX_SUB)
    args[1] = "linux";
  if (bench_daemon_start(&p->daemon, gcmond, args, NULL) != 0)
    return -1;
  p->pid = p->daemon.pid;
  if (p->kind == SIM_IDLE)
    return 0;
  p->conn = malloc(sizeof *p->conn);
  if (!p->conn || bench_conn_open(p->conn, p->daemon.port) != 0 ||
      bench_conn_hello(p->conn) != 0 || bench_conn_subscribe(p->conn, 0) == 0)
    return -1;
  bench_conn_nonblock(p->conn);
  return 0;
}

static int stop_proc(proc *p) {
  int rc = 0;
  if (p->conn) {
    bench_conn_close(p->conn);
    free(p->conn);
    p->conn = NULL;
  }
  if (p->kind == BASELINE)
    bench_child_stop(p->pid);
  else if (p->daemon.pid > 0 && bench_daemon_stop(&p->daemon) != 0)
    rc = -1;
  p->pid = 0;
  return rc;
}

/* Keep every subscriber drained for ms milliseconds. */
static int drain_for(proc *ps, unsigned ms) {
  gcmon_v1_Packet pkt;
  uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000u;
  struct pollfd pfd[PROCS];
  proc *owner[PROCS];
  int n = 0;
  for (int i = 0; i < PROCS; i++)
    if (ps[i].conn) {
      pfd[n] = (struct pollfd){ps[i].conn->fd, POLLIN, 0};
      owner[n++] = &ps[i];
    }
  for (;;) {
    uint64_t now = bench_now_ns();
    if (now >= end)
      return 0;
    if (poll(pfd, (nfds_t)n, (int)((end - now) / 1000000u) + 1) < 0)
      continue;
    for (int i = 0; i < n; i++) {
      if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (bench_conn_fill(owner[i]->conn, 0) < 0)
        return -1;
      while (bench_conn_next(owner[i]->conn, &pkt) == 1)
        if (pkt.which_kind == gcmon_v1_Packet_event_tag)
          owner[i]->events++;
    }
  }
}

int bench_cpu_share_run(const char *gcmond, unsigned window_ms, int windows) {
  proc ps[PROCS];
  double *share = calloc((size_t)PROCS * (size_t)windows, sizeof *share);
  double *ticks = calloc((size_t)PROCS * (size_t)windows, sizeof *ticks);
  uint64_t events_expected = 0, events_got = 0;
  int rc = -1;

  memset(ps, 0, sizeof ps);
  if (!share || !ticks)
    goto out;
  for (int r = 0; r < RATES; r++)
    for (int k = 0; k < KINDS; k++) {
      proc *p = &ps[r * KINDS + k];
      p->kind = k;
      p->period_ms = periods_ms[r];
      if (start_proc(p, gcmond) != 0) {
        fprintf(stderr, "bench_source: cannot start %s at %u ms\n",
                kind_names[k], p->period_ms);
        goto out;
      }
    }
  if (drain_for(ps, window_ms < 5000 ? 300 : 1000) != 0) /* warm-up */
    goto out;
  for (int w = 0; w < windows; w++) {
    for (int i = 0; i < PROCS; i++) {
      ps[i].events = 0;
      bench_proc_cpu(ps[i].pid, &ps[i].cpu0);
    }
    if (drain_for(ps, window_ms) != 0)
      goto out;
    for (int i = 0; i < PROCS; i++) {
      bench_cpu c1;
      bench_proc_cpu(ps[i].pid, &c1);
      share[i * windows + w] = bench_cpu_share(&ps[i].cpu0, &c1);
      ticks[i * windows + w] = bench_cpu_share_ticks(&ps[i].cpu0, &c1);
      if (ps[i].conn) {
        events_got += ps[i].events;
        events_expected += window_ms / ps[i].period_ms;
      }
    }
  }

  printf("| process | 1 Hz | 10 Hz | 100 Hz |\n|---|--:|--:|--:|\n");
  for (int k = 0; k < KINDS; k++) {
    printf("| %s |", kind_names[k]);
    for (int r = 0; r < RATES; r++) {
      int i = r * KINDS + k;
      double pct = bench_median(&share[i * windows], (size_t)windows);
      /* CPU per period: share of a core x period */
      double us = pct / 100.0 * (double)periods_ms[r] * 1000.0;
      printf(" %.3f %% · %.1f µs |", pct, us);
    }
    printf("\n");
  }
  {
    int i = 2 * KINDS + SIM_SUB;
    printf("\nEach cell: CPU time as a share of one core (schedstat, median "
           "of %d windows of %.1f s) · CPU time per sampling period. The "
           "100 Hz sim daemon with a subscriber measured %.2f %% by the "
           "coarser stat ticks. Subscribers received %llu of %llu events "
           "the nominal rate implies.\n",
           windows, window_ms / 1000.0,
           bench_median(&ticks[i * windows], (size_t)windows),
           (unsigned long long)events_got, (unsigned long long)events_expected);
  }
  rc = 0;
out:
  for (int i = 0; i < PROCS; i++)
    if (ps[i].pid > 0 && stop_proc(&ps[i]) != 0 && rc == 0) {
      fprintf(stderr, "bench_source: a gcmond did not stop cleanly\n");
      rc = -1;
    }
  free(share);
  free(ticks);
  return rc;
}
