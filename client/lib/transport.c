/* Transport life cycle and the byte stream shared by TCP and serial: read
 * into one buffer, copy each write, close and free when idle. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "transport.h"

#include "gcmon/error.h"
#include "repl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
  uint8_t bytes[];
} write_req;

int gcmon__transport_open(gcmon__transport **out, uv_loop_t *loop,
                          const gcmon__uri *uri,
                          const gcmon__transport_cbs *cbs, void *data) {
  gcmon__transport *t = calloc(1, sizeof *t);
  int err;

  *out = NULL;
  if (!t)
    return GCMON_ENOMEM;
  t->loop = loop;
  t->uri = *uri;
  t->cbs = cbs;
  t->data = data;
  *out = t;
  if (uri->kind == GCMON__URI_TCP)
    err = gcmon__tcp_open(t);
  else if (uri->kind == GCMON__URI_REPL)
    err = gcmon__repl_open(t);
  else
    err = gcmon__serial_open(t);
  if (err != 0) {
    *out = NULL;
    t->data = NULL;
    t->closing = true;
    gcmon__transport_maybe_free(t);
  }
  return err;
}

static void on_closed(uv_handle_t *h) {
  gcmon__transport *t = h->data;
  t->handle_live = false;
  gcmon__transport_maybe_free(t);
}

void gcmon__transport_maybe_free(gcmon__transport *t) {
  if (!t->closing || t->lookup)
    return;
  if (t->handle_live) {
    if (!uv_is_closing(&t->h.handle))
      uv_close(&t->h.handle, on_closed);
    return;
  }
  if (t->addrs)
    uv_freeaddrinfo(t->addrs);
  free(t);
}

void gcmon__transport_close(gcmon__transport *t) {
  if (!t || t->closing)
    return;
  t->closing = true;
  t->open = false;
  t->data = NULL;
  if (t->repl) {
    gcmon__repl_close(t->repl);
    t->repl = NULL;
  }
  gcmon__transport_maybe_free(t);
}

void gcmon__transport_opened_virtual(gcmon__transport *t) {
  t->open = true;
  if (!t->closing && t->data)
    t->cbs->on_open(t, 0);
}

void gcmon__transport_open_failed(gcmon__transport *t, int err, const char *fmt,
                                  ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->errmsg, sizeof t->errmsg, fmt, ap);
  va_end(ap);
  if (!t->closing && t->data)
    t->cbs->on_open(t, err);
}

static void link_failed(gcmon__transport *t, int err, const char *what,
                        int uverr) {
  if (t->closing || !t->open)
    return;
  t->open = false;
  if (uverr == UV_EOF)
    snprintf(t->errmsg, sizeof t->errmsg, "%s: closed by the peer", what);
  else
    snprintf(t->errmsg, sizeof t->errmsg, "%s: %s", what, uv_strerror(uverr));
  uv_read_stop(&t->h.stream);
  t->cbs->on_error(t, err);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  gcmon__transport *t = h->data;
  (void)hint;
  buf->base = (char *)t->rbuf;
  buf->len = sizeof t->rbuf;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  gcmon__transport *t = s->data;
  (void)buf;
  if (n > 0 && t->open && !t->closing)
    t->cbs->on_read(t, t->rbuf, (size_t)n);
  else if (n < 0)
    link_failed(t, n == UV_EOF ? GCMON_ECLOSED : GCMON_EIO, "read", (int)n);
}

void gcmon__transport_opened(gcmon__transport *t) {
  int rc;
  t->open = true;
  rc = uv_read_start(&t->h.stream, on_alloc, on_read);
  if (rc != 0) {
    t->open = false;
    gcmon__transport_open_failed(t, GCMON_EIO, "start reading: %s",
                                 uv_strerror(rc));
    return;
  }
  if (!t->closing && t->data)
    t->cbs->on_open(t, 0);
}

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  gcmon__transport *t = req->handle->data;
  free(w);
  if (status < 0 && status != UV_ECANCELED)
    link_failed(t, GCMON_EIO, "write", status);
}

int gcmon__transport_write_now(gcmon__transport *t, const uint8_t *bytes,
                               size_t n) {
  uv_buf_t buf = uv_buf_init((char *)(uintptr_t)bytes, (unsigned)n);
  if (!t || !t->open || t->closing)
    return GCMON_ECLOSED;
  if (t->repl)
    return gcmon__repl_write(t->repl, bytes, n);
  return uv_try_write(&t->h.stream, &buf, 1) == (int)n ? 0 : GCMON_EIO;
}

int gcmon__transport_write(gcmon__transport *t, const uint8_t *bytes,
                           size_t n) {
  uv_buf_t now = uv_buf_init((char *)(uintptr_t)bytes, (unsigned)n);
  write_req *w;
  int rc;

  if (!t || !t->open || t->closing)
    return GCMON_ECLOSED;
  if (t->repl)
    return gcmon__repl_write(t->repl, bytes, n);
  /* Most writes go out at once (uv_try_write refuses while others are
   * queued, so order is kept): no copy, no allocation, no callback. Only
   * what the stream will not take now is copied and queued; an error here
   * is left for uv_write to report the usual way. */
  rc = uv_try_write(&t->h.stream, &now, 1);
  if (rc == (int)n)
    return 0;
  if (rc > 0) {
    bytes += rc;
    n -= (size_t)rc;
  }
  w = malloc(sizeof *w + n);
  if (!w)
    return GCMON_ENOMEM;
  memcpy(w->bytes, bytes, n);
  w->buf = uv_buf_init((char *)w->bytes, (unsigned)n);
  rc = uv_write(&w->req, &t->h.stream, &w->buf, 1, on_written);
  if (rc != 0) {
    free(w);
    return GCMON_EIO;
  }
  return 0;
}
