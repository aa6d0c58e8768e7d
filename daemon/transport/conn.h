/* A session carried over a libuv stream (a TCP connection, or a UART opened
 * as a pipe): the one pump between uv reads/writes and the agent's
 * gcmon_session_feed/output, shared by every transport.
 *
 * Writes are tried synchronously first (uv_try_write); most complete at
 * once. Flow control: when the session cannot take more input (its output
 * is full) and the socket will not take the output at once, reading stops
 * and the unconsumed bytes wait in the connection's buffer; reading resumes
 * after that write completes. One uv_write is in flight at a time. */
#ifndef GCMON_CONN_H
#define GCMON_CONN_H

#include "agent.h"

#include <uv.h>

#define GCMON__CONN_READ_BUF 4096

typedef struct gcmon__conn gcmon__conn;

struct gcmon__conn {
  uv_stream_t *stream; /* owned by the caller's handle (tcp or pipe) */
  gcmon_session *session;
  uint8_t rbuf[GCMON__CONN_READ_BUF];
  size_t rbuf_off;
  size_t rbuf_len;
  bool reading;
  bool writing;
  bool closing;
  bool in_input; /* inside pump_input (feed may write, and write feed) */
  uv_write_t wreq;
  size_t wlen;
  /* Called once when the stream ended (EOF, error, or gcmon__conn_close):
   * the session is already closed; the owner closes its handle. */
  void (*on_end)(gcmon__conn *c, int status);
  /* Set by a device whose non-blocking read returns 0 when it merely has
   * no data (an RT-Smart UART): such an "EOF" stops reading and calls this
   * instead of ending; the owner resumes with gcmon__conn_resume. */
  void (*on_idle)(gcmon__conn *c);
  void *data;
};

/* Open a session on the agent for this stream and start reading. `how`
 * gives trusted/uart/peer (its wake and data are the connection's own).
 * GCMON_ELIMIT when the agent refuses it (nothing started). */
int gcmon__conn_start(gcmon__conn *c, gcmon_agent *agent, uv_stream_t *stream,
                      const gcmon_session_config *how);

/* Read again after on_idle. */
void gcmon__conn_resume(gcmon__conn *c);

/* End the session and stop reading; on_end is called. Idempotent. */
void gcmon__conn_end(gcmon__conn *c, int status);

#endif
