/* The baseline process: a libuv loop with one empty timer and nothing
 * else, linked like gcmond (C library + libuv). What the benchmarks put
 * beside gcmond for CPU share (the cost of waking up at the same rate) and
 * for footprint (resident memory and binary size of doing nothing).
 *
 *     bench_idle [--interval MS]      (default 1000; SIGTERM ends it, exit 0)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static void on_tick(uv_timer_t *t) {
  (void)t;
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
  uv_timer_start(&timer, on_tick, interval, interval);
  uv_signal_init(&loop, &sigterm);
  uv_signal_start(&sigterm, on_signal, 15);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&timer, NULL);
  uv_close((uv_handle_t *)&sigterm, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
