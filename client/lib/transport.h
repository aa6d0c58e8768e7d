/* The libuv side of a link: open a TCP connection or a serial line, move
 * bytes, report when it is gone. Knows nothing of frames or Packets.
 *
 * A transport is allocated per link attempt and frees itself once closed
 * and idle (a pending name lookup cannot be cancelled, so its memory must
 * outlive the client's interest in it). After gcmon__transport_close() no
 * callback reaches the owner again.
 *
 *   open ──on_open(0)──> reading/writing ──on_error(err)──> close
 *     └──on_open(err)──> close
 *
 * on_open may run before gcmon__transport_open() returns (a serial device
 * opens synchronously); the owner has *out by then. */
#ifndef GCMON_CLIENT_TRANSPORT_H
#define GCMON_CLIENT_TRANSPORT_H

#include "uri.h"

#include <netdb.h>
#include <stdbool.h>
#include <uv.h>

typedef struct gcmon__transport gcmon__transport;
struct gcmon__repl;

typedef struct gcmon__transport_cbs {
  void (*on_open)(gcmon__transport *t, int err);
  void (*on_read)(gcmon__transport *t, const uint8_t *data, size_t n);
  void (*on_error)(gcmon__transport *t, int err);
} gcmon__transport_cbs;

#define GCMON__TRANSPORT_ERRMSG_MAX 200

struct gcmon__transport {
  uv_loop_t *loop;
  const gcmon__transport_cbs *cbs;
  void *data; /* the owner; NULL once closed */
  gcmon__uri uri;
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  bool handle_live; /* h initialised and not yet closed */
  bool closing;     /* owner gave it up */
  bool open;        /* connected / opened: bytes may flow */
  bool lookup;      /* getaddrinfo in progress */
  uv_getaddrinfo_t gai;
  struct addrinfo *addrs; /* lookup result */
  struct addrinfo *next;  /* address to try next */
  uv_connect_t connect_req;
  struct gcmon__repl *repl; /* repl:// : the console adapter (repl.h) */
  char errmsg[GCMON__TRANSPORT_ERRMSG_MAX]; /* why open or the link failed */
  uint8_t rbuf[4096];
};

/* Start opening uri on loop. Returns 0 (on_open will report) or GCMON_E*
 * (ENOMEM) with nothing allocated. */
int gcmon__transport_open(gcmon__transport **out, uv_loop_t *loop,
                          const gcmon__uri *uri,
                          const gcmon__transport_cbs *cbs, void *data);

/* Queue bytes (copied). 0, or GCMON_ECLOSED when not open. */
int gcmon__transport_write(gcmon__transport *t, const uint8_t *bytes, size_t n);

/* Write now if the kernel takes it all (a last word before closing);
 * 0 or GCMON_E*. Nothing is queued. */
int gcmon__transport_write_now(gcmon__transport *t, const uint8_t *bytes,
                               size_t n);

/* Give the transport up; it frees itself. NULL is fine. */
void gcmon__transport_close(gcmon__transport *t);

/* ---- internal to the transport files ---------------------------------- */
int gcmon__tcp_open(gcmon__transport *t);
int gcmon__serial_open(gcmon__transport *t);
/* Stream is connected: start reading, report on_open(0). */
void gcmon__transport_opened(gcmon__transport *t);
/* A link without a stream of its own (repl://) is ready: on_open(0). */
void gcmon__transport_opened_virtual(gcmon__transport *t);
/* Report a failed open with a message built from fmt. */
void gcmon__transport_open_failed(gcmon__transport *t, int err, const char *fmt,
                                  ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Free t if it is closing and nothing of it is still pending. */
void gcmon__transport_maybe_free(gcmon__transport *t);

#endif
