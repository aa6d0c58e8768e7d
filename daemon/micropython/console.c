/* The console pump of gcmon.serve_console() (see console.h): bytes between
 * the console seam and a socket whose other end is a session on T1, whole
 * frames out, the host's close byte and the idle timeout in. No VM here. */
#define _POSIX_C_SOURCE 200809L
#include "console.h"

#include "gcmon/error.h"
#include "gcmon_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef GCMON_PLATFORM_RTSMART
#include <arpa/inet.h>
#include <netinet/in.h>
#endif
#include <unistd.h>

#define SLICE_MS 20u
#define IN_SIZE  1u
#define OUT_SIZE (4u * GCMON_FRAME_WIRE_MAX)

typedef struct pump {
  const gcmon_mp_console_io *io;
  int sock;
  /* host -> board: the last byte was a flag (or none came yet), where a
   * close byte cannot be part of a frame: no valid payload starts with
   * 0x03 (protobuf field 0), and inside a frame it follows other bytes */
  bool after_flag;
  bool in_bytes; /* bytes since the last flag: the next flag ends a frame */
  bool out_frame; /* board -> host */
  bool session_ended;
  size_t out_len, out_scanned, out_whole; /* out[0, out_whole): frames */
  uint64_t last_frame_ms;
  gcmon_mp_console_result *res;
  uint8_t in[IN_SIZE];
  uint8_t out[OUT_SIZE];
} pump;

/* Pass whole frames from the session to the console. 0 or GCMON_E*. */
static int drain_session(pump *p) {
  for (;;) {
    ssize_t n = 0;
    if (p->out_len < OUT_SIZE) {
      n = read(p->sock, p->out + p->out_len, OUT_SIZE - p->out_len);
      if (n == 0) {
        p->session_ended = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                 errno != EINTR) {
        return GCMON_EIO;
      }
    }
    if (n > 0)
      p->out_len += (size_t)n;
    for (; p->out_scanned < p->out_len; p->out_scanned++)
      if (p->out[p->out_scanned] == GCMON_FRAME_FLAG) {
        p->out_frame = !p->out_frame;
        if (!p->out_frame) {
          p->out_whole = p->out_scanned + 1;
          p->res->frames_out++;
        }
      }
    if (p->out_whole == 0 && p->out_len == OUT_SIZE)
      p->out_whole = OUT_SIZE; /* not frames: pass it on as it is */
    if (p->out_whole > 0) {
      int rc;
      if (p->io->lock)
        p->io->lock(p->io->ctx);
      rc = p->io->write(p->io->ctx, p->out, p->out_whole);
      if (p->io->unlock)
        p->io->unlock(p->io->ctx);
      if (rc != 0)
        return rc;
      p->res->bytes_out += p->out_whole;
      p->last_frame_ms = p->io->now_ms(p->io->ctx);
      memmove(p->out, p->out + p->out_whole, p->out_len - p->out_whole);
      p->out_len -= p->out_whole;
      p->out_scanned -= p->out_whole;
      p->out_whole = 0;
    }
    if (n <= 0)
      return 0;
  }
}

/* All of buf to the session, draining its output while the socket is full
 * (T1 may be waiting for us to read before it reads again). */
static int to_session(pump *p, const uint8_t *buf, size_t len) {
  while (len > 0) {
    /* no SIGPIPE if T1 has closed its end: a failed send */
    ssize_t n = send(p->sock, buf, len, MSG_NOSIGNAL);
    if (n > 0) {
      buf += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return GCMON_EIO;
    struct pollfd pfd = {.fd = p->sock, .events = POLLIN | POLLOUT};
    (void)poll(&pfd, 1, (int)SLICE_MS);
    if (drain_session(p) != 0 || p->session_ended)
      return GCMON_EIO;
  }
  return 0;
}

/* Bytes from the console: forward them, counting frames, up to the
 * host's close byte between frames. true when that byte came. */
static bool from_console(pump *p, size_t n, int *err) {
  size_t i;

  for (i = 0; i < n; i++) {
    uint8_t b = p->in[i];
    if (p->after_flag && b == GCMON_MP_CONSOLE_CLOSE_BYTE)
      break;
    p->after_flag = b == GCMON_FRAME_FLAG;
    if (b == GCMON_FRAME_FLAG && p->in_bytes) {
      p->res->frames_in++;
      p->last_frame_ms = p->io->now_ms(p->io->ctx);
    }
    p->in_bytes = b != GCMON_FRAME_FLAG;
  }
  p->res->bytes_in += i;
  *err = to_session(p, p->in, i);
  return i < n;
}

static gcmon_mp_console_end run(pump *p, unsigned idle_ms) {
  int err = 0;

  p->last_frame_ms = p->io->now_ms(p->io->ctx);
  for (;;) {
    int n;
    if (drain_session(p) != 0 || p->session_ended)
      return GCMON_MP_CONSOLE_FAILED;
    /* One byte at a time: what follows the close byte (the host's Ctrl-B)
     * must stay unread, for the REPL. The console is slow anyway. */
    n = p->io->read(p->io->ctx, p->in, 1, SLICE_MS, p->sock);
    if (n < 0)
      return GCMON_MP_CONSOLE_FAILED;
    if (n > 0 && from_console(p, (size_t)n, &err))
      return err == 0 ? GCMON_MP_CONSOLE_CLOSED : GCMON_MP_CONSOLE_FAILED;
    if (err != 0)
      return GCMON_MP_CONSOLE_FAILED;
    if (p->io->now_ms(p->io->ctx) - p->last_frame_ms >= idle_ms)
      return GCMON_MP_CONSOLE_IDLE;
  }
}

#ifdef GCMON_PLATFORM_RTSMART
/* RT-Smart serves no socketpair(): the same connected pair over loopback
 * TCP, checked to be our own two ends (a local process that connected to
 * the listener first is refused). */
static int stream_pair(int sv[2]) {
  struct sockaddr_in a, mine, peer;
  socklen_t len = sizeof a, mlen = sizeof mine, plen = sizeof peer;
  int l = socket(AF_INET, SOCK_STREAM, 0), c = -1, s = -1;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(l, 1) != 0 || getsockname(l, (struct sockaddr *)&a, &len) != 0)
    goto fail;
  c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
    goto fail;
  s = accept(l, NULL, NULL);
  if (s < 0 || getsockname(c, (struct sockaddr *)&mine, &mlen) != 0 ||
      getpeername(s, (struct sockaddr *)&peer, &plen) != 0 ||
      mine.sin_port != peer.sin_port ||
      mine.sin_addr.s_addr != peer.sin_addr.s_addr)
    goto fail;
  close(l);
  sv[0] = c;
  sv[1] = s;
  return 0;
fail:
  if (s >= 0)
    close(s);
  if (c >= 0)
    close(c);
  if (l >= 0)
    close(l);
  return -1;
}
#else
static int stream_pair(int sv[2]) {
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}
#endif

static int serve_unlocked(gcmon_mp_runner *r, const gcmon_mp_console_io *io,
                          unsigned idle_ms, gcmon_mp_console_result *out);

int gcmon_mp_console_serve(gcmon_mp_runner *r, const gcmon_mp_console_io *io,
                           unsigned idle_ms, gcmon_mp_console_result *out) {
  int rc;

  memset(out, 0, sizeof *out);
  if (io->unlock)
    io->unlock(io->ctx);
  rc = serve_unlocked(r, io, idle_ms, out);
  if (io->lock)
    io->lock(io->ctx);
  return rc;
}

static int serve_unlocked(gcmon_mp_runner *r, const gcmon_mp_console_io *io,
                          unsigned idle_ms, gcmon_mp_console_result *out) {
  int sv[2], rc;
  pump *p;

  if (stream_pair(sv) != 0)
    return GCMON_EIO;
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    close(sv[0]);
    close(sv[1]);
    return GCMON_ENOMEM;
  }
  rc = gcmon_mp_runner_attach(r, sv[1], io->link_bytes_per_s);
  if (rc != 0) {
    if (rc == GCMON_EBUSY)
      close(sv[1]); /* not taken */
    close(sv[0]);
    free(p);
    return rc;
  }
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  p->io = io;
  p->sock = sv[0];
  p->res = out;
  p->after_flag = true;
  if (io->lock)
    io->lock(io->ctx);
  rc = io->write(io->ctx, (const uint8_t *)GCMON_MP_CONSOLE_READY,
                 sizeof GCMON_MP_CONSOLE_READY - 1);
  if (io->unlock)
    io->unlock(io->ctx);
  out->end = rc != 0 ? GCMON_MP_CONSOLE_FAILED
                     : run(p, idle_ms ? idle_ms : GCMON_MP_CONSOLE_DEFAULT_IDLE_MS);
  close(p->sock); /* T1 sees EOF, ends the session, closes its end */
  gcmon_mp_runner_detach_wait(r);
  free(p);
  return 0;
}
