/* The connection core: one session's protocol engine, with no I/O.
 *
 * It encodes calls into frames and hands the bytes to ops->write, takes
 * received bytes through the shared framing decoder, decodes Packets,
 * matches each Response to the call waiting for it by id (answers come in
 * request order, so anything still waiting ahead of an answered call was
 * lost), hands Events to ops->on_event and a Response with id 0 (a refusal
 * of the whole session) to ops->on_refusal, and counts everything the link
 * does. Time only enters through gcmon__conn_expire(now). A unit test can
 * drive it with a fake daemon and no sockets.
 *
 * Callbacks may call back into the conn (send, fail_all, reset); feed()
 * stops processing input that arrived before a reset. */
#ifndef GCMON_CLIENT_CONN_H
#define GCMON_CLIENT_CONN_H

#include "call.h"
#include "gcmon_frame.h"
#include "mac.h"

typedef struct gcmon__conn_ops {
  /* Queue bytes for the link; 0 or GCMON_E*. */
  int (*write)(void *ctx, const uint8_t *bytes, size_t n);
  void (*on_event)(void *ctx, uint32_t subscription, const gcmon_sample *s);
  void (*on_refusal)(void *ctx, const gcmon_status *status);
  /* A compact SampleBatch event (1.1), still encoded (in->batch*); may be
   * NULL (batches are then ignored). */
  void (*on_batch)(void *ctx, uint32_t subscription,
                   const gcmon__incoming *in);
} gcmon__conn_ops;

typedef struct gcmon__conn {
  const gcmon__conn_ops *ops;
  void *ctx;
  gcmon_frame_decoder dec;
  gcmon_frame_stats past; /* decoder counts from previous links */
  uint64_t bytes_in, bytes_out, frames_out, unmatched;
  uint32_t next_id;
  unsigned generation; /* bumped by reset: stale input is not processed */
  gcmon__call_list inflight;
  gcmon__mac_state mac; /* challenge-response: MACs on control calls */
  gcmon__incoming in; /* decode scratch (large: a whole History); after a
                         call's completion it still holds its Response */
  uint8_t rxbuf[GCMON_FRAME_MAX];
  uint8_t txbuf[GCMON_FRAME_WIRE_MAX];
} gcmon__conn;

/* first_id seeds request ids (0 is skipped): a serial host that restarts
 * must not mistake a late answer to its predecessor for its own. */
void gcmon__conn_init(gcmon__conn *c, const gcmon__conn_ops *ops, void *ctx,
                      uint32_t first_id);

/* Assign an id, encode, write. On success the call waits in flight; on
 * failure it is untouched and the error returned. */
int gcmon__conn_send(gcmon__conn *c, gcmon__call *call);

/* Received bytes, any chunking. */
void gcmon__conn_feed(gcmon__conn *c, const uint8_t *data, size_t n);

/* Complete every call in flight with err (link lost, stop). */
void gcmon__conn_fail_all(gcmon__conn *c, int err);

/* A new link: fresh framing state; counters and ids carry on. */
void gcmon__conn_reset(gcmon__conn *c);

/* Complete with GCMON_ETIMEDOUT every call whose deadline is <= now. */
void gcmon__conn_expire(gcmon__conn *c, uint64_t now_ms);

/* Link counters (the seq and connect counters are the client's). */
void gcmon__conn_stats(const gcmon__conn *c, gcmon_link_stats *out);

/* Fill reply for a call that did not get an answer. */
void gcmon__reply_error(gcmon_reply *reply, gcmon_call call, int err);

#endif
