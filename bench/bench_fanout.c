/* Fan-out: 16 sessions x 4 subscriptions at 100 Hz over loopback, beside a
 * minimal server doing the same job in the same run.
 *
 *   baseline  a forked libuv server with no agent: every 10 ms (on the
 *             same absolute schedule as gcmond's sampler) it encodes 4
 *             events (nanopb, a realistic sample stamped with the time)
 *             once and writes the same bytes to each of the 16 connections
 *   gcmond    --source sim --interval 10; each session says hello and
 *             subscribes 4 times at the sampler's period
 *
 * One client process (C, poll over 16 non-blocking sockets, so the
 * measuring side is never the bottleneck; its own CPU is reported) counts,
 * per run, the series samples S0 < seq <= S1 taken during the window:
 * expected = (S1 - S0) x 64 events, delivered = those received (late ones
 * are collected for 300 ms after the window), lost = the difference.
 * Delivery lag is receive time minus the event's uptime_us: both are
 * CLOCK_MONOTONIC (gcmond stamps samples with uv_hrtime), so on one host
 * the difference is the time from reading the counters to the client
 * having decoded the event.
 *
 * Runs shorter than 5 s warm up for 300 ms instead of 1 s.
 *
 *     bench_fanout [--gcmond PATH] [--runs N] [--window-ms N] [--quick]
 */
#define _DEFAULT_SOURCE
#include "bench_client.h"
#include "bench_proc.h"
#include "bench_util.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#define SESSIONS  16
#define SUBS      4
#define PERIOD_MS 10
#define LATE_MS   300

enum { SERVER_BASELINE, SERVER_GCMOND, SERVERS };

static const char *const server_names[SERVERS] = {
    "minimal libuv server (baseline)", "gcmond"};

typedef struct {
  double expected, delivered, lost, dup, rate, cpu, p50, p99, max, client_cpu,
      wire;
} result;

/* ---- the baseline server (forked) ------------------------------------ */

typedef struct {
  int listen_fd;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_tcp_t conns[SESSIONS];
  int nconns;
  uv_timer_t timer;
  uint64_t due; /* absolute schedule, as gcmond's sampler */
  uint64_t seq;
  uint8_t out[SUBS * GCMON_FRAME_WIRE_MAX];
  char sink[4096]; /* what the clients send is read and dropped */
} blaster;

static void on_discard_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  blaster *b = h->data;
  (void)hint;
  *buf = uv_buf_init(b->sink, sizeof b->sink);
}

static void on_discard(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  if (n < 0)
    uv_read_stop(s);
}

static void on_blaster_conn(uv_stream_t *l, int status) {
  blaster *b = l->data;
  uv_tcp_t *c;
  if (status < 0 || b->nconns == SESSIONS)
    return;
  c = &b->conns[b->nconns];
  uv_tcp_init(&b->loop, c);
  c->data = b;
  if (uv_accept(l, (uv_stream_t *)c) == 0) {
    uv_tcp_nodelay(c, 1);
    uv_read_start((uv_stream_t *)c, on_discard_alloc, on_discard);
    b->nconns++;
  }
}

static void on_blast(uv_timer_t *t) {
  blaster *b = t->data;
  gcmon_v1_Packet p;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  gcmon_v1_Sample *s = &p.kind.event.body.sample;
  size_t len = 0;
  b->seq++;
  p = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  p.which_kind = gcmon_v1_Packet_event_tag;
  p.kind.event.which_body = gcmon_v1_Event_sample_tag;
  /* A sim-like reading: 4 MiB gc heap, 512 MiB board. */
  s->seq = b->seq;
  s->uptime_us = uv_hrtime() / 1000u;
  s->has_gc = s->has_sys_heap = s->has_sys_page = s->has_sys_mmz = true;
  s->gc = (gcmon_v1_GcInfo){1322112 + (int64_t)(b->seq % 997) * 32,
                            2872192 - (int64_t)(b->seq % 997) * 32,
                            -1,
                            true,
                            b->seq / 50,
                            2095104};
  s->sys_total = 536870912;
  s->sys_heap = (gcmon_v1_MemInfo){33554432, 9633792, 23920640, 0};
  s->sys_page = (gcmon_v1_MemInfo){224395264, 40468480, 183926784, 0};
  s->sys_mmz = (gcmon_v1_MemInfo){268435456, 22544384, 245891072, 0};
  for (uint32_t k = 1; k <= SUBS; k++) {
    size_t n;
    p.kind.event.subscription = k;
    n = bench_encode_packet(&p, payload, sizeof payload);
    len += gcmon_frame_encode(payload, n, b->out + len, sizeof b->out - len);
  }
  for (int i = 0; i < b->nconns; i++) {
    uv_buf_t buf = uv_buf_init((char *)b->out, (unsigned)len);
    uv_try_write((uv_stream_t *)&b->conns[i], &buf, 1);
  }
  {
    uint64_t now = uv_now(&b->loop);
    b->due += PERIOD_MS;
    if (b->due + PERIOD_MS <= now)
      b->due += (now - b->due) / PERIOD_MS * PERIOD_MS;
    uv_timer_start(t, on_blast, b->due > now ? b->due - now : 0, 0);
  }
}

static int blaster_main(void *arg) {
  blaster *b = arg;
  signal(SIGTERM, SIG_DFL);
  uv_loop_init(&b->loop);
  uv_tcp_init(&b->loop, &b->listener);
  b->listener.data = b;
  if (uv_tcp_open(&b->listener, b->listen_fd) != 0 ||
      uv_listen((uv_stream_t *)&b->listener, 64, on_blaster_conn) != 0)
    return 1;
  uv_timer_init(&b->loop, &b->timer);
  b->timer.data = b;
  b->due = uv_now(&b->loop);
  uv_timer_start(&b->timer, on_blast, 0, 0);
  uv_run(&b->loop, UV_RUN_DEFAULT);
  return 0;
}

/* ---- the measuring client -------------------------------------------- */

typedef struct {
  bench_conn conn;
  uint64_t last[SUBS + 1];
} session;

typedef struct {
  session s[SESSIONS];
  struct pollfd pfd[SESSIONS];
  double *lag;
  size_t nlag, cap;
  uint64_t newest, s0, s1; /* s1 0 while the window is open */
  uint64_t delivered, dup;
  double wire_sum;
  bool measuring;
} client;

static int client_connect(client *cl, int port, bool handshake) {
  for (int i = 0; i < SESSIONS; i++) {
    bench_conn *c = &cl->s[i].conn;
    memset(cl->s[i].last, 0, sizeof cl->s[i].last);
    if (bench_conn_open(c, port) != 0)
      return -1;
    if (handshake) {
      if (bench_conn_hello(c) != 0)
        return -1;
      for (int k = 0; k < SUBS; k++)
        if (bench_conn_subscribe(c, 0) == 0)
          return -1;
    }
    bench_conn_nonblock(c);
    cl->pfd[i] = (struct pollfd){c->fd, POLLIN, 0};
  }
  return 0;
}

static void on_event(client *cl, session *s, const gcmon_v1_Event *ev,
                     size_t wire) {
  uint64_t seq = ev->body.sample.seq;
  uint32_t sub = ev->subscription;
  double now_us = (double)bench_now_ns() / 1e3;
  if (sub < 1 || sub > SUBS)
    return;
  if (seq <= s->last[sub] && s->last[sub] != 0)
    cl->dup++;
  s->last[sub] = seq;
  if (seq > cl->newest)
    cl->newest = seq;
  if (!cl->measuring || seq <= cl->s0 || (cl->s1 && seq > cl->s1))
    return;
  cl->delivered++;
  cl->wire_sum += (double)wire;
  if (cl->nlag < cl->cap)
    cl->lag[cl->nlag++] = now_us - (double)ev->body.sample.uptime_us;
}

static int client_pump(client *cl, unsigned ms) {
  gcmon_v1_Packet pkt;
  uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000u;
  for (;;) {
    uint64_t now = bench_now_ns();
    if (now >= end)
      return 0;
    if (poll(cl->pfd, SESSIONS, (int)((end - now) / 1000000u) + 1) < 0)
      continue;
    for (int i = 0; i < SESSIONS; i++) {
      session *s = &cl->s[i];
      if (!(cl->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (bench_conn_fill(&s->conn, 0) < 0)
        return -1;
      while (bench_conn_next(&s->conn, &pkt) == 1)
        if (pkt.which_kind == gcmon_v1_Packet_event_tag)
          on_event(cl, s, &pkt.kind.event, s->conn.frame_wire);
    }
  }
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
         ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* One run against one server. */
static int run_once(int server, const char *gcmond, unsigned window_ms,
                    client *cl, result *r) {
  const char *args[] = {"--source", "sim",  "--interval", "10",
                        "--seed",   "1230", "-q",         NULL};
  blaster b;
  bench_daemon d = {0};
  bench_cpu c0, c1;
  pid_t pid = -1;
  int port = 0, rc = -1;
  double self0, wall;

  if (server == SERVER_BASELINE) {
    memset(&b, 0, sizeof b);
    b.listen_fd = bench_listen_loopback(&port);
    if (b.listen_fd >= 0)
      pid = bench_fork(blaster_main, &b);
    if (b.listen_fd >= 0)
      close(b.listen_fd);
  } else if (bench_daemon_start(&d, gcmond, args, NULL) == 0) {
    pid = d.pid;
    port = d.port;
  }
  if (pid <= 0)
    return -1;
  cl->nlag = 0;
  cl->delivered = cl->dup = 0;
  cl->wire_sum = 0;
  cl->newest = cl->s0 = cl->s1 = 0;
  cl->measuring = false;
  if (client_connect(cl, port, server == SERVER_GCMOND) != 0 ||
      client_pump(cl, window_ms < 5000 ? 300 : 1000) != 0) /* warm-up */
    goto out;

  cl->s0 = cl->newest;
  cl->measuring = true;
  bench_proc_cpu(pid, &c0);
  self0 = self_cpu_s();
  if (client_pump(cl, window_ms) != 0)
    goto out;
  bench_proc_cpu(pid, &c1);
  cl->s1 = cl->newest;
  r->client_cpu = 100.0 * (self_cpu_s() - self0) /
                  ((double)(c1.wall_ns - c0.wall_ns) / 1e9);
  if (client_pump(cl, LATE_MS) != 0)
    goto out;

  wall = (double)(c1.wall_ns - c0.wall_ns) / 1e9;
  r->expected = (double)(cl->s1 - cl->s0) * SESSIONS * SUBS;
  r->delivered = (double)cl->delivered;
  r->lost = r->expected - r->delivered;
  r->dup = (double)cl->dup;
  r->rate = (double)(cl->s1 - cl->s0) / wall;
  r->cpu = bench_cpu_share(&c0, &c1);
  r->wire = cl->delivered ? cl->wire_sum / (double)cl->delivered : 0;
  r->p50 = bench_percentile(cl->lag, cl->nlag, 50);
  r->p99 = bench_percentile(cl->lag, cl->nlag, 99);
  r->max = bench_percentile(cl->lag, cl->nlag, 100);
  rc = 0;
out:
  for (int i = 0; i < SESSIONS; i++)
    bench_conn_close(&cl->s[i].conn);
  if (server == SERVER_BASELINE)
    bench_child_stop(pid);
  else if (bench_daemon_stop(&d) != 0)
    rc = -1;
  return rc;
}

static double med(result *runs, int n, size_t off) {
  double v[100];
  for (int i = 0; i < n; i++)
    v[i] = *(double *)(void *)((char *)&runs[i] + off);
  return bench_median(v, (size_t)n);
}

#define MED(field) med(res[s], runs, offsetof(result, field))

static int usage(void) {
  fprintf(stderr, "usage: bench_fanout [--gcmond PATH] [--runs N (3)] "
                  "[--window-ms N (10000)] [--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *gcmond = BENCH_GCMOND_PATH;
  long runs = 3, window_ms = 10000;
  client *cl = calloc(1, sizeof *cl);
  result res[SERVERS][100];
  int rc = 1;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      runs = 1;
      window_ms = 1000;
    } else if (strcmp(argv[i], "--gcmond") == 0 && i + 1 < argc) {
      gcmond = argv[++i];
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--runs", argv[++i], 1, 100, &runs))
        return 2;
    } else if (strcmp(argv[i], "--window-ms") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--window-ms", argv[++i], 500, 600000, &window_ms))
        return 2;
    } else {
      return usage();
    }
  }
  if (!cl)
    return 1;
  for (int i = 0; i < SESSIONS; i++)
    cl->s[i].conn.fd = -1;
  cl->cap = (size_t)(window_ms / PERIOD_MS + 200) * SESSIONS * SUBS;
  cl->lag = malloc(cl->cap * sizeof *cl->lag);
  if (!cl->lag)
    goto out;
  for (long r = 0; r < runs; r++)
    for (int s = 0; s < SERVERS; s++)
      if (run_once(s, gcmond, (unsigned)window_ms, cl, &res[s][r]) != 0) {
        fprintf(stderr, "bench_fanout: %s: run failed\n", server_names[s]);
        goto out;
      }

  printf("| server | sessions × subs | samples/s taken | events expected "
         "| delivered | lost | server CPU %% of a core | lag p50 µs "
         "| lag p99 µs | lag max µs | wire B/event | client CPU %% |\n"
         "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  for (int s = 0; s < SERVERS; s++) {
    printf("| %s | %d × %d | %.1f | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f "
           "| %.0f | %.1f | %.1f |\n",
           server_names[s], SESSIONS, SUBS, MED(rate), MED(expected),
           MED(delivered), MED(lost), MED(cpu), MED(p50), MED(p99), MED(max),
           MED(wire), MED(client_cpu));
    if (MED(dup) > 0)
      printf("| (%s: %.0f duplicate events) |\n", server_names[s], MED(dup));
  }
  printf("\nNominal rate 100 samples/s; medians of %ld runs of %.1f s each "
         "(after a warm-up), servers alternating. Targets for gcmond: "
         "every event delivered, CPU ≤ 5 %% of a core.\n",
         runs, (double)window_ms / 1000.0);
  rc = 0;
out:
  free(cl->lag);
  free(cl);
  return rc;
}
