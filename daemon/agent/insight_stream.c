/* What a 1.1 subscription carries besides samples: watermarks with each
 * sample, collection records and alarm events (docs/protocol.md, "Memory
 * insight").
 *
 * Watermarks: the event for sample N of a subscription covers every tick
 * after the one its previous event covered (wm_prev) up to N. The ticks
 * still in the history ring are scanned when the event is encoded (O(ticks
 * per interval), the same total as folding each tick as it comes); ticks
 * that left the ring before the event was sent were folded into
 * wm_evicted on their way out (insight.c), so a subscription whose
 * interval spans more ticks than the ring holds still sees every one.
 *
 * Records: collections and alarm events sit in the agent's rings, numbered;
 * each subscription keeps a cursor per ring, like its sample cursor into
 * the history. A record seen at tick S goes out before the sample S of the
 * subscription's stream (or at once on a live stream), so a reader sees an
 * alarm no later than the sample that caused it. A reader that falls a
 * whole ring behind loses the oldest records, counted in events_dropped
 * like skipped samples. */
#include "insight_stream.h"
#include "output.h"

#include <pb_encode.h>

/* Event{subscription, body} around the largest 1.1 body, in a Packet. */
#define RECORD_WIRE_MAX       GCMON_FRAME_WIRE_SIZE(gcmon_v1_AlarmEvent_size + 16u)
#define WATERMARKS_WIRE_EXTRA (2u * (gcmon_v1_Watermarks_size + 4u))

/* Every flag is granted on every source: a source with no gc heap has no
 * collections to stream (get_collections says UNAVAILABLE), so one
 * subscription can ask for everything on any board. */
void gcmon__insight_subscribe(gcmon_session *s, gcmon__subscription *sub,
                              const gcmon_v1_SubscribeRequest *sr) {
  gcmon_agent *a = s->agent;

  sub->want_watermarks = sr->watermarks;
  sub->want_collections = sr->collections;
  sub->want_alarms = sr->alarms;
  sub->wm_prev = sub->next_seq > sub->every ? sub->next_seq - sub->every : 0;
  gcmon__wm_clear(&sub->wm_evicted);
  sub->next_collection = a->collections.next_number;
  sub->next_alarm_event = a->alarms.next_event;
}

/* Move a ring cursor up to the ring's oldest, counting what it lost. */
static void catch_up(gcmon_session *s, uint64_t *cursor, uint64_t oldest) {
  if (oldest == 0 || *cursor >= oldest)
    return;
  s->events_dropped += oldest - *cursor;
  s->agent->stats.events_dropped += oldest - *cursor;
  *cursor = oldest;
}

bool gcmon__insight_has_records(const gcmon_session *s,
                                const gcmon__subscription *sub) {
  const gcmon_agent *a = s->agent;
  return (sub->want_collections &&
          sub->next_collection < a->collections.next_number) ||
         (sub->want_alarms && sub->next_alarm_event < a->alarms.next_event);
}

/* The bytes of record `number` of `kind` (1 collection, 2 alarm event),
 * encoded once and reused by every subscriber after the first (an
 * AlarmEvent carries a whole Sample). NULL when it does not encode. */
static const uint8_t *record_bytes(gcmon_agent *a, int kind, uint64_t number,
                                   size_t *len) {
  uint64_t *cached = kind == 1 ? &a->coll_number : &a->alarm_number;
  size_t *cached_len = kind == 1 ? &a->coll_len : &a->alarm_len;
  uint8_t *buf = kind == 1 ? a->coll_bytes : a->alarm_bytes;
  pb_ostream_t os = pb_ostream_from_buffer(
      buf, kind == 1 ? sizeof a->coll_bytes : sizeof a->alarm_bytes);
  bool ok;

  if (*cached != number) {
    if (kind == 1) {
      gcmon_v1_CollectionRecord r;
      gcmon__coll_to_pb(gcmon__coll_get(&a->collections, number), &r);
      ok = pb_encode(&os, gcmon_v1_CollectionRecord_fields, &r);
    } else {
      const gcmon__alarm_event *e = gcmon__alarms_event(&a->alarms, number);
      os.bytes_written = gcmon__codec_encode_alarm_event(
          e->alarm, e->raised, e->value, &e->sample, buf,
          sizeof a->alarm_bytes);
      ok = os.bytes_written > 0;
    }
    if (!ok)
      return NULL;
    *cached = number;
    *cached_len = os.bytes_written;
  }
  *len = *cached_len;
  return buf;
}

/* Which record goes next, if its tick is due: the collection or the alarm
 * event of the lower tick. Returns 1 collection, 2 alarm, 0 none. */
static int next_record(gcmon_session *s, gcmon__subscription *sub,
                       uint64_t due_seq) {
  gcmon_agent *a = s->agent;
  const gcmon_collection *c = NULL;
  const gcmon__alarm_event *e = NULL;

  if (sub->want_collections) {
    catch_up(s, &sub->next_collection, gcmon__coll_oldest(&a->collections));
    c = gcmon__coll_get(&a->collections, sub->next_collection);
  }
  if (sub->want_alarms) {
    catch_up(s, &sub->next_alarm_event, gcmon__alarms_oldest_event(&a->alarms));
    e = gcmon__alarms_event(&a->alarms, sub->next_alarm_event);
  }
  if (c && c->seq > due_seq)
    c = NULL;
  if (e && e->sample.seq > due_seq)
    e = NULL;
  if (c && (!e || c->seq <= e->sample.seq))
    return 1;
  return e ? 2 : 0;
}

bool gcmon__insight_send_records(gcmon_session *s, gcmon__subscription *sub) {
  gcmon_agent *a = s->agent;
  /* In order with the samples, except on a compact stream, whose batches
   * wait for their latency: there every waiting record goes now. */
  uint64_t due = sub->compact || sub->next_seq > a->history.newest
                     ? UINT64_MAX
                     : sub->next_seq;
  int kind;

  while ((kind = next_record(s, sub, due)) != 0) {
    uint64_t *cursor =
        kind == 1 ? &sub->next_collection : &sub->next_alarm_event;
    size_t len = 0, n = 0;
    const uint8_t *body;
    if (gcmon__session_out_free(s) < GCMON_FRAME_WIRE_MAX + RECORD_WIRE_MAX)
      return false;
    body = record_bytes(a, kind, *cursor, &len);
    if (body)
      n = gcmon__codec_encode_event_body(
          sub->id,
          kind == 1 ? gcmon_v1_Event_collection_tag : gcmon_v1_Event_alarm_tag,
          body, len, a->payload, sizeof a->payload);
    (*cursor)++;
    if (gcmon__session_send_payload(s, a->payload, n))
      a->stats.events_sent++;
  }
  return true;
}

size_t gcmon__insight_event_room(const gcmon__subscription *sub) {
  size_t room = GCMON_FRAME_WIRE_SIZE(gcmon_v1_Sample_size + 12u);
  return sub->want_watermarks ? room + WATERMARKS_WIRE_EXTRA : room;
}

/* The window of sub's event for seq: what left the ring, then the ring. */
static void window_of(const gcmon_agent *a, const gcmon__subscription *sub,
                      uint64_t seq, gcmon_watermarks *w) {
  uint64_t oldest = gcmon__history_oldest(&a->history);
  uint64_t t = sub->wm_prev + 1 > oldest ? sub->wm_prev + 1 : oldest;
  const gcmon_sample *x;

  *w = sub->wm_evicted;
  for (; t <= seq && (x = gcmon__history_get(&a->history, t)); t++)
    gcmon__wm_fold(w, x);
}

size_t gcmon__insight_sample_event(gcmon_session *s, gcmon__subscription *sub,
                                   uint64_t seq) {
  gcmon_agent *a = s->agent;
  gcmon_watermarks w;
  gcmon_v1_Watermarks pb;

  if (!sub->want_watermarks)
    return gcmon__codec_encode_event(sub->id, a->event_sample,
                                     a->event_sample_len, a->payload,
                                     sizeof a->payload);
  window_of(a, sub, seq, &w);
  gcmon__wm_to_pb(&w, &pb);
  return gcmon__codec_encode_event_wm(sub->id, a->event_sample,
                                      a->event_sample_len, &pb, a->payload,
                                      sizeof a->payload);
}

void gcmon__insight_sample_sent(gcmon__subscription *sub, uint64_t seq) {
  if (!sub->want_watermarks)
    return;
  sub->wm_prev = seq;
  gcmon__wm_clear(&sub->wm_evicted);
}
