/* The module's loop thread (T1): a plain pthread, unknown to the VM, that
 * owns a libuv loop with a complete gcmon server on it (server.h: agent,
 * sampler timer, TCP, UART) reading the `micropython` source.
 *
 *     gcmon_mp_runner *r;
 *     rc = gcmon_mp_runner_start(&r, &cfg, err, sizeof err); // serving now
 *     ...
 *     gcmon_mp_runner_status(r, &st);      // any thread, any time
 *     gcmon_mp_mailbox_close(cfg.mailbox); // so T1 cannot wait on T2
 *     gcmon_mp_runner_stop(r);             // stops the loop, joins T1
 *
 * T1 runs with every signal blocked, so signals meant for the Python
 * process (SIGINT, the unix port's GC scan signal) never land on it, and a
 * write to a closed socket fails with EPIPE instead of killing the process.
 * It never prints: log lines go to a sink that keeps the last warning or
 * error for gcmon.status(). */
#ifndef GCMON_MP_RUNNER_H
#define GCMON_MP_RUNNER_H

#include "mailbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCMON_MP_LAST_ERROR_MAX 160

typedef struct gcmon_mp_runner gcmon_mp_runner;

typedef struct gcmon_mp_runner_config {
  gcmon_mp_mailbox *mailbox; /* borrowed: T2 serves it */
  const char *listen;        /* "0.0.0.0:7230"; NULL = no TCP */
  const char *uart;          /* "/dev/uart1"; NULL = no UART */
  unsigned baud;
  uint32_t interval_ms; /* sampler period */
  unsigned scan_ms;     /* source_micropython.h */
  unsigned call_timeout_ms;
  const uint8_t *token; /* copied; NULL/0 = none */
  size_t token_len;
  const char *sys_source; /* "k230" for sys_* counters; NULL = none */
  const char *device_id;  /* e.g. "micropython/unix" */
} gcmon_mp_runner_config;

typedef struct gcmon_mp_status {
  int tcp_port; /* bound port, -1 without TCP */
  uint64_t samples;
  uint64_t read_errors;
  uint64_t sessions_opened;
  unsigned sessions; /* open now */
  unsigned alarm_rules; /* installed now */
  uint64_t requests;
  gcmon_mp_mailbox_stats vm; /* requests served, withdrawn, overran */
  char last_error[GCMON_MP_LAST_ERROR_MAX]; /* "" when none */
} gcmon_mp_status;

/* Start T1 and wait until it serves (0) or has failed and ended (GCMON_E*,
 * one line in err). The libc heap only. */
int gcmon_mp_runner_start(gcmon_mp_runner **out,
                          const gcmon_mp_runner_config *cfg, char *err,
                          size_t errlen);

/* Stop the server, let libuv close every handle, join T1 and free r. The
 * mailbox must be closed first (or still served): T1 may be waiting on it.
 * Not from T1. */
void gcmon_mp_runner_stop(gcmon_mp_runner *r);

/* A snapshot as of T1's last loop iteration. */
void gcmon_mp_runner_status(gcmon_mp_runner *r, gcmon_mp_status *out);

/* serve_console(): serve one more session on fd (a socket, owned by T1
 * from then on; T1 closes it when the session ends, at EOF from the other
 * end). Waits until T1 has taken it: 0, GCMON_EBUSY (a console session is
 * being served already) or GCMON_EIO (T1 could not open it; fd is closed).
 * link_bytes_per_s: the console line's speed, 0 = unknown (no lag bound).
 * Not from T1. */
int gcmon_mp_runner_attach(gcmon_mp_runner *r, int fd,
                           uint32_t link_bytes_per_s);

/* Wait until T1 has ended the attached session and closed its fd (after
 * the caller closed its own end). Returns at once when none is attached. */
void gcmon_mp_runner_detach_wait(gcmon_mp_runner *r);

#endif
