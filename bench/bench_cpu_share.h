/* The daemon's CPU share at 1, 10 and 100 Hz (part of bench_source). */
#ifndef GCMON_BENCH_CPU_SHARE_H
#define GCMON_BENCH_CPU_SHARE_H

/* Start every measured process at once, measure `windows` windows of
 * window_ms each, print the table. 0, or -1 when something cannot run. */
int bench_cpu_share_run(const char *gcmond, unsigned window_ms, int windows);

#endif
