/* The session <-> libuv stream pump (see conn.h). */
#define _POSIX_C_SOURCE 200809L /* uv.h needs POSIX types */
#include "conn.h"

static void pump_output(gcmon__conn *c);
static void pump_input(gcmon__conn *c);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  gcmon__conn *c = h->data;
  (void)hint;
  /* Reading only runs while rbuf is empty (see pump_input). */
  *buf = uv_buf_init((char *)c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  gcmon__conn *c = stream->data;
  (void)buf;
  if (nread == UV_EOF && c->on_idle) { /* libuv has stopped reading */
    c->reading = false;
    c->on_idle(c);
    return;
  }
  if (nread < 0) {
    gcmon__conn_end(c, (int)nread);
    return;
  }
  c->rbuf_off = 0;
  c->rbuf_len = (size_t)nread;
  pump_input(c);
}

static void set_reading(gcmon__conn *c, bool on) {
  if (on == c->reading || c->closing)
    return;
  if (on)
    uv_read_start(c->stream, on_alloc, on_read);
  else
    uv_read_stop(c->stream);
  c->reading = on;
}

/* Feed what was read. When the session's output fills up, drain it (most
 * writes complete at once) and feed again; only when a write has to wait
 * for the socket does reading stop, until on_write. */
static void pump_input(gcmon__conn *c) {
  if (c->closing || c->in_input)
    return;
  c->in_input = true;
  for (;;) {
    c->rbuf_off += gcmon_session_feed(c->session, c->rbuf + c->rbuf_off,
                                      c->rbuf_len - c->rbuf_off);
    if (c->closing)
      break;
    if (c->rbuf_off == c->rbuf_len && gcmon_session_can_feed(c->session)) {
      /* Every byte is taken, but the last frame may be one the session
       * held back for lack of room, room that the wake's write has just
       * made: a feed of nothing answers it (and is a no-op otherwise).
       * Without it, that request would wait for the next input. */
      gcmon_session_feed(c->session, c->rbuf, 0);
      if (!gcmon_session_can_feed(c->session))
        continue; /* answering it filled the output again */
      c->rbuf_off = c->rbuf_len = 0;
      set_reading(c, true);
      break;
    }
    if (!c->writing)
      pump_output(c);
    if (c->closing)
      break;
    if (c->writing) {
      set_reading(c, false); /* wait for output room */
      break;
    }
  }
  c->in_input = false;
}

static void on_write(uv_write_t *req, int status) {
  gcmon__conn *c = req->data;
  c->writing = false;
  if (c->closing)
    return;
  if (status < 0) {
    gcmon__conn_end(c, status);
    return;
  }
  gcmon_session_output_done(c->session, c->wlen);
  if (!c->reading)
    pump_input(c);
  pump_output(c);
}

/* Write what the session has queued: uv_try_write first (one syscall, no
 * callback, no re-arming of the poll watcher), and uv_write for whatever
 * the socket would not take at once. */
static void pump_output(gcmon__conn *c) {
  const uint8_t *p;
  size_t n;
  uv_buf_t buf;
  int err;

  while (!c->writing && !c->closing) {
    n = gcmon_session_output(c->session, &p);
    if (n == 0)
      return;
    buf = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
    err = uv_try_write(c->stream, &buf, 1);
    if (err < 0 && err != UV_EAGAIN) {
      gcmon__conn_end(c, err);
      return;
    }
    if (err > 0) {
      gcmon_session_output_done(c->session, (size_t)err);
      if ((size_t)err == n)
        continue;
      n = gcmon_session_output(c->session, &p);
      buf = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
    }
    c->wreq.data = c;
    err = uv_write(&c->wreq, c->stream, &buf, 1, on_write);
    if (err) {
      gcmon__conn_end(c, err);
      return;
    }
    c->writing = true;
    c->wlen = n;
  }
}

static void on_wake(gcmon_session *s) {
  gcmon__conn *c = gcmon_session_data(s);
  if (gcmon_session_should_close(s)) {
    gcmon__conn_end(c, UV_ETIMEDOUT);
    return;
  }
  pump_output(c);
}

int gcmon__conn_start(gcmon__conn *c, gcmon_agent *agent, uv_stream_t *stream,
                      const gcmon_session_config *how) {
  gcmon_session_config cfg = {.trusted = how->trusted,
                              .uart = how->uart,
                              .peer = how->peer,
                              .wake = on_wake,
                              .data = c,
                              .link_bytes_per_s = how->link_bytes_per_s,
                              .link_backlog = how->link_backlog};
  int err = gcmon_agent_open_session(agent, &cfg, &c->session);
  if (err)
    return err;
  c->stream = stream;
  c->rbuf_off = c->rbuf_len = 0;
  c->reading = c->writing = c->closing = c->in_input = false;
  stream->data = c;
  set_reading(c, true);
  return 0;
}

void gcmon__conn_resume(gcmon__conn *c) {
  if (!c->closing && !c->reading && !c->in_input)
    pump_input(c);
}

void gcmon__conn_end(gcmon__conn *c, int status) {
  if (c->closing)
    return;
  set_reading(c, false);
  c->closing = true;
  gcmon_session_close(c->session);
  c->session = NULL;
  if (c->on_end)
    c->on_end(c, status);
}
