/* Compact streams (protocol 1.1) on the client: SampleBatch events decoded
 * with the shared codec (proto/gcmon_compact.h) into the same per-sample
 * path full Sample events take (gcmon__subs_on_event), so callers see
 * gcmon_sample structs either way, gaps and resumes included.
 *
 * Each subscription keeps the decoder of its stream, reset whenever the
 * daemon (re)grants it. A batch that refers to a keyframe this client never
 * got (the frame carrying it was lost) cannot be decoded: its samples are
 * missing like those of a lost frame, and the client asks for a keyframe
 * (call `keyframe`) so the stream decodes again from the next batch on.
 * The seqs in between are then a gap like any other: replayed from the
 * daemon's history when it still holds them, else reported exactly. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "subs_compact.h"
#include "link.h"
#include "subs.h"

#include <stdlib.h>

bool gcmon__want_compact(const gcmon_client *c) {
  if (c->compact_opt != GCMON_COMPACT_AUTO)
    return c->compact_opt == GCMON_COMPACT_ON;
  if (c->uri.compact >= 0)
    return c->uri.compact == 1;
  /* Slow links by default: a UART, and a board's console (repl://, where
   * the agent serves on the REPL's own line; the stock adapter grants no
   * compact stream and so ignores the ask). */
  return c->uri.kind == GCMON__URI_SERIAL || c->uri.kind == GCMON__URI_REPL;
}

typedef struct {
  gcmon_client *c;
  gcmon_subscription *s;
  uint32_t id;
} batch_ctx;

static void emit(void *data, const gcmon_sample *sample) {
  batch_ctx *b = data;
  /* A callback may have ended the stream, or a gap resubscribed it: the
   * rest of this batch then belongs to nobody. */
  if (b->s->closed || b->s->daemon_id != b->id)
    return;
  gcmon__subs_on_event(b->c, b->id, sample);
}

static void on_keyframe_done(gcmon__call *call, gcmon_reply *reply) {
  (void)reply; /* a stream that ended meanwhile: nothing to do */
  free(call);
}

static void ask_keyframe(gcmon_client *c, gcmon_subscription *s) {
  gcmon__call *call;
  if (c->state != GCMON_STATE_READY || s->keyframe_asked == s->daemon_id)
    return; /* once per stream until a keyframe arrives */
  call = gcmon__call_new(c, GCMON__CALL_KEYFRAME, 0, on_keyframe_done, NULL);
  if (!call)
    return;
  call->req.u.subscription = s->daemon_id;
  if (gcmon__conn_send(&c->conn, call) != 0) {
    free(call);
    return;
  }
  s->keyframe_asked = s->daemon_id;
  gcmon__arm_deadlines(c);
}

void gcmon__subs_on_batch(gcmon_client *c, uint32_t id,
                          const gcmon__incoming *in) {
  gcmon_subscription *s;
  batch_ctx ctx;
  uint64_t key_before;
  int n;

  for (s = c->subs; s; s = s->next)
    if (s->daemon_id == id && id != 0 && s->state == GCMON__SUB_ACTIVE &&
        !s->closed)
      break;
  if (!s) {
    c->unmatched_events++;
    return;
  }
  ctx.c = c;
  ctx.s = s;
  ctx.id = id;
  key_before = gcmon_compact_decoder_key_seq(&s->compact);
  c->dispatching++; /* s stays allocated until the batch is done */
  n = gcmon_compact_decode(&s->compact, in->batch_first_seq, in->batch_count,
                           in->batch, in->batch_len, emit, &ctx);
  c->dispatching--;
  if (n < 0) {
    c->undecodable_batches++;
    ask_keyframe(c, s);
  } else if (gcmon_compact_decoder_key_seq(&s->compact) != key_before) {
    s->keyframe_asked = 0; /* a new keyframe: a later loss may ask again */
  }
  gcmon__subs_sweep(c);
}
