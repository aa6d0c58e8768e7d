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
 * unread, for the REPL. Memory: one calloc per call, none per frame.
 *
 * Beside a script (serve_console(beside=True), `gcmon run`): the pump
 * serves on a thread of its own while the program runs on the main thread
 * and prints as usual. The host's close byte then also stops the program
 * (io->interrupt: KeyboardInterrupt), unless the program has ended and
 * asked the pump to stop (gcmon_mp_console_stop_ask): then it is the host's
 * acknowledgement, after which no byte of the host's is left unread. */
#ifndef GCMON_MP_CONSOLE_H
#define GCMON_MP_CONSOLE_H

#include "runner.h"

#include <stdbool.h>
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
  /* Beside a script; all three NULL otherwise. ready (optional): called
   * once, without the VM lock, after GCMON_MP_CONSOLE_READY is out and
   * before any frame (the program may start). interrupt (optional):
   * called without the VM lock when the host's close byte comes before
   * any gcmon_mp_console_stop_ask() (the host's Ctrl-C: stop the program). */
  void (*ready)(void *ctx);
  void (*interrupt)(void *ctx);
  struct gcmon_mp_console_beside *beside;
} gcmon_mp_console_io;

/* A serve beside a script, as gcmon_mp_console_stop_*() see it; one per
 * process (one console), zero-initialised. Its state is read and written
 * with atomics: the pump's thread and the program's both touch it. */
typedef struct gcmon_mp_console_beside {
  int state; /* GCMON_MP_BESIDE_* */
} gcmon_mp_console_beside;

enum {
  GCMON_MP_BESIDE_IDLE = 0, /* no serve beside a script runs */
  GCMON_MP_BESIDE_SERVING,
  GCMON_MP_BESIDE_STOPPING, /* stop asked: the host's close byte awaited */
  GCMON_MP_BESIDE_ABORT     /* stop gave up waiting: end now */
};

/* How long gcmon_mp_console_stop_wait() waits for the host's close byte,
 * by default. */
#define GCMON_MP_CONSOLE_STOP_ACK_MS 2000u
/* The line the program's end is (`gcmon run` answers it with its close
 * byte): 0x1E "GCX". */
#define GCMON_MP_CONSOLE_END "\x1eGCX\r\n"

typedef enum {
  GCMON_MP_CONSOLE_CLOSED = 0, /* the host sent its close byte */
  GCMON_MP_CONSOLE_IDLE,       /* no frame either way for idle_ms */
  GCMON_MP_CONSOLE_FAILED,     /* the console or the session failed */
  GCMON_MP_CONSOLE_STOPPED     /* beside a script: stopped without the
                                  host's acknowledgement */
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

/* The program beside which b's pump serves has ended, in two steps:
 *
 *   if (gcmon_mp_console_stop_ask(b)) {    // the pump serves: it stops
 *     write GCMON_MP_CONSOLE_END           // handing input on; then the
 *     gcmon_mp_console_stop_wait(b, ack);  // host's close byte, or ack ms
 *   }
 *
 * The ask comes before the end line, so the close byte that answers the
 * line can never be taken for the host's Ctrl-C. stop_ask: true when a
 * pump served (now stopping), false when none did (it ended by itself,
 * or never began). stop_wait returns once the pump has ended; call it
 * without the VM lock. */
bool gcmon_mp_console_stop_ask(gcmon_mp_console_beside *b);
void gcmon_mp_console_stop_wait(gcmon_mp_console_beside *b, unsigned ack_ms);

#endif
