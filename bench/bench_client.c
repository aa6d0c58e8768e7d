/* The benchmarks' minimal gcmon client (see bench_client.h). */
#define _DEFAULT_SOURCE
#include "bench_client.h"

#include "bench_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pb_decode.h>
#include <pb_encode.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int bench_conn_open(bench_conn *c, int port) {
  memset(c, 0, sizeof *c);
  c->next_id = 1;
  gcmon_frame_decoder_init(&c->dec, c->dec_buf, sizeof c->dec_buf);
  c->fd = bench_connect_loopback(port);
  return c->fd >= 0 ? 0 : -1;
}

void bench_conn_close(bench_conn *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

void bench_conn_nonblock(bench_conn *c) {
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

size_t bench_encode_packet(const gcmon_v1_Packet *p, uint8_t *out, size_t cap) {
  pb_ostream_t os = pb_ostream_from_buffer(out, cap);
  return pb_encode(&os, gcmon_v1_Packet_fields, p) ? os.bytes_written : 0;
}

size_t bench_request_frame(bench_conn *c, gcmon_v1_Request *req, uint8_t *out,
                           size_t cap) {
  gcmon_v1_Packet p = gcmon_v1_Packet_init_zero;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  size_t n;
  if (req->id == 0 && c)
    req->id = c->next_id++;
  p.which_kind = gcmon_v1_Packet_request_tag;
  p.kind.request = *req;
  n = bench_encode_packet(&p, payload, sizeof payload);
  return n ? gcmon_frame_encode(payload, n, out, cap) : 0;
}

int bench_conn_send(bench_conn *c, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd = {c->fd, POLLOUT, 0};
        poll(&pfd, 1, 100);
        continue;
      }
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

long bench_conn_fill(bench_conn *c, int timeout_ms) {
  ssize_t n;
  if (c->rx_off == c->rx_len)
    c->rx_off = c->rx_len = 0;
  if (c->rx_len == sizeof c->rx)
    return 0; /* consume first */
  if (timeout_ms >= 0) {
    struct pollfd pfd = {c->fd, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r == 0)
      return 0;
    if (r < 0)
      return errno == EINTR ? 0 : -1;
  }
  do
    n = recv(c->fd, c->rx + c->rx_len, sizeof c->rx - c->rx_len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  if (n == 0)
    return -1;
  c->rx_len += (size_t)n;
  return (long)n;
}

int bench_conn_next(bench_conn *c, gcmon_v1_Packet *out) {
  while (c->rx_off < c->rx_len) {
    size_t used;
    gcmon_frame_status st = gcmon_frame_decoder_feed(
        &c->dec, c->rx + c->rx_off, c->rx_len - c->rx_off, &used);
    pb_istream_t is;
    c->rx_off += used;
    c->run_bytes += used;
    if (st == GCMON_FRAME_NEED_MORE)
      continue;
    c->frame_wire = c->run_bytes;
    c->run_bytes = 0;
    if (st != GCMON_FRAME_READY) {
      c->bad_frames++;
      continue;
    }
    c->frame_payload = c->dec.payload_len;
    *out = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
    is = pb_istream_from_buffer(c->dec.buf, c->dec.payload_len);
    if (!pb_decode(&is, gcmon_v1_Packet_fields, out)) {
      c->bad_frames++;
      continue;
    }
    return 1;
  }
  return 0;
}

int bench_conn_wait(bench_conn *c, gcmon_v1_Packet *out, int timeout_ms) {
  for (;;) {
    long n;
    if (bench_conn_next(c, out))
      return 1;
    n = bench_conn_fill(c, timeout_ms);
    if (n < 0)
      return -1;
    if (n == 0 && timeout_ms >= 0)
      return 0;
  }
}

int bench_conn_call(bench_conn *c, gcmon_v1_Request *req,
                    gcmon_v1_Response *resp) {
  uint8_t frame[GCMON_FRAME_WIRE_MAX];
  gcmon_v1_Packet p;
  size_t n = bench_request_frame(c, req, frame, sizeof frame);
  if (n == 0 || bench_conn_send(c, frame, n) != 0)
    return -1;
  for (;;) {
    if (bench_conn_wait(c, &p, 5000) != 1) {
      fprintf(stderr, "bench: no response to request %u\n", (unsigned)req->id);
      return -1;
    }
    if (p.which_kind == gcmon_v1_Packet_response_tag &&
        p.kind.response.id == req->id)
      break;
  }
  *resp = p.kind.response;
  if (resp->has_status && resp->status.code != gcmon_v1_Status_Code_OK) {
    fprintf(stderr, "bench: request %u failed: %s\n", (unsigned)req->id,
            resp->status.message);
    return -1;
  }
  return 0;
}

int bench_conn_hello(bench_conn *c) {
  gcmon_v1_Request req = gcmon_v1_Request_init_zero;
  gcmon_v1_Response resp;
  req.which_call = gcmon_v1_Request_hello_tag;
  req.call.hello.version = 1;
  snprintf(req.call.hello.client, sizeof req.call.hello.client, "bench");
  return bench_conn_call(c, &req, &resp);
}

uint32_t bench_conn_subscribe(bench_conn *c, uint32_t interval_ms) {
  gcmon_v1_Request req = gcmon_v1_Request_init_zero;
  gcmon_v1_Response resp;
  req.which_call = gcmon_v1_Request_subscribe_tag;
  req.call.subscribe.interval_ms = interval_ms;
  if (bench_conn_call(c, &req, &resp) != 0 ||
      resp.which_result != gcmon_v1_Response_subscribed_tag)
    return 0;
  return resp.result.subscribed.subscription;
}

size_t bench_wire_size(const uint8_t *payload, size_t n) {
  uint8_t out[GCMON_FRAME_WIRE_MAX];
  return gcmon_frame_encode(payload, n, out, sizeof out);
}
