/* The stock adapter's side of the wire (repl:// without the agent): the
 * client's Requests decoded, Responses and Events encoded as framed
 * Packets, just as gcmond would send them. protobuf-c types stay in
 * repl_wire.c. */
#ifndef GCMON_CLIENT_REPL_WIRE_H
#define GCMON_CLIENT_REPL_WIRE_H

#include "gcmon/client.h"

#include <stddef.h>
#include <stdint.h>

typedef struct gcmon__repl_req {
  uint32_t id;
  int call; /* a gcmon_call, or 0 for a call this adapter does not serve */
  int64_t threshold;
  bool enabled;
  uint32_t interval_ms;
  uint64_t from_seq;
  uint32_t subscription;
  uint32_t max_count;
} gcmon__repl_req;

/* 0, or GCMON_EPARSE when the payload is not a Request. */
int gcmon__repl_decode_request(const uint8_t *payload, size_t len,
                               gcmon__repl_req *out);

typedef struct gcmon__repl_reply {
  uint32_t id;
  int code; /* Status.Code */
  const char *message;
  enum {
    GCMON__REPLY_NONE = 0,
    GCMON__REPLY_HELLO,
    GCMON__REPLY_SAMPLE,
    GCMON__REPLY_COLLECT,
    GCMON__REPLY_SUBSCRIBED,
    GCMON__REPLY_HISTORY
  } kind;
  const gcmon_info *hello;
  const gcmon_sample *sample; /* sample, collect's after */
  int64_t freed_bytes;
  uint64_t duration_us;
  gcmon_subscribed subscribed;
  const gcmon_sample *const *history; /* count pointers */
  size_t count;
  uint64_t next_seq, oldest_seq;
} gcmon__repl_reply;

/* Encode as one frame into out (cap >= GCMON_FRAME_WIRE_MAX); the frame's
 * length, or 0 when it does not fit one payload. */
size_t gcmon__repl_frame_reply(const gcmon__repl_reply *r, uint8_t *out,
                               size_t cap);
size_t gcmon__repl_frame_event(uint32_t subscription, const gcmon_sample *s,
                               uint8_t *out, size_t cap);

#endif
