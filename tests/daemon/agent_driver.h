/* Drives the agent core in process, with no I/O: a fake clock, the real sim
 * source, and sessions whose bytes go through memory. Requests are built
 * with nanopb and framed with the shared framing layer; what the session
 * outputs is deframed and decoded back into Packets. Used by the agent
 * tests and the agent fuzz target. */
#ifndef GCMON_AGENT_DRIVER_H
#define GCMON_AGENT_DRIVER_H

#include "agent.h"
#include "codec.h"
#include "gcmon_frame.h"

typedef struct {
  gcmon_agent *agent;
  gcmon_source *source;
  uint64_t now_us;
} driver;

typedef struct {
  driver *drv;
  gcmon_session *session;
  gcmon_frame_decoder dec;
  uint8_t dec_buf[GCMON_FRAME_MAX];
  int wakes;
  uint32_t next_id;
} peer;

/* Agent on the sim source (seed 42) with cfg's limits; the clock starts at
 * 1 s and moves only with driver_advance. */
void driver_init(driver *d, const gcmon_agent_config *limits);
void driver_close(driver *d);
/* Advance the clock by ms and take one series sample. */
void driver_tick(driver *d, uint32_t ms);

int peer_open(peer *p, driver *d, bool trusted);
/* A UART-like session: a link of bytes_per_s (the agent bounds lateness). */
int peer_open_link(peer *p, driver *d, uint32_t bytes_per_s);
void peer_close(peer *p);

/* Frame and feed one Request (id assigned if 0); returns the id. */
uint32_t peer_send(peer *p, gcmon_v1_Request *req);
/* Feed raw bytes; returns what the session consumed. */
size_t peer_feed(peer *p, const void *bytes, size_t n);

/* Drain the session's output (at most max_bytes, 0 = all) and decode it
 * into out[0..cap); returns the number of packets decoded. */
size_t peer_drain(peer *p, gcmon_v1_Packet *out, size_t cap, size_t max_bytes);

/* Send req and return the response to it (asserting one arrives). */
void peer_call(peer *p, gcmon_v1_Request *req, gcmon_v1_Response *resp);
void peer_hello(peer *p, const char *token);

#endif
