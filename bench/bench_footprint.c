/* Footprint: gcmond's resident memory idle and with 16 sessions, its heap
 * allocations per sample on the hot path, and binary sizes, each beside
 * the baseline process (bench_idle: a libuv loop with one timer, linked
 * the same way) in the same run.
 *
 * Resident memory is VmRSS / VmHWM / RssAnon from /proc/PID/status and the
 * private pages from smaps_rollup (VmRSS also counts the C library's
 * shared pages). gcmond samples at 100 Hz so that its 1024-sample history
 * ring, whose pages are touched only as it fills, is full after 10.24 s.
 *
 * Allocations are counted by gcmon_malloc_count.so preloaded into a second
 * gcmond (malloc_count.c): counters are read after start-up, after 16
 * sessions have said hello and subscribed 4 times, then around a window of
 * N samples (64 events each) and get_sample requests every 10 ms. The hot
 * path target is 0 allocations per sample.
 *
 *     bench_footprint [--gcmond PATH] [--binary LABEL=PATH]... [--quick]
 */
#define _DEFAULT_SOURCE
#include "bench_client.h"
#include "bench_elf.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "malloc_count.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SESSIONS     16
#define SUBS         4
#define HISTORY_FULL 10500 /* ms for 1024 samples at 100 Hz, and a margin */
#define TARGET_KIB   2048
#define MAX_BINARIES 8

typedef struct {
  bench_conn c[SESSIONS];
  struct pollfd pfd[SESSIONS];
  uint64_t newest, responses, requests;
} sessions;

/* Zeroed, no connection open (so closing it is harmless). */
static sessions *sessions_new(void) {
  sessions *s = calloc(1, sizeof *s);
  for (int i = 0; s && i < SESSIONS; i++)
    s->c[i].fd = -1;
  return s;
}

static int sessions_open(sessions *s, int port) {
  for (int i = 0; i < SESSIONS; i++) {
    if (bench_conn_open(&s->c[i], port) != 0 || bench_conn_hello(&s->c[i]))
      return -1;
    for (int k = 0; k < SUBS; k++)
      if (bench_conn_subscribe(&s->c[i], 0) == 0)
        return -1;
    bench_conn_nonblock(&s->c[i]);
    s->pfd[i] = (struct pollfd){s->c[i].fd, POLLIN, 0};
  }
  return 0;
}

static void sessions_close(sessions *s) {
  for (int i = 0; i < SESSIONS; i++)
    bench_conn_close(&s->c[i]);
}

/* Drain every session for ms; with ask, send get_sample on session 0
 * every 10 ms. */
static int sessions_pump(sessions *s, unsigned ms, bool ask) {
  gcmon_v1_Packet p;
  uint64_t now = bench_now_ns(), end = now + (uint64_t)ms * 1000000u;
  uint64_t next_ask = now;
  for (; (now = bench_now_ns()) < end;) {
    if (ask && now >= next_ask) {
      gcmon_v1_Request req = gcmon_v1_Request_init_zero;
      uint8_t frame[64];
      size_t n;
      req.which_call = gcmon_v1_Request_get_sample_tag;
      n = bench_request_frame(&s->c[0], &req, frame, sizeof frame);
      if (n == 0 || bench_conn_send(&s->c[0], frame, n) != 0)
        return -1;
      s->requests++;
      next_ask = now + 10000000u;
    }
    if (poll(s->pfd, SESSIONS, 2) < 0)
      continue;
    for (int i = 0; i < SESSIONS; i++) {
      if (!(s->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (bench_conn_fill(&s->c[i], 0) < 0)
        return -1;
      while (bench_conn_next(&s->c[i], &p) == 1) {
        if (p.which_kind == gcmon_v1_Packet_response_tag)
          s->responses++;
        else if (p.which_kind == gcmon_v1_Packet_event_tag &&
                 p.kind.event.body.sample.seq > s->newest)
          s->newest = p.kind.event.body.sample.seq;
      }
    }
  }
  return 0;
}

static char row[160];

static void row_label(const char *label, const char *state) {
  snprintf(row, sizeof row, "%s, %s", label, state);
}

static void mem_row(const char *what, pid_t pid) {
  bench_mem m;
  if (bench_proc_mem(pid, &m) != 0) {
    printf("| %s | ? | ? | ? | ? | ? |\n", what);
    return;
  }
  printf("| %s | %ld | %ld | %ld | %ld | %s |\n", what, m.rss_kib, m.hwm_kib,
         m.anon_kib, m.private_kib,
         m.rss_kib <= TARGET_KIB ? "within" : "above");
}

/* Run A: resident memory. label names the gcmond build in the rows; the
 * baseline row is printed with the first run only. */
static int measure_rss(const char *gcmond, const char *label, const char *idle,
                       bool quick, bool header) {
  const char *args[] = {"--source", "sim",  "--interval", "10",
                        "--seed",   "1230", "-q",         NULL};
  const char *idle_argv[] = {idle, "--interval", "10", NULL};
  sessions *s = sessions_new();
  bench_daemon d;
  pid_t idle_pid = bench_spawn(idle, idle_argv);
  uint64_t t0;
  int rc = -1;

  if (!s || idle_pid <= 0 || bench_daemon_start(&d, gcmond, args, NULL) != 0) {
    bench_child_stop(idle_pid);
    free(s);
    return -1;
  }
  t0 = bench_now_ns();
  if (header)
    printf("| process, state | VmRSS KiB | VmHWM KiB | RssAnon KiB "
           "| private KiB | VmRSS vs %d KiB target |\n"
           "|---|--:|--:|--:|--:|--:|\n",
           TARGET_KIB);
  bench_sleep_ms(quick ? 500 : 1000);
  if (header)
    mem_row("bench_idle: libuv loop, one 10 ms timer (baseline)", idle_pid);
  row_label(label, quick ? "0.5 s after start, no session"
                         : "1 s after start, no session");
  mem_row(row, d.pid);
  if (!quick) {
    uint64_t waited = (bench_now_ns() - t0) / 1000000u;
    if (waited < HISTORY_FULL)
      bench_sleep_ms((unsigned)(HISTORY_FULL - waited));
    row_label(label, "history ring full (1024 samples), no session");
    mem_row(row, d.pid);
  }
  if (sessions_open(s, d.port) != 0 ||
      sessions_pump(s, quick ? 500 : 3000, true) != 0)
    goto out;
  row_label(label, "16 sessions × 4 subscriptions at 100 Hz");
  mem_row(row, d.pid);
  rc = 0;
out:
  sessions_close(s);
  free(s);
  bench_child_stop(idle_pid);
  if (bench_daemon_stop(&d) != 0)
    rc = -1;
  return rc;
}

#ifdef BENCH_MALLOC_COUNT_PATH
static int measure_allocs(const char *gcmond, bool quick) {
  const char *args[] = {"--source", "sim",  "--interval", "10",
                        "--seed",   "1230", "-q",         NULL};
  char path[] = "/tmp/gcmon-malloc-XXXXXX", env_file[96];
  const char *env[] = {env_file, "LD_PRELOAD=" BENCH_MALLOC_COUNT_PATH, NULL};
  sessions *s = sessions_new();
  bench_malloc_counts *m, start, opened, c1, c2, closed;
  bench_daemon d = {0};
  uint64_t seq1, seq2, req1, req2;
  int rc = -1, fd = mkstemp(path);

  if (!s || fd < 0 || ftruncate(fd, sizeof *m) != 0) {
    free(s);
    if (fd >= 0) {
      close(fd);
      unlink(path);
    }
    return -1;
  }
  m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    free(s);
    unlink(path);
    return -1;
  }
  snprintf(env_file, sizeof env_file, "%s=%s", BENCH_MALLOC_COUNT_ENV, path);
  if (bench_daemon_start(&d, gcmond, args, env) != 0)
    goto out;
  bench_sleep_ms(200);
  start = *m;
  if (sessions_open(s, d.port) != 0)
    goto out;
  opened = *m;
  if (sessions_pump(s, quick ? 300 : 1000, true) != 0) /* warm-up */
    goto out;
  c1 = *m;
  seq1 = s->newest;
  req1 = s->responses;
  if (sessions_pump(s, quick ? 700 : 5000, true) != 0)
    goto out;
  c2 = *m;
  seq2 = s->newest;
  req2 = s->responses;
  sessions_close(s);
  bench_sleep_ms(quick ? 100 : 300);
  closed = *m;

  printf("| phase | allocations | frees | heap bytes live after |\n"
         "|---|--:|--:|--:|\n");
  printf("| start-up (source, agent, sessions pool, history, listener) "
         "| %llu | %llu | %lld |\n",
         (unsigned long long)start.allocs, (unsigned long long)start.frees,
         (long long)start.live_bytes);
  printf("| per session opened (connect, hello, 4 subscribes) | %.1f | %.1f "
         "| %lld |\n",
         (double)(opened.allocs - start.allocs) / SESSIONS,
         (double)(opened.frees - start.frees) / SESSIONS,
         (long long)opened.live_bytes);
  printf("| hot path: %llu samples × 64 events + %llu get_sample | %llu "
         "| %llu | %lld |\n",
         (unsigned long long)(seq2 - seq1), (unsigned long long)(req2 - req1),
         (unsigned long long)(c2.allocs - c1.allocs),
         (unsigned long long)(c2.frees - c1.frees), (long long)c2.live_bytes);
  printf("| **per sample on the hot path** (target 0) | **%.3f** | %.3f "
         "| |\n",
         seq2 > seq1 ? (double)(c2.allocs - c1.allocs) / (double)(seq2 - seq1)
                     : -1.0,
         seq2 > seq1 ? (double)(c2.frees - c1.frees) / (double)(seq2 - seq1)
                     : -1.0);
  printf("| per session closed | %.1f | %.1f | %lld |\n",
         (double)(closed.allocs - c2.allocs) / SESSIONS,
         (double)(closed.frees - c2.frees) / SESSIONS,
         (long long)closed.live_bytes);
  rc = seq2 > seq1 && req2 > req1 ? 0 : -1;
out:
  sessions_close(s);
  free(s);
  if (d.pid > 0 && bench_daemon_stop(&d) != 0)
    rc = -1;
  munmap(m, sizeof *m);
  unlink(path);
  return rc;
}
#endif

static void size_row(const char *label, const char *path) {
  bench_elf_size z;
  if (bench_elf_size_of(path, &z) != 0) {
    printf("| %s | not found | | | | |\n", label);
    return;
  }
  printf("| %s | %s | %llu | %llu | %llu | %llu |\n", label, z.machine,
         (unsigned long long)z.file, (unsigned long long)z.text,
         (unsigned long long)z.data, (unsigned long long)z.bss);
}

static int usage(void) {
  fprintf(stderr, "usage: bench_footprint [--gcmond PATH] "
                  "[--gcmond-static PATH] [--binary LABEL=PATH]... "
                  "[--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *gcmond = BENCH_GCMOND_PATH, *idle = BENCH_IDLE_PATH;
  const char *gcmond_static = NULL;
  char *binaries[MAX_BINARIES];
  int nbin = 0;
  bool quick = false;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (strcmp(argv[i], "--gcmond") == 0 && i + 1 < argc)
      gcmond = argv[++i];
    else if (strcmp(argv[i], "--gcmond-static") == 0 && i + 1 < argc)
      gcmond_static = argv[++i];
    else if (strcmp(argv[i], "--binary") == 0 && i + 1 < argc &&
             strchr(argv[i + 1], '=') && nbin < MAX_BINARIES)
      binaries[nbin++] = argv[++i];
    else
      return usage();
  }
  if (measure_rss(gcmond, "gcmond", idle, quick, true) != 0 ||
      (gcmond_static &&
       measure_rss(gcmond_static, "gcmond (libuv linked in, as on the board)",
                   idle, quick, false) != 0)) {
    fprintf(stderr, "bench_footprint: resident memory run failed\n");
    return 1;
  }
  printf("\n");
#ifdef BENCH_MALLOC_COUNT_PATH
  if (measure_allocs(gcmond, quick) != 0) {
    fprintf(stderr, "bench_footprint: allocation count run failed\n");
    return 1;
  }
#else
  printf("Heap allocations: not counted in this build (a sanitizer runtime "
         "cannot share the process with a preloaded allocator).\n");
#endif
  printf("\n| binary | machine | file B | text | data | bss |\n"
         "|---|---|--:|--:|--:|--:|\n");
  size_row("bench_idle (baseline)", idle);
  size_row("gcmond", gcmond);
  if (gcmond_static)
    size_row("gcmond, libuv linked in", gcmond_static);
  for (int i = 0; i < nbin; i++) {
    char *eq = strchr(binaries[i], '=');
    *eq = '\0';
    size_row(binaries[i], eq + 1);
  }
  printf("\nHost binaries as built (Release, not stripped: the file size "
         "includes symbols; text/data/bss are what loads).\n");
  return 0;
}
