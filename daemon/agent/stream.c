/* Subscriptions: cursors into the history ring, turned into Event frames
 * only when the transport has room for them.
 *
 * A subscription granted k x min_interval_ms delivers seqs first_seq,
 * first_seq + k, ... Its "queue" is the distance from its cursor to the
 * newest sample: live subscriptions may lag at most queue_events events,
 * beyond that the oldest are skipped whole (counted as lost). A from_seq
 * replay may lag by what it asked for plus queue_events until it first
 * catches up with the newest sample, so a reader faster than the sampler
 * joins replay and live with no gap, and a slower one still has a bound.
 * On a rate-limited link (lag.c) a live subscription also skips what could
 * no longer arrive within max_lag_ms. Compact subscriptions (compact.c)
 * send batches instead of events, once their latency bound is up.
 * Samples that leave the ring before they were sent are lost too. Either way
 * the client sees a seq gap and can recover what history still holds with a new
 * from_seq.
 *
 * A series sample is encoded once (the agent keeps the bytes of the last
 * one encoded) and wrapped per event, so a tick that feeds 16 sessions x 4
 * subscriptions costs one Sample encoding, not 64. */
#include "stream.h"
#include "compact.h"
#include "insight_stream.h"
#include "lag.h"
#include "output.h"

void gcmon__stream_reset(gcmon_session *s) {
  for (uint32_t i = 0; i < s->agent->cfg.max_subscriptions; i++)
    s->subs[i] = (gcmon__subscription){0};
}

/* Move sub's cursor forward to at least seq, keeping its stride; counts
 * the events skipped. */
static void skip_to(gcmon_session *s, gcmon__subscription *sub, uint64_t seq) {
  uint64_t steps;
  if (sub->next_seq >= seq)
    return;
  steps = (seq - sub->next_seq + sub->every - 1) / sub->every;
  sub->next_seq += steps * sub->every;
  if (sub->compact)
    gcmon_compact_encoder_force_key(&sub->enc); /* a keyframe after a gap */
  s->events_dropped += steps;
  s->agent->stats.events_dropped += steps;
}

void gcmon__stream_bound_lag(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  uint64_t newest = a->history.newest;
  uint64_t oldest = gcmon__history_oldest(&a->history);
  uint64_t in_time = gcmon__lag_oldest_allowed(s);

  for (uint32_t i = 0; i < a->cfg.max_subscriptions; i++) {
    gcmon__subscription *sub = &s->subs[i];
    uint64_t span;
    if (!sub->id || sub->next_seq > newest)
      continue;
    skip_to(s, sub, oldest);
    span = (uint64_t)a->cfg.queue_events * sub->every;
    if (sub->compact)
      span += gcmon__compact_extra_lag(s, sub) * sub->every;
    if (sub->catching_up)
      span += sub->replay_events * sub->every;
    if (newest - sub->next_seq >= span)
      skip_to(s, sub, newest - span + 1);
    if (in_time && !sub->catching_up)
      skip_to(s, sub, in_time);
  }
}

/* A sample due (for a compact subscription: its batch is due), or a 1.1
 * record (insight_stream.c) waiting. */
static bool sub_pending(const gcmon_session *s,
                        const gcmon__subscription *sub) {
  return sub->id && ((sub->next_seq <= s->agent->history.newest &&
                      (!sub->compact || gcmon__compact_due(s, sub))) ||
                     gcmon__insight_has_records(s, sub));
}

static gcmon__subscription *most_behind(gcmon_session *s) {
  gcmon__subscription *best = NULL;
  for (uint32_t i = 0; i < s->agent->cfg.max_subscriptions; i++) {
    gcmon__subscription *sub = &s->subs[i];
    if (sub_pending(s, sub) && (!best || sub->next_seq < best->next_seq))
      best = sub;
  }
  return best;
}

bool gcmon__stream_has_pending(const gcmon_session *s) {
  for (uint32_t i = 0; i < s->agent->cfg.max_subscriptions; i++)
    if (sub_pending(s, &s->subs[i]))
      return true;
  return false;
}

/* Room one event of sub needs (a sample Event inside a Packet, with its
 * watermarks when asked: gcmon__insight_event_room; or a SampleBatch Event:
 * the batch's bound, the Event's subscription (1 + 5) and two tags and
 * lengths (3 each)), plus one worst-case response kept free. */
#define BATCH_WIRE_MAX GCMON_FRAME_WIRE_SIZE(gcmon_v1_SampleBatch_size + 12u)

static size_t fill_reserve(const gcmon__subscription *sub) {
  return GCMON_FRAME_WIRE_MAX +
         (sub->compact ? BATCH_WIRE_MAX : gcmon__insight_event_room(sub));
}

void gcmon__stream_fill(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  gcmon__subscription *sub;

  if (!s->hello_done)
    return;
  gcmon__stream_bound_lag(s);
  while ((sub = most_behind(s)) != NULL &&
         gcmon__session_out_free(s) >= fill_reserve(sub) &&
         gcmon__lag_may_fill(s)) {
    const gcmon_sample *sample;
    uint64_t seq = sub->next_seq;
    size_t n;
    if (!gcmon__insight_send_records(s, sub))
      break;
    if (seq > a->history.newest)
      continue; /* only records were waiting */
    if (sub->compact) {
      if (!gcmon__compact_due(s, sub))
        continue; /* only records were waiting: the batch is not due */
      if (!gcmon__compact_send(s, sub))
        break;
      continue;
    }
    sample = gcmon__history_get(&a->history, seq);
    sub->next_seq += sub->every;
    if (!sample) /* left the ring since bound_lag: cannot happen in one call */
      continue;
    if (a->event_seq != seq) { /* each series sample is encoded once */
      a->event_sample_len = gcmon__codec_encode_sample(sample, a->event_sample,
                                                       sizeof a->event_sample);
      a->event_seq = seq;
    }
    n = gcmon__insight_sample_event(s, sub, seq);
    if (!gcmon__session_send_payload(s, a->payload, n)) {
      sub->next_seq = seq; /* retry when there is room */
      break;
    }
    gcmon__insight_sample_sent(sub, seq);
    a->stats.events_sent++;
    if (sub->next_seq > a->history.newest)
      sub->catching_up = false; /* from here on it is a live stream */
  }
}
