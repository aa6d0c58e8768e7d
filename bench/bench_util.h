/* Measurement plumbing shared by the benchmarks: the clock, order
 * statistics, and what /proc says about a process (CPU time, resident
 * memory). Nothing here knows gcmon.
 *
 *     uint64_t t0 = bench_now_ns();
 *     ... work ...
 *     lat[i] = (double)(bench_now_ns() - t0) / 1e3;   // µs
 *     double p99 = bench_percentile(lat, n, 99);      // sorts lat
 *
 *     bench_cpu a, b;
 *     bench_proc_cpu(pid, &a); sleep(...); bench_proc_cpu(pid, &b);
 *     double share = bench_cpu_share(&a, &b);         // % of one core
 */
#ifndef GCMON_BENCH_UTIL_H
#define GCMON_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC, the clock gcmond stamps uptime_us with (uv_hrtime). */
uint64_t bench_now_ns(void);
void bench_sleep_ms(unsigned ms);

/* Sort v[0..n) ascending, then the median / the nearest-rank percentile
 * p (0..100). 0 when n is 0. */
double bench_median(double *v, size_t n);
double bench_percentile(double *v, size_t n, double p);

/* CPU time of a process, read from /proc. cpu_ns sums
 * /proc/PID/task/TID/schedstat over its threads (nanoseconds on the CPU);
 * ticks is utime + stime of /proc/PID/stat (clock ticks, coarse: reported
 * as a cross-check). wall_ns is when it was read. */
typedef struct {
  uint64_t cpu_ns;
  uint64_t ticks;
  uint64_t wall_ns;
} bench_cpu;

int bench_proc_cpu(pid_t pid, bench_cpu *out);

/* CPU used between two readings, as a percentage of one core. */
double bench_cpu_share(const bench_cpu *a, const bench_cpu *b);
/* The same from the stat ticks. */
double bench_cpu_share_ticks(const bench_cpu *a, const bench_cpu *b);

/* Resident memory of a process in KiB: VmRSS, VmHWM, RssAnon and RssFile
 * from /proc/PID/status; private = Private_Clean + Private_Dirty from
 * /proc/PID/smaps_rollup (pages no other process shares; -1 if unknown). */
typedef struct {
  long rss_kib, hwm_kib, anon_kib, file_kib, private_kib;
} bench_mem;

int bench_proc_mem(pid_t pid, bench_mem *out);

/* Parse "--name VALUE" style numbers; false (and a message on stderr) when
 * the value is not a number in [lo, hi]. */
bool bench_parse_long(const char *name, const char *value, long lo, long hi,
                      long *out);

#endif
