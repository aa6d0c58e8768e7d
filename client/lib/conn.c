/* The connection core (see conn.h): frames in, calls matched, events out. */
#include "conn.h"

#include "mac.h"

#include <string.h>

void gcmon__conn_init(gcmon__conn *c, const gcmon__conn_ops *ops, void *ctx,
                      uint32_t first_id) {
  memset(c, 0, sizeof *c);
  c->ops = ops;
  c->ctx = ctx;
  c->next_id = first_id ? first_id : 1;
  gcmon_frame_decoder_init(&c->dec, c->rxbuf, sizeof c->rxbuf);
}

void gcmon__reply_error(gcmon_reply *reply, gcmon_call call, int err) {
  memset(reply, 0, offsetof(gcmon_reply, u));
  reply->call = call;
  reply->err = err;
}

int gcmon__conn_send(gcmon__conn *c, gcmon__call *call) {
  long n;
  int err;

  call->req.id = c->next_id++;
  if (c->next_id == 0)
    c->next_id = 1;
  gcmon__mac_sign(&c->mac, &call->req);
  n = gcmon__encode_request(&call->req, c->txbuf, sizeof c->txbuf);
  if (n < 0)
    return (int)n;
  err = c->ops->write(c->ctx, c->txbuf, (size_t)n);
  if (err != 0)
    return err;
  c->bytes_out += (uint64_t)n;
  c->frames_out++;
  gcmon__call_list_push(&c->inflight, call);
  return 0;
}

static void complete(gcmon__call *call, gcmon_reply *reply) {
  call->done(call, reply);
}

static void fail_call(gcmon__call *call, int err) {
  gcmon_reply reply;
  gcmon__reply_error(&reply, call->req.call, err);
  complete(call, &reply);
}

/* Build the reply from a decoded Response: the daemon's Status decides,
 * and a success must carry the result its call promises. */
static void answer(gcmon__conn *c, gcmon__call *call) {
  static const gcmon_reply zero;
  gcmon__incoming *in = &c->in;
  gcmon_reply reply = zero;

  reply.call = call->req.call;
  reply.status = in->status;
  if (in->status.code != 0) {
    reply.err = gcmon_status_to_error(in->status.code);
  } else {
    gcmon__result want = gcmon__expected_result(call->req.call);
    if (want != GCMON__RESULT_NONE && in->result != want) {
      reply.err = GCMON_EPROTO;
    } else {
      switch (want) {
      case GCMON__RESULT_HELLO:
        reply.u.hello = in->u.hello;
        break;
      case GCMON__RESULT_SAMPLE:
        reply.u.sample = in->u.sample;
        break;
      case GCMON__RESULT_COLLECT:
        reply.u.collect = in->u.collect;
        break;
      case GCMON__RESULT_SUBSCRIBED:
        reply.u.subscribed = in->u.subscribed;
        break;
      case GCMON__RESULT_HISTORY:
        reply.u.history = in->u.history;
        break;
      case GCMON__RESULT_AUTH: /* the auth call reads in->auth_control */
      case GCMON__RESULT_NONE:
        break;
      }
    }
  }
  complete(call, &reply);
}

static void on_response(gcmon__conn *c) {
  gcmon__call *call;
  unsigned gen = c->generation;

  if (c->in.id == 0) {
    c->ops->on_refusal(c->ctx, &c->in.status);
    return;
  }
  for (call = c->inflight.head; call; call = call->next)
    if (call->req.id == c->in.id)
      break;
  if (!call) {
    c->unmatched++; /* a call that timed out, or noise */
    return;
  }
  /* In-order answers: whatever waits ahead of this call will never come. */
  while (c->inflight.head != call && gen == c->generation) {
    gcmon__call *lost = gcmon__call_list_pop(&c->inflight);
    fail_call(lost, GCMON_EPROTO);
  }
  if (gen != c->generation)
    return;
  gcmon__call_list_remove(&c->inflight, call);
  answer(c, call);
}

static void on_payload(gcmon__conn *c, const uint8_t *p, size_t n) {
  if (gcmon__decode_packet(p, n, &c->in) != 0) {
    gcmon_frame_decoder_reject(&c->dec);
    return;
  }
  switch (c->in.kind) {
  case GCMON__IN_RESPONSE:
    on_response(c);
    break;
  case GCMON__IN_EVENT:
    if (c->in.has_sample)
      c->ops->on_event(c->ctx, c->in.subscription, &c->in.u.sample);
    else if (c->in.has_batch && c->ops->on_batch)
      c->ops->on_batch(c->ctx, c->in.subscription, &c->in);
    break;
  case GCMON__IN_IGNORED:
    gcmon_frame_decoder_reject(&c->dec);
    break;
  }
}

void gcmon__conn_feed(gcmon__conn *c, const uint8_t *data, size_t n) {
  unsigned gen = c->generation;

  c->bytes_in += n;
  while (n > 0 && gen == c->generation) {
    size_t used = 0;
    gcmon_frame_status st = gcmon_frame_decoder_feed(&c->dec, data, n, &used);
    data += used;
    n -= used;
    if (st == GCMON_FRAME_READY)
      on_payload(c, c->dec.buf, c->dec.payload_len);
  }
}

void gcmon__conn_fail_all(gcmon__conn *c, int err) {
  gcmon__call_list doomed = c->inflight;
  gcmon__call *call;

  memset(&c->inflight, 0, sizeof c->inflight);
  c->generation++;
  while ((call = gcmon__call_list_pop(&doomed)) != NULL)
    fail_call(call, err);
}

static void add_stats(gcmon_frame_stats *sum, const gcmon_frame_stats *s) {
  sum->frames += s->frames;
  sum->drop_crc += s->drop_crc;
  sum->drop_oversize += s->drop_oversize;
  sum->drop_bad_escape += s->drop_bad_escape;
  sum->drop_short += s->drop_short;
  sum->drop_undecodable += s->drop_undecodable;
  sum->bytes_discarded += s->bytes_discarded;
}

void gcmon__conn_reset(gcmon__conn *c) {
  add_stats(&c->past, &c->dec.stats);
  gcmon_frame_decoder_init(&c->dec, c->rxbuf, sizeof c->rxbuf);
  gcmon__mac_reset(&c->mac); /* a new link is a new session */
  c->generation++;
}

void gcmon__conn_expire(gcmon__conn *c, uint64_t now_ms) {
  gcmon__call *call = c->inflight.head;
  unsigned gen = c->generation;

  while (call && gen == c->generation) {
    gcmon__call *next = call->next;
    if (call->deadline_ms && call->deadline_ms <= now_ms) {
      gcmon__call_list_remove(&c->inflight, call);
      fail_call(call, GCMON_ETIMEDOUT);
      /* the callback may have changed the list: start over */
      next = c->inflight.head;
    }
    call = next;
  }
}

void gcmon__conn_stats(const gcmon__conn *c, gcmon_link_stats *out) {
  gcmon_frame_stats s = c->past;

  add_stats(&s, &c->dec.stats);
  memset(out, 0, sizeof *out);
  out->bytes_in = c->bytes_in;
  out->bytes_out = c->bytes_out;
  out->frames_in = s.frames;
  out->frames_out = c->frames_out;
  out->crc_errors = s.drop_crc;
  out->frames_dropped = gcmon_frame_stats_drops(&s);
  out->undecodable = s.drop_undecodable;
  out->bytes_discarded = s.bytes_discarded;
  out->unmatched = c->unmatched;
}
