/* gcmon diagnose on a long recording: a record/history CSV of ROWS samples
 * (the sim's steady scenario at a 50 ms interval: 1,000,000 rows are 13.9
 * hours) is written once, then each repeat times, back to back, (1) the
 * baseline - reading the file line by line with fgets, nothing parsed -
 * (2) dg_model_load_csv (parse every column into the model) and (3)
 * dg_diagnose (every verdict for every pool). The table shows the median
 * of the repeats, the ratio of load + diagnose to the plain read, and the
 * process's peak resident memory.
 *
 *     bench_diagnose [--rows N] [--repeats N] [--quick]
 *
 * Prints a Markdown table on stdout; exits non-zero only when it cannot
 * run. */
#define _POSIX_C_SOURCE 200809L
#include "diagnose.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define INTERVAL_US 50000ull

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* The CSV `gcmon history --csv` writes (docs/cli.md), from the sim. */
static int write_csv(FILE *f, unsigned long rows) {
  gcmon_source_config cfg = {0};
  gcmon_source *src;
  char err[128];

  cfg.seed = 42;
  cfg.scenario = "steady";
  if (gcmon_source_open(&src, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "bench_diagnose: %s\n", err);
    return -1;
  }
  fputs("event,run_id,seq,uptime_us,gc.mem_alloc,gc.mem_free,gc.threshold,"
        "gc.enabled,gc.collections,gc.largest_free,sys_total,sys_heap.total,"
        "sys_heap.used,sys_heap.free,sys_page.total,sys_page.used,"
        "sys_page.free,sys_mmz.total,sys_mmz.used,sys_mmz.free,first,last,"
        "prev_run_id\n",
        f);
  for (unsigned long i = 0; i < rows; i++) {
    gcmon_sample s;
    memset(&s, 0, sizeof s);
    src->ops->read(src, 1000000 + i * INTERVAL_US, &s);
    fprintf(f,
            "sample,1234,%lu,%llu,%lld,%lld,%lld,%d,%llu,%lld,%llu,%llu,%llu,"
            "%llu,%llu,%llu,%llu,%llu,%llu,%llu,,,\n",
            i + 1, (unsigned long long)s.uptime_us, (long long)s.gc.mem_alloc,
            (long long)s.gc.mem_free, (long long)s.gc.threshold,
            s.gc.enabled ? 1 : 0, (unsigned long long)s.gc.collections,
            (long long)s.gc.largest_free, (unsigned long long)s.sys_total,
            (unsigned long long)s.sys_heap.total,
            (unsigned long long)s.sys_heap.used,
            (unsigned long long)s.sys_heap.free,
            (unsigned long long)s.sys_page.total,
            (unsigned long long)s.sys_page.used,
            (unsigned long long)s.sys_page.free,
            (unsigned long long)s.sys_mmz.total,
            (unsigned long long)s.sys_mmz.used,
            (unsigned long long)s.sys_mmz.free);
  }
  gcmon_source_close(src);
  return fflush(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  unsigned long rows = 1000000;
  int repeats = 5;
  double t_read[32], t_load[32], t_diag[32];
  char path[] = "/tmp/gcmon-bench-diagnose-XXXXXX";
  char line[4096], err[160];
  struct rusage ru;
  FILE *f;
  int fd;
  size_t findings = 0;
  long size;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      rows = 50000;
      repeats = 1;
    } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: bench_diagnose [--rows N] [--repeats N] "
                      "[--quick]\n");
      return 2;
    }
  }
  if (repeats < 1 || repeats > 32 || rows < 10)
    return 2;
  fd = mkstemp(path);
  if (fd < 0 || (f = fdopen(fd, "w+")) == NULL || write_csv(f, rows) != 0) {
    perror("bench_diagnose: temporary CSV");
    return 1;
  }
  size = ftell(f);
  for (int r = 0; r < repeats; r++) {
    dg_model m;
    dg_report rep;
    double t0, t1, t2, t3;
    unsigned long n = 0;

    rewind(f);
    t0 = now_s();
    while (fgets(line, sizeof line, f))
      n++;
    t1 = now_s();
    rewind(f);
    dg_model_init(&m);
    if (dg_model_load_csv(&m, f, err, sizeof err) != 0 || m.n != rows) {
      fprintf(stderr, "bench_diagnose: %s (%zu rows)\n", err, m.n);
      return 1;
    }
    t2 = now_s();
    dg_diagnose(&m, NULL, &rep);
    t3 = now_s();
    findings = rep.findings;
    dg_model_free(&m);
    t_read[r] = t1 - t0;
    t_load[r] = t2 - t1;
    t_diag[r] = t3 - t2;
    (void)n;
  }
  fclose(f);
  unlink(path);
  getrusage(RUSAGE_SELF, &ru);
  {
    double rd = median(t_read, repeats), ld = median(t_load, repeats);
    double dg = median(t_diag, repeats);
    printf("| rows | CSV | read lines (baseline) | load CSV | diagnose | "
           "load + diagnose | vs baseline | peak RSS | findings |\n"
           "|---|---|---|---|---|---|---|---|---|\n"
           "| %lu | %.1f MiB | %.3f s | %.3f s | %.3f s | %.3f s | %.1fx | "
           "%.0f MiB | %zu |\n",
           rows, (double)size / 1048576.0, rd, ld, dg, ld + dg,
           rd > 0 ? (ld + dg) / rd : 0, (double)ru.ru_maxrss / 1024.0,
           findings);
  }
  return 0;
}
