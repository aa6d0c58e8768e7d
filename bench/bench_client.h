/* The measuring side's gcmon client: one TCP session with the least code
 * between the socket and the numbers, so that what the benchmarks time is
 * the daemon, not the client. Requests are nanopb Packets framed with the
 * shared framing layer; received bytes are deframed frame by frame, and for
 * each frame the exact number of bytes it took on the wire is kept (flags
 * and escapes included), which is what the serial benchmark counts.
 *
 * Blocking use (calls):
 *
 *     bench_conn c;
 *     bench_conn_open(&c, port);
 *     bench_conn_hello(&c);
 *     gcmon_v1_Request req = {.which_call = gcmon_v1_Request_get_sample_tag};
 *     bench_conn_call(&c, &req, &resp);       // skips events meanwhile
 *
 * Non-blocking use (many sessions in one poll loop): bench_conn_nonblock,
 * then on POLLIN bench_conn_fill() and bench_conn_next() until it returns 0.
 */
#ifndef GCMON_BENCH_CLIENT_H
#define GCMON_BENCH_CLIENT_H

#include "gcmon.pb.h"
#include "gcmon_frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_RX_SIZE 65536

typedef struct {
  int fd;
  uint32_t next_id;
  gcmon_frame_decoder dec;
  uint8_t dec_buf[GCMON_FRAME_MAX];
  uint8_t rx[BENCH_RX_SIZE];
  size_t rx_off, rx_len;
  size_t run_bytes;     /* wire bytes since the last frame ended */
  size_t frame_wire;    /* wire bytes of the frame bench_conn_next returned */
  size_t frame_payload; /* its payload bytes */
  uint64_t bad_frames;  /* dropped or undecodable */
} bench_conn;

/* 0, or -1 when the connection fails. */
int bench_conn_open(bench_conn *c, int port);
void bench_conn_close(bench_conn *c);
void bench_conn_nonblock(bench_conn *c);

/* Encode req as one frame into out; its length, or 0. An id of 0 is
 * replaced by c's next id (c may be NULL when req->id is set). */
size_t bench_request_frame(bench_conn *c, gcmon_v1_Request *req, uint8_t *out,
                           size_t cap);

/* Write all of buf (blocking, or spinning on a non-blocking socket). */
int bench_conn_send(bench_conn *c, const void *buf, size_t n);

/* Receive once into the buffer (waiting up to timeout_ms; -1 = forever).
 * Returns bytes received, 0 on timeout or nothing available, -1 when the
 * peer closed or failed. */
long bench_conn_fill(bench_conn *c, int timeout_ms);

/* The next complete Packet already received, decoded into out: 1, or 0
 * when more bytes are needed. frame_wire/frame_payload describe it. */
int bench_conn_next(bench_conn *c, gcmon_v1_Packet *out);

/* Wait (up to timeout_ms) for the next Packet: 1, 0 on timeout, -1. */
int bench_conn_wait(bench_conn *c, gcmon_v1_Packet *out, int timeout_ms);

/* Send req and wait for its response (events in between are dropped);
 * 0 with resp filled and status OK, else -1 (message on stderr). */
int bench_conn_call(bench_conn *c, gcmon_v1_Request *req,
                    gcmon_v1_Response *resp);

int bench_conn_hello(bench_conn *c);

/* subscribe(interval_ms, from 0); the subscription id, or 0 on failure. */
uint32_t bench_conn_subscribe(bench_conn *c, uint32_t interval_ms);

/* The byte-exact wire size of framing payload[0..n) (escapes included). */
size_t bench_wire_size(const uint8_t *payload, size_t n);

/* nanopb-encode a Packet; its payload length (0 on failure). */
size_t bench_encode_packet(const gcmon_v1_Packet *p, uint8_t *out, size_t cap);

#endif
