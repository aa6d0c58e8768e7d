/* Round trip: get_sample over loopback TCP, beside a minimal C ping-pong
 * of exactly the same request and response sizes on the same loopback, in
 * the same run.
 *
 * gcmond runs from its binary (sim source, sampling once a second so the
 * sampler stays out of the way). Three clients take turns, each timing
 * --count sequential exchanges per run (after a warm-up):
 *
 *   ping-pong   a forked C server that read()s exactly the request's size
 *               and write()s exactly the response's size, blocking sockets,
 *               TCP_NODELAY: the floor for one exchange on this loopback
 *   raw client  gcmond, with a client that sends a pre-framed get_sample
 *               and reads until the response frame decodes (nanopb)
 *   libgcmon    gcmond, with libgcmon's synchronous gcmon_get_sample()
 *               (when the client library is built)
 *
 * Each run gives a p50 and p99 per client; the table shows medians over
 * the runs, and the ratios are medians of per-run ratios (each against the
 * ping-pong of the same run, so a machine busy during one run is compared
 * with itself).
 *
 *     bench_roundtrip [--gcmond PATH] [--runs N] [--count N] [--quick]
 */
#define _DEFAULT_SOURCE
#include "bench_client.h"
#include "bench_proc.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef BENCH_HAVE_LIBGCMON
#include "gcmon/client.h"
#endif

#define IDS 127 /* request ids below 128 take one varint byte */

enum { PINGPONG, RAW, LIBGCMON, CLIENTS };

static const char *const client_names[CLIENTS] = {
    "C ping-pong, same sizes (baseline)",
    "gcmond, minimal C client",
    "gcmond, libgcmon gcmon_get_sample()",
};

typedef struct {
  bench_conn conn;      /* the raw client */
  uint8_t req[IDS][32]; /* pre-framed get_sample, one per usable id */
  uint32_t ids[IDS];    /* the ids whose frame needs no escape */
  unsigned nids;
  size_t req_len;  /* the (common) request frame size */
  size_t resp_len; /* median response frame on the wire */
  int pp_fd;       /* ping-pong client socket */
#ifdef BENCH_HAVE_LIBGCMON
  gcmon_client *lib;
#endif
} rtt;

/* ---- the ping-pong server (forked) ------------------------------------ */

typedef struct {
  int listen_fd;
  size_t req_len, resp_len;
} pp_server;

static int read_exact(int fd, uint8_t *buf, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, buf, n, 0);
    if (r <= 0)
      return -1;
    buf += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_exact(int fd, const uint8_t *buf, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
    if (w <= 0)
      return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static int pp_serve(void *arg) {
  const pp_server *s = arg;
  uint8_t in[GCMON_FRAME_WIRE_MAX], out[GCMON_FRAME_WIRE_MAX];
  int fd = accept(s->listen_fd, NULL, NULL);
  if (fd < 0)
    return 1;
  memset(out, 0x55, sizeof out);
  while (read_exact(fd, in, s->req_len) == 0 &&
         write_exact(fd, out, s->resp_len) == 0)
    ;
  close(fd);
  return 0;
}

/* ---- one exchange per client ------------------------------------------ */

static int pp_exchange(rtt *t) {
  uint8_t buf[GCMON_FRAME_WIRE_MAX];
  memset(buf, 0x2a, t->req_len);
  return write_exact(t->pp_fd, buf, t->req_len) == 0 &&
                 read_exact(t->pp_fd, buf, t->resp_len) == 0
             ? 0
             : -1;
}

static int raw_exchange(rtt *t, unsigned i, size_t *resp_wire) {
  gcmon_v1_Packet p;
  unsigned k = i % t->nids;
  uint32_t id = t->ids[k];
  if (bench_conn_send(&t->conn, t->req[k], t->req_len) != 0)
    return -1;
  for (;;) {
    if (bench_conn_wait(&t->conn, &p, -1) != 1)
      return -1;
    if (p.which_kind == gcmon_v1_Packet_response_tag &&
        p.kind.response.id == id)
      break;
  }
  if (p.kind.response.which_result != gcmon_v1_Response_sample_tag)
    return -1;
  if (resp_wire)
    *resp_wire = t->conn.frame_wire;
  return 0;
}

static int exchange(rtt *t, int client, unsigned i) {
  switch (client) {
  case PINGPONG:
    return pp_exchange(t);
  case RAW:
    return raw_exchange(t, i, NULL);
#ifdef BENCH_HAVE_LIBGCMON
  case LIBGCMON: {
    gcmon_sample s;
    return gcmon_get_sample(t->lib, &s, 5000) == 0 ? 0 : -1;
  }
#endif
  default:
    return -1;
  }
}

/* Time count exchanges; p50 and p99 in µs. */
static int time_client(rtt *t, int client, unsigned count, double *lat,
                       double *p50, double *p99) {
  for (unsigned i = 0; i < count; i++) {
    uint64_t t0 = bench_now_ns();
    if (exchange(t, client, i) != 0) {
      fprintf(stderr, "bench_roundtrip: %s: exchange failed\n",
              client_names[client]);
      return -1;
    }
    lat[i] = (double)(bench_now_ns() - t0) / 1e3;
  }
  *p50 = bench_percentile(lat, count, 50);
  *p99 = bench_percentile(lat, count, 99);
  return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static int setup_raw(rtt *t, int port, unsigned warmup) {
  double *sizes;
  if (bench_conn_open(&t->conn, port) != 0 || bench_conn_hello(&t->conn) != 0)
    return -1;
  /* Every request the same size: ids whose frame has no escaped byte
   * (a CRC byte may happen to be 0x7E or 0x7D). */
  for (uint32_t id = 2; id <= IDS; id++) {
    gcmon_v1_Request req = gcmon_v1_Request_init_zero;
    size_t n;
    req.id = id;
    req.which_call = gcmon_v1_Request_get_sample_tag;
    n = bench_request_frame(&t->conn, &req, t->req[t->nids], sizeof t->req[0]);
    if (n == 0)
      return -1;
    if (t->req_len == 0 || n < t->req_len) {
      t->req_len = n; /* a shorter frame: start over with it */
      memmove(t->req[0], t->req[t->nids], n);
      t->nids = 0;
    }
    if (n == t->req_len)
      t->ids[t->nids++] = id;
  }
  /* Warm up, and learn the response size the ping-pong must mimic. */
  sizes = malloc(warmup * sizeof *sizes);
  if (!sizes)
    return -1;
  for (unsigned i = 0; i < warmup; i++) {
    size_t w;
    if (raw_exchange(t, i, &w) != 0) {
      free(sizes);
      return -1;
    }
    sizes[i] = (double)w;
  }
  t->resp_len = (size_t)bench_median(sizes, warmup);
  free(sizes);
  return 0;
}

static void print_row(int client, const rtt *t, double p50, double p99,
                      double r50, double r99) {
  if (client == PINGPONG)
    printf("| %s | %zu | %zu | %.1f | %.1f | 1.00× | 1.00× |\n",
           client_names[client], t->req_len, t->resp_len, p50, p99);
  else
    printf("| %s | %zu | %zu | %.1f | %.1f | %.2f× | %.2f× |\n",
           client_names[client], t->req_len, t->resp_len, p50, p99, r50, r99);
}

static int usage(void) {
  fprintf(stderr, "usage: bench_roundtrip [--gcmond PATH] [--runs N (15)] "
                  "[--count N (3000)] [--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *gcmond = BENCH_GCMOND_PATH;
  const char *args[] = {"--source", "sim",  "--interval", "1000",
                        "--seed",   "1230", "-q",         NULL};
  long runs = 15, count = 3000;
  rtt *t = calloc(1, sizeof *t);
  pp_server srv;
  bench_daemon d;
  pid_t pp_pid;
  int port, rc = 1, nclients = 2;
  double *lat, *res;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      runs = 3;
      count = 200;
    } else if (strcmp(argv[i], "--gcmond") == 0 && i + 1 < argc) {
      gcmond = argv[++i];
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--runs", argv[++i], 1, 1000, &runs))
        return 2;
    } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--count", argv[++i], 10, 10000000, &count))
        return 2;
    } else {
      return usage();
    }
  }
#ifdef BENCH_HAVE_LIBGCMON
  nclients = 3;
#endif
  if (!t)
    return 1;
  t->pp_fd = -1;
  t->conn.fd = -1;
  if (bench_daemon_start(&d, gcmond, args, NULL) != 0) {
    free(t);
    return 1;
  }
  lat = malloc((size_t)count * sizeof *lat);
  res = calloc((size_t)runs * CLIENTS * 2, sizeof *res);
  if (!lat || !res || setup_raw(t, d.port, 500) != 0) {
    fprintf(stderr, "bench_roundtrip: cannot talk to gcmond\n");
    goto out_daemon;
  }
#ifdef BENCH_HAVE_LIBGCMON
  {
    char target[64];
    gcmon_sample s;
    snprintf(target, sizeof target, "tcp://127.0.0.1:%d", d.port);
    if (gcmon_client_init(&t->lib, NULL, target, NULL) != 0 ||
        gcmon_client_connect(t->lib, 5000) != 0) {
      fprintf(stderr, "bench_roundtrip: libgcmon cannot connect\n");
      goto out_daemon;
    }
    for (int i = 0; i < 500; i++)
      if (gcmon_get_sample(t->lib, &s, 5000) != 0)
        goto out_daemon;
  }
#endif

  srv.req_len = t->req_len;
  srv.resp_len = t->resp_len;
  srv.listen_fd = bench_listen_loopback(&port);
  pp_pid = srv.listen_fd >= 0 ? bench_fork(pp_serve, &srv) : -1;
  if (pp_pid > 0)
    t->pp_fd = bench_connect_loopback(port);
  if (srv.listen_fd >= 0)
    close(srv.listen_fd);
  if (t->pp_fd < 0) {
    fprintf(stderr, "bench_roundtrip: cannot start the ping-pong server\n");
    goto out_pp;
  }
  for (int i = 0; i < 500; i++)
    if (pp_exchange(t) != 0)
      goto out_pp;

  /* res[(c * 2 + k) * runs + r]: k 0 = p50, 1 = p99 */
  for (long r = 0; r < runs; r++)
    for (int c = 0; c < nclients; c++)
      if (time_client(t, c, (unsigned)count, lat, &res[(c * 2) * runs + r],
                      &res[(c * 2 + 1) * runs + r]) != 0)
        goto out_pp;

  printf("| client → server | request B | response B | p50 µs | p99 µs "
         "| p50 ÷ ping-pong | p99 ÷ ping-pong |\n"
         "|---|--:|--:|--:|--:|--:|--:|\n");
  for (int c = 0; c < nclients; c++) {
    double r50[1000], r99[1000], p50, p99;
    for (long r = 0; r < runs; r++) {
      r50[r] = res[(c * 2) * runs + r] / res[0 * runs + r];
      r99[r] = res[(c * 2 + 1) * runs + r] / res[1 * runs + r];
    }
    p50 = bench_median(&res[(c * 2) * runs], (size_t)runs);
    p99 = bench_median(&res[(c * 2 + 1) * runs], (size_t)runs);
    print_row(c, t, p50, p99, bench_median(r50, (size_t)runs),
              bench_median(r99, (size_t)runs));
  }
  printf("\nBytes are whole frames on the wire (flags, CRC and escapes "
         "included). Medians of %ld runs of %ld sequential exchanges each, "
         "after 500 warm-up exchanges per client.%s\n",
         runs, count,
         nclients < 3 ? " libgcmon was not built: its row is missing." : "");
  rc = 0;

out_pp:
  if (t->pp_fd >= 0)
    close(t->pp_fd);
  bench_child_stop(pp_pid);
out_daemon:
#ifdef BENCH_HAVE_LIBGCMON
  if (t->lib)
    gcmon_client_close(t->lib);
#endif
  bench_conn_close(&t->conn);
  if (bench_daemon_stop(&d) != 0 && rc == 0) {
    fprintf(stderr, "bench_roundtrip: gcmond did not stop cleanly\n");
    rc = 1;
  }
  free(lat);
  free(res);
  free(t);
  return rc;
}
