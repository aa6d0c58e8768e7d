/* The baseline process: a libuv loop with one empty timer and nothing
 * else, linked like gcmond (C library + libuv). What the benchmarks put
 * beside gcmond for CPU share (the cost of waking up at the same rate) and
 * for footprint (resident memory and binary size of doing nothing). The
 * timer keeps gcmond's absolute schedule (one-shot, re-armed for the next
 * deadline on the loop clock) so both wake up exactly as often.
 *
 *     bench_idle [--interval MS]      (default 1000; SIGTERM ends it, exit 0)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  uint64_t due, interval;
} schedule;

static void on_tick(uv_timer_t *t) {
  schedule *s = t->data;
  uint64_t now = uv_now(t->loop);
  s->due += s->interval;
  if (s->due + s->interval <= now) /* stalled: skip, as gcmond does */
    s->due += (now - s->due) / s->interval * s->interval;
  uv_timer_start(t, on_tick, s->due > now ? s->due - now : 0, 0);
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  uv_stop(s->loop);
}

int main(int argc, char **argv) {
  unsigned long interval = 1000;
  uv_loop_t loop;
  uv_timer_t timer;
  uv_signal_t sigterm;
  schedule sched;

  if (argc == 3 && strcmp(argv[1], "--interval") == 0)
    interval = strtoul(argv[2], NULL, 10);
  if (argc != 1 && argc != 3) {
    fprintf(stderr, "usage: bench_idle [--interval MS]\n");
    return 2;
  }
  if (interval == 0)
    interval = 1;
  uv_loop_init(&loop);
  uv_timer_init(&loop, &timer);
  sched.interval = interval;
  sched.due = uv_now(&loop);
  timer.data = &sched;
  uv_timer_start(&timer, on_tick, 0, 0);
  uv_signal_init(&loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, 15);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&timer, NULL);
  uv_close((uv_handle_t *)&sigterm, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
