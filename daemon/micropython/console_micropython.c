/* The console seam of gcmon.serve_console() on MicroPython (see
 * console_micropython.h): reads wait with the GIL released, writes are
 * one mp_hal_stdout_tx_strn per batch of whole frames, under the GIL, the
 * way print() writes, so the program's own output lands between frames.
 * Unix: stdin is fd 0, watched with poll() beside the pump's socket.
 * Other ports (CanMV): mp_hal_stdio_poll() every millisecond, then
 * mp_hal_stdin_rx_chr(); read from the source, not run on a board. */
#define _DEFAULT_SOURCE /* poll, clock_gettime; usleep in the unix port's mphalport.h */
#include "console_micropython.h"

#include "gcmon/error.h"

#include "py/mphal.h"
#include "py/mpthread.h"
#include "py/runtime.h"
#include "py/stream.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#ifndef GCMON_MP_K230
#define GCMON_MP_K230 0
#endif

static int console_read(void *ctx, uint8_t *buf, size_t cap,
                        unsigned timeout_ms, int wake_fd) {
  (void)ctx;
  if (cap == 0)
    return 0;
#if GCMON_MP_K230
  (void)wake_fd;
  for (unsigned waited = 0;; waited++) {
    MP_THREAD_GIL_ENTER();
    uintptr_t ready = mp_hal_stdio_poll(MP_STREAM_POLL_RD);
    if (ready & MP_STREAM_POLL_RD)
      buf[0] = (uint8_t)mp_hal_stdin_rx_chr();
    MP_THREAD_GIL_EXIT();
    if (ready & MP_STREAM_POLL_RD)
      return 1;
    if (waited >= timeout_ms)
      return 0;
    struct timespec ms = {0, 1000000L};
    nanosleep(&ms, NULL);
  }
#else
  struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                        {.fd = wake_fd, .events = POLLIN}};
  ssize_t n;
  if (poll(p, 2, (int)timeout_ms) <= 0 || !(p[0].revents & (POLLIN | POLLHUP)))
    return 0;
  n = read(STDIN_FILENO, buf, 1);
  return n == 1 ? 1 : GCMON_EIO;
#endif
}

static int console_write(void *ctx, const uint8_t *buf, size_t n) {
  (void)ctx;
  mp_hal_stdout_tx_strn((const char *)buf, n);
  return 0;
}

static uint64_t console_now_ms(void *ctx) {
  struct timespec ts;
  (void)ctx;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void console_lock(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_ENTER();
}

static void console_unlock(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_EXIT();
}

void gcmon_mp_console_io_micropython(gcmon_mp_console_io *io) {
  io->ctx = NULL;
  io->read = console_read;
  io->write = console_write;
  io->now_ms = console_now_ms;
  io->lock = console_lock;
  io->unlock = console_unlock;
  io->link_bytes_per_s = 0;
}
