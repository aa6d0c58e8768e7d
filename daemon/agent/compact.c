/* The compact sample stream of protocol 1.1, the agent's side: the grant
 * in hello, SampleBatch events for subscriptions, compact get_history
 * answers and the keyframe call. The encoding itself is proto/
 * gcmon_compact.c, shared with libgcmon.
 *
 * A compact subscription keeps a gcmon_compact_encoder beside its cursor.
 * Its samples are not sent one per event: they wait in the history ring
 * until the oldest has waited as long as the client's latency bound allows
 * (less one sampler period, since the next chance is a tick away), then go
 * out together, as many as one batch holds. A replay that is catching up
 * sends whole batches at once. A subscription that asked for watermarks is
 * served with full Sample events (they carry them), compact grant or not. */
#include "compact.h"
#include "lag.h"
#include "output.h"
#include "status.h"

/* Bounds on what a client may ask for. */
#define MAX_LATENCY_MS      10000u
#define MAX_KEYFRAME_EVERY  4096u
/* Samples whose sizes set a stream's units before its first keyframe. */
#define LEARN_SAMPLES       64u
/* Samples one compact history answer can hold at most (1 byte each). */
#define HISTORY_LEARN       GCMON_COMPACT_DATA_MAX

void gcmon__compact_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                          gcmon_v1_HelloResponse *r) {
  s->compact = false;
  if (h->minor < 1)
    return; /* a v1 client: nothing of 1.1 in the answer */
  r->minor = GCMON_PROTOCOL_MINOR;
  if (!h->has_compact)
    return;
  s->compact = true;
  s->compact_latency_ms = h->compact.max_latency_ms
                              ? h->compact.max_latency_ms
                              : GCMON_COMPACT_DEFAULT_LATENCY_MS;
  if (s->compact_latency_ms > MAX_LATENCY_MS)
    s->compact_latency_ms = MAX_LATENCY_MS;
  if (s->compact_latency_ms > gcmon__lag_latency_cap_ms(s))
    s->compact_latency_ms = gcmon__lag_latency_cap_ms(s);
  s->compact_keyframe_every = h->compact.keyframe_every
                                  ? h->compact.keyframe_every
                                  : GCMON_COMPACT_DEFAULT_KEYFRAME_EVERY;
  if (s->compact_keyframe_every > MAX_KEYFRAME_EVERY)
    s->compact_keyframe_every = MAX_KEYFRAME_EVERY;
  r->has_compact = true;
  r->compact.max_latency_ms = s->compact_latency_ms;
  r->compact.keyframe_every = s->compact_keyframe_every;
}

void gcmon__compact_subscribed(gcmon_session *s, gcmon__subscription *sub,
                               const gcmon_v1_SubscribeRequest *sr) {
  const gcmon__history *h = &s->agent->history;
  sub->compact = s->compact && !sr->watermarks;
  if (!sub->compact)
    return;
  gcmon_compact_encoder_init(&sub->enc, sub->every,
                             (uint64_t)s->agent->cfg.interval_ms * 1000u,
                             s->compact_keyframe_every);
  /* Units from recent samples (see gcmon_compact_encoder_learn). */
  for (uint64_t q = h->newest; q > 0 && q + LEARN_SAMPLES > h->newest; q--) {
    const gcmon_sample *sample = gcmon__history_get(h, q);
    if (!sample)
      break;
    gcmon_compact_encoder_learn(&sub->enc, sample);
  }
}

void gcmon__call_keyframe(gcmon_session *s, const gcmon_v1_Request *req,
                          gcmon_v1_Response *resp) {
  uint32_t id = req->call.keyframe.subscription;
  for (uint32_t i = 0; id && i < s->agent->cfg.max_subscriptions; i++) {
    gcmon__subscription *sub = &s->subs[i];
    if (sub->id != id)
      continue;
    if (!sub->compact) {
      gcmon__set_status(resp, gcmon_v1_Status_Code_FAILED_PRECONDITION,
                        "subscription %lu is not compact", (unsigned long)id);
      return;
    }
    gcmon_compact_encoder_force_key(&sub->enc);
    return;
  }
  gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                    "no subscription %lu in this session", (unsigned long)id);
}

uint64_t gcmon__compact_history(gcmon_session *s, uint64_t seq,
                                uint32_t max_count, gcmon_v1_History *r) {
  const gcmon__history *h = &s->agent->history;
  gcmon_compact_encoder enc;
  gcmon_compact_batch b;
  const gcmon_sample *sample;
  uint32_t span = max_count && max_count < HISTORY_LEARN ? max_count
                                                         : HISTORY_LEARN;

  /* One self-contained batch: it opens with a keyframe, and no other. */
  gcmon_compact_encoder_init(&enc, 1,
                             (uint64_t)s->agent->cfg.interval_ms * 1000u,
                             UINT32_MAX);
  /* Units every sample that may go in allow: a batch cut short by a
   * sample that needs a finer unit would break the client's pipeline. */
  for (uint64_t q = seq; q < seq + span; q++) {
    if ((sample = gcmon__history_get(h, q)) == NULL)
      break;
    gcmon_compact_encoder_learn(&enc, sample);
  }
  gcmon_compact_batch_begin(&enc, &b, r->batch.data.bytes,
                            sizeof r->batch.data.bytes);
  while ((max_count == 0 || b.count < max_count) &&
         (sample = gcmon__history_get(h, seq)) != NULL &&
         gcmon_compact_batch_add(&enc, &b, sample) == 0)
    seq++;
  if (b.count > 0) {
    r->has_batch = true;
    r->batch.first_seq = b.first_seq;
    r->batch.count = b.count;
    r->batch.data.size = (pb_size_t)b.len;
  }
  return seq;
}

static uint64_t waiting(const gcmon__subscription *sub, uint64_t newest) {
  return sub->next_seq > newest ? 0
                                : (newest - sub->next_seq) / sub->every + 1;
}

bool gcmon__compact_due(const gcmon_session *s,
                        const gcmon__subscription *sub) {
  uint64_t n = waiting(sub, s->agent->history.newest);
  uint64_t step_ms = (uint64_t)sub->every * s->agent->cfg.interval_ms;
  if (n == 0)
    return false;
  if (sub->catching_up)
    return true;
  /* Waiting one more step would take the oldest past the bound. */
  return n * step_ms + step_ms > s->compact_latency_ms ||
         n >= GCMON_COMPACT_DATA_MAX / 8;
}

uint64_t gcmon__compact_extra_lag(const gcmon_session *s,
                                  const gcmon__subscription *sub) {
  uint64_t step_ms = (uint64_t)sub->every * s->agent->cfg.interval_ms;
  return s->compact_latency_ms / step_ms + 1;
}

bool gcmon__compact_send(gcmon_session *s, gcmon__subscription *sub) {
  gcmon_agent *a = s->agent;
  gcmon_v1_Event *ev;
  gcmon_compact_batch b;
  const gcmon_sample *sample;
  uint64_t seq = sub->next_seq;

  a->tx = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  a->tx.which_kind = gcmon_v1_Packet_event_tag;
  ev = &a->tx.kind.event;
  ev->subscription = sub->id;
  ev->which_body = gcmon_v1_Event_batch_tag;
  gcmon_compact_batch_begin(&sub->enc, &b, ev->body.batch.data.bytes,
                            sizeof ev->body.batch.data.bytes);
  while (seq <= a->history.newest &&
         (sample = gcmon__history_get(&a->history, seq)) != NULL &&
         gcmon_compact_batch_add(&sub->enc, &b, sample) == 0)
    seq += sub->every;
  if (b.count == 0) { /* left the ring: bound_lag moves the cursor */
    sub->next_seq = seq + sub->every;
    return true;
  }
  ev->body.batch.first_seq = b.first_seq;
  ev->body.batch.count = b.count;
  ev->body.batch.data.size = (pb_size_t)b.len;
  if (!gcmon__session_send_packet(s))
    return false; /* retried when there is room; the encoder is unchanged */
  gcmon_compact_batch_commit(&sub->enc, &b);
  sub->next_seq = seq;
  a->stats.events_sent++;
  if (sub->next_seq > a->history.newest)
    sub->catching_up = false;
  return true;
}
