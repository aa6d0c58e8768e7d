/* Clock, order statistics and /proc readings (see bench_util.h). */
#define _DEFAULT_SOURCE
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *v, size_t n) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_percentile(double *v, size_t n, double p) {
  size_t rank;
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_double);
  rank = (size_t)(p / 100.0 * (double)n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return v[rank - 1];
}

/* First line of a small /proc file into buf; false when unreadable. */
static bool read_small(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f)
    return false;
  n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n > 0;
}

static uint64_t stat_ticks(pid_t pid) {
  char path[64], buf[1024];
  const char *p;
  unsigned long long ut = 0, st = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (!read_small(path, buf, sizeof buf))
    return 0;
  /* comm may hold spaces: fields 14 and 15 are counted after ")". */
  p = strrchr(buf, ')');
  if (!p)
    return 0;
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &ut, &st) != 2)
    return 0;
  return (uint64_t)(ut + st);
}

int bench_proc_cpu(pid_t pid, bench_cpu *out) {
  char path[64], buf[128];
  struct dirent *e;
  DIR *dir;

  memset(out, 0, sizeof *out);
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  dir = opendir(path);
  if (!dir)
    return -1;
  while ((e = readdir(dir)) != NULL) {
    char task[300];
    unsigned long long ns;
    if (e->d_name[0] == '.')
      continue;
    snprintf(task, sizeof task, "/proc/%d/task/%s/schedstat", (int)pid,
             e->d_name);
    if (read_small(task, buf, sizeof buf) && sscanf(buf, "%llu", &ns) == 1)
      out->cpu_ns += (uint64_t)ns;
  }
  closedir(dir);
  out->ticks = stat_ticks(pid);
  out->wall_ns = bench_now_ns();
  return 0;
}

double bench_cpu_share(const bench_cpu *a, const bench_cpu *b) {
  double wall = (double)(b->wall_ns - a->wall_ns);
  return wall > 0 ? 100.0 * (double)(b->cpu_ns - a->cpu_ns) / wall : 0;
}

double bench_cpu_share_ticks(const bench_cpu *a, const bench_cpu *b) {
  double wall = (double)(b->wall_ns - a->wall_ns) / 1e9;
  double hz = 100; /* USER_HZ on every Linux ABI we build for */
  return wall > 0 ? 100.0 * (double)(b->ticks - a->ticks) / hz / wall : 0;
}

/* Value in kB of the line starting with key, or -1. */
static long kib_field(const char *text, const char *key) {
  const char *p = strstr(text, key);
  return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int bench_proc_mem(pid_t pid, bench_mem *out) {
  char path[64], buf[4096];
  long clean, dirty;

  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (!read_small(path, buf, sizeof buf))
    return -1;
  out->rss_kib = kib_field(buf, "\nVmRSS:");
  out->hwm_kib = kib_field(buf, "\nVmHWM:");
  out->anon_kib = kib_field(buf, "\nRssAnon:");
  out->file_kib = kib_field(buf, "\nRssFile:");
  out->private_kib = -1;
  snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
  if (read_small(path, buf, sizeof buf)) {
    clean = kib_field(buf, "\nPrivate_Clean:");
    dirty = kib_field(buf, "\nPrivate_Dirty:");
    if (clean >= 0 && dirty >= 0)
      out->private_kib = clean + dirty;
  }
  return out->rss_kib >= 0 ? 0 : -1;
}

bool bench_parse_long(const char *name, const char *value, long lo, long hi,
                      long *out) {
  char *end;
  long v;
  errno = 0;
  v = value ? strtol(value, &end, 10) : 0;
  if (!value || errno || *end || end == value || v < lo || v > hi) {
    fprintf(stderr, "%s: expected a number in [%ld, %ld]\n", name, lo, hi);
    return false;
  }
  *out = v;
  return true;
}
