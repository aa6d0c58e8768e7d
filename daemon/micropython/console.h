/* gcmon.serve_console(): the framed protocol on the REPL's own console.
 *
 * The calling (Python) thread pumps bytes between the console and one end
 * of a socket pair; the other end is one more session of the module's
 * running agent on T1 (gcmon_mp_runner_attach), so the console gets the
 * same agent, sampler, history and VM worker as TCP and the UART:
 *
 *     console --read--> pump --socket--> T1 session (agent) ... T2 (VM)
 *     console <-write-- pump <-socket--- T1 session
 *
 * The console itself is a seam (gcmon_mp_console_io): the firmware reads
 * the REPL's stdin and writes with mp_hal_stdout_tx_strn (modgcmon.c);
 * the tests use a pty. The pump writes whole frames only, each in one
 * write, so text another thread of the program prints lands between
 * frames (the host counts it as noise), never inside one.
 *
 * It first prints GCMON_MP_CONSOLE_READY, then pumps. It returns when the
 * host closes (a 0x03 between frames: the host's Ctrl-C,
 * docs/micropython.md), when no frame went either way for
 * idle_ms, or when the console fails. The bytes after the 0x03 stay
 * unread, for the REPL. Memory: one calloc per call, none per frame. */
#ifndef GCMON_MP_CONSOLE_H
#define GCMON_MP_CONSOLE_H

#include "runner.h"

#include <stddef.h>
#include <stdint.h>

#define GCMON_MP_CONSOLE_DEFAULT_IDLE_MS 10000u
#define GCMON_MP_CONSOLE_CLOSE_BYTE      0x03u
/* Printed once the pump reads the console, before any frame: the host
 * sends its first frame only after it (a port may discard input that
 * arrives while the REPL switches the console's mode to run code; the
 * unix port and CanMV K230's flush it with tcsetattr(TCSAFLUSH)). A person
 * who calls serve_console() at the REPL reads it as a hint. */
#define GCMON_MP_CONSOLE_READY \
  "gcmon: serving the protocol on this console; Ctrl-C ends it\r\n"

typedef struct gcmon_mp_console_io {
  void *ctx;
  /* Up to cap bytes, waiting at most timeout_ms: how many (> 0), 0 when
   * the time ran out, or a negative GCMON_E* (the console is gone). It
   * may return 0 early when wake_fd becomes readable (the agent has
   * output); one that cannot watch wake_fd just waits out timeout_ms. */
  int (*read)(void *ctx, uint8_t *buf, size_t cap, unsigned timeout_ms,
              int wake_fd);
  /* All n bytes: 0, or a negative GCMON_E*. */
  int (*write)(void *ctx, const uint8_t *buf, size_t n);
  /* Monotonic milliseconds. */
  uint64_t (*now_ms)(void *ctx);
  /* Optional (NULL: nothing to do): the VM lock (the GIL). serve() is
   * entered holding it and returns holding it; the pump holds it only
   * around write, so read, its waits for the loop thread and everything
   * else run with it released (T2 and the program's threads run). */
  void (*lock)(void *ctx);
  void (*unlock)(void *ctx);
  /* The console's line speed in bytes/s where it is a UART (the host
   * knows it: serve_console(baud=N)), so the session's lag bound holds
   * (docs/protocol.md); 0 = unknown or fast (USB CDC): no bound. */
  uint32_t link_bytes_per_s;
} gcmon_mp_console_io;

typedef enum {
  GCMON_MP_CONSOLE_CLOSED = 0, /* the host sent its close byte */
  GCMON_MP_CONSOLE_IDLE,       /* no frame either way for idle_ms */
  GCMON_MP_CONSOLE_FAILED      /* the console or the session failed */
} gcmon_mp_console_end;

typedef struct gcmon_mp_console_result {
  gcmon_mp_console_end end;
  uint64_t frames_in, frames_out; /* whole frames each way */
  uint64_t bytes_in, bytes_out;
} gcmon_mp_console_result;

/* Serve until the host closes, idle_ms (0 = the default) pass without a
 * frame, or an error. 0 with *out filled, or GCMON_EBUSY (a console
 * session is already served), GCMON_ENOMEM, GCMON_EIO. */
int gcmon_mp_console_serve(gcmon_mp_runner *r, const gcmon_mp_console_io *io,
                           unsigned idle_ms, gcmon_mp_console_result *out);

#endif
