/* Subscriptions: the client-side half of a stream that outlives links.
 *
 * A gcmon_subscription belongs to the client, not to a session. Each time
 * a session becomes ready, every live subscription is (re)subscribed:
 *   - first time: with the from_seq the caller asked for;
 *   - same daemon run (run_id unchanged): from_seq = last seq + 1, so the
 *     daemon replays what the link drop hid and the caller sees no hole;
 *   - daemon restarted (run_id changed): a RESTART event, then from seq 1
 *     of the new run (everything it still retains).
 * An event that skips seqs (a frame the line damaged, a cut that did not
 * hang up, or the daemon's queue for a slow reader overflowing) does not
 * give them up: the stream is resubscribed in place from the first missing
 * seq, so the daemon replays what its history still holds
 * (docs/protocol.md) and the caller's run stays contiguous. Only when
 * Subscribed.first_seq is beyond the from_seq asked for does a GAP event
 * name the seqs that will never come. Duplicates (seq not above the last
 * delivered) are dropped, so the caller's seq run only ever increases.
 *
 * Callbacks may unsubscribe (even their own subscription) or close the
 * client: a subscription is only marked closed there and freed at the next
 * safe point (gcmon__subs_sweep). */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "subs.h"
#include "link.h"
#include "liveness.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

static void deliver(gcmon_subscription *s, gcmon_event *ev) {
  gcmon_client *c = s->client;
  if (s->closed || !s->cb)
    return;
  c->dispatching++;
  s->cb(s, ev, s->data);
  c->dispatching--;
}

static void deliver_gap(gcmon_subscription *s, uint64_t first, uint64_t last) {
  gcmon_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = GCMON_EVENT_GAP;
  ev.gap_first = first;
  ev.gap_last = last;
  s->client->seq_gaps++;
  s->client->seq_missing += last - first + 1;
  deliver(s, &ev);
}

static void finish_wait(gcmon_subscription *s, int err) {
  if (s->wait) {
    s->wait->done = true;
    s->wait->err = err;
    s->wait = NULL;
  }
}

static void send_unsubscribe(gcmon_client *c, uint32_t id);

static void on_subscribed(gcmon__call *call, gcmon_reply *reply) {
  gcmon_subscription *s = call->data;
  gcmon_client *c = call->owner;
  const gcmon_subscribed *g = &reply->u.subscribed;
  gcmon_event ev;
  uint64_t min_ms;

  free(call);
  if (!s) { /* unsubscribed while the request was in flight */
    if (reply->err == 0)
      send_unsubscribe(c, g->subscription);
    return;
  }
  s->call = NULL;
  memset(&ev, 0, sizeof ev);
  if (reply->err == GCMON_ECLOSED || reply->err == GCMON_ECANCELED) {
    s->state = GCMON__SUB_WAITING; /* resumed on the next session */
    if (reply->err == GCMON_ECANCELED)
      finish_wait(s, reply->err);
    return;
  }
  if (reply->err == GCMON_EPRECOND && c->state == GCMON_STATE_READY) {
    s->state = GCMON__SUB_WAITING; /* the daemon forgot the session */
    gcmon__check_session(c, reply->err);
    return;
  }
  if (reply->err == GCMON_ETIMEDOUT || reply->err == GCMON_EPROTO) {
    /* No answer on a live link (none came, or a later call's came first,
     * so this one was lost on the line): the link is what is broken. */
    s->state = GCMON__SUB_WAITING;
    gcmon__link_lost(c, reply->err, "subscribe: no answer");
    return;
  }
  if (reply->err == GCMON_ELIMIT && s->last_seq > 0) {
    /* A resubscribe found every slot taken: streams this session replaced
     * whose unsubscribe the line lost. A new session clears them. */
    s->state = GCMON__SUB_WAITING;
    gcmon__link_lost(c, reply->err, "subscribe: stale streams hold the limit");
    return;
  }
  if (reply->err != 0) {
    s->state = GCMON__SUB_FAILED;
    c->status = reply->status;
    gcmon__set_errmsg(c, "subscribe: %s",
                      reply->status.message[0] ? reply->status.message
                                               : gcmon_strerror(reply->err));
    finish_wait(s, reply->err);
    ev.type = GCMON_EVENT_ERROR;
    ev.err = reply->err;
    ev.status = &reply->status;
    deliver(s, &ev);
    return;
  }
  s->state = GCMON__SUB_ACTIVE;
  s->daemon_id = g->subscription;
  min_ms = c->info.min_interval_ms ? c->info.min_interval_ms : 1;
  s->step = g->interval_ms >= min_ms ? g->interval_ms / min_ms : 1;
  s->granted_ms = g->interval_ms;
  gcmon__liveness_event(c);
  s->expect_seq = g->first_seq;
  gcmon_compact_decoder_init(&s->compact); /* a new stream: a new keyframe */
  s->keyframe_asked = 0;
  finish_wait(s, 0);
  ev.type = GCMON_EVENT_SUBSCRIBED;
  ev.subscribed = *g;
  deliver(s, &ev);
  if (s->asked_from && g->first_seq > s->asked_from)
    deliver_gap(s, s->asked_from, g->first_seq - 1);
}

/* (Re)subscribe s on the current session. */
static void request(gcmon_client *c, gcmon_subscription *s, uint64_t from) {
  gcmon__call *call;
  gcmon_event ev;
  int err;

  call = gcmon__call_new(c, GCMON_CALL_SUBSCRIBE, 0, on_subscribed, s);
  err = call ? 0 : GCMON_ENOMEM;
  if (call) {
    call->req.u.subscribe.interval_ms = s->interval_ms;
    call->req.u.subscribe.from_seq = from;
    call->req.u.subscribe.watermarks = s->want_watermarks;
    call->req.u.subscribe.collections = s->want_collections;
    call->req.u.subscribe.alarms = s->want_alarms;
    err = gcmon__conn_send(&c->conn, call);
    if (err != 0)
      free(call);
  }
  if (err != 0) {
    s->state = GCMON__SUB_FAILED;
    finish_wait(s, err);
    memset(&ev, 0, sizeof ev);
    ev.type = GCMON_EVENT_ERROR;
    ev.err = err;
    deliver(s, &ev);
    return;
  }
  s->call = call;
  s->asked_from = from;
  s->state = GCMON__SUB_REQUESTED;
}

void gcmon__subs_resume(gcmon_client *c, bool restarted, uint64_t prev_run) {
  for (gcmon_subscription *s = c->subs; s; s = s->next) {
    uint64_t from;
    if (s->closed || s->state == GCMON__SUB_FAILED ||
        s->state == GCMON__SUB_REQUESTED)
      continue;
    if (c->state != GCMON_STATE_READY)
      return; /* a callback dropped the link; the next session resumes */
    if (restarted) {
      /* Old seqs mean nothing in the new run: start it from its first
       * retained sample (or live, for a live-only stream not yet begun). */
      from = s->last_seq > 0 || s->from_seq > 0 ? 1 : 0;
      if (s->last_seq > 0) {
        gcmon_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = GCMON_EVENT_RESTART;
        ev.run_id = c->run_id;
        ev.prev_run_id = prev_run;
        s->last_seq = 0;
        s->expect_seq = 0;
        deliver(s, &ev);
      }
    } else if (s->last_seq > 0) {
      from = s->last_seq + 1;
    } else {
      from = s->from_seq;
    }
    if (!s->closed)
      request(c, s, from);
  }
  gcmon__subs_sweep(c);
}

void gcmon__subs_forget_ids(gcmon_client *c) {
  c->orphan_id = 0; /* stream ids start again with the new hello */
  for (gcmon_subscription *s = c->subs; s; s = s->next) {
    s->daemon_id = 0;
    if (s->state == GCMON__SUB_ACTIVE)
      s->state = GCMON__SUB_WAITING;
  }
}

void gcmon__subs_session_ended(gcmon_client *c, int err) {
  for (gcmon_subscription *s = c->subs; s; s = s->next) {
    bool was_active = s->state == GCMON__SUB_ACTIVE;
    s->daemon_id = 0;
    if (s->state == GCMON__SUB_FAILED)
      continue;
    s->state = GCMON__SUB_WAITING;
    if (c->state != GCMON_STATE_BACKOFF)
      finish_wait(s, err);
    if (was_active && err != GCMON_ECANCELED) {
      gcmon_event ev;
      memset(&ev, 0, sizeof ev);
      ev.type = GCMON_EVENT_LINK_DOWN;
      ev.err = err;
      deliver(s, &ev);
    }
  }
}

/* Seqs went missing from a live stream: end it and ask again from the
 * hole on this session. Events still arriving for the old stream are then
 * unmatched and ignored. False when that cannot be done now. */
static bool resubscribe_from_hole(gcmon_client *c, gcmon_subscription *s) {
  uint32_t old = s->daemon_id;
  if (c->state != GCMON_STATE_READY || s->call)
    return false;
  s->daemon_id = 0;
  send_unsubscribe(c, old);
  request(c, s, s->expect_seq);
  return true;
}

void gcmon__subs_on_event(gcmon_client *c, uint32_t id,
                          const gcmon_sample *sample) {
  gcmon_subscription *s;
  gcmon_event ev;

  for (s = c->subs; s; s = s->next)
    if (s->daemon_id == id && id != 0 && s->state == GCMON__SUB_ACTIVE)
      break;
  if (!s || s->closed) {
    c->unmatched_events++;
    /* A stream nobody wants (replaced, its unsubscribe lost): end it,
     * once per stream. */
    if (!s && id != 0 && id != c->orphan_id) {
      c->orphan_id = id;
      send_unsubscribe(c, id);
    }
    return;
  }
  if (sample->seq <= s->last_seq)
    return; /* a duplicate: never deliver a seq twice */
  if (s->expect_seq && sample->seq > s->expect_seq) {
    if (resubscribe_from_hole(c, s))
      return; /* the replay brings this sample again, in order */
    deliver_gap(s, s->expect_seq, sample->seq - 1);
  }
  s->last_seq = sample->seq;
  s->expect_seq = sample->seq + s->step;
  gcmon__liveness_event(c);
  memset(&ev, 0, sizeof ev);
  ev.type = GCMON_EVENT_SAMPLE;
  ev.sample = sample;
  if (c->conn.in.has_watermarks && s->want_watermarks)
    ev.watermarks = &c->conn.in.watermarks;
  deliver(s, &ev);
}

/* A collection record or alarm event: no seq of its own, so no gap
 * logic; delivered to the stream that asked. */
void gcmon__subs_on_record(gcmon_client *c, const gcmon__incoming *in) {
  gcmon_subscription *s;
  gcmon_event ev;

  for (s = c->subs; s; s = s->next)
    if (s->daemon_id == in->subscription && in->subscription != 0 &&
        s->state == GCMON__SUB_ACTIVE && !s->closed)
      break;
  if (!s) {
    c->unmatched_events++;
    return;
  }
  gcmon__liveness_event(c);
  memset(&ev, 0, sizeof ev);
  if (in->has_collection && s->want_collections) {
    ev.type = GCMON_EVENT_COLLECTION;
    ev.collection = &in->u.collection;
  } else if (in->has_alarm && s->want_alarms) {
    ev.type = GCMON_EVENT_ALARM;
    ev.alarm = &in->u.alarm_event;
  } else {
    c->unmatched_events++;
    return;
  }
  deliver(s, &ev);
}

static void unlink_sub(gcmon_client *c, gcmon_subscription *s) {
  if (s->prev)
    s->prev->next = s->next;
  else
    c->subs = s->next;
  if (s->next)
    s->next->prev = s->prev;
  if (s->call)
    s->call->data = NULL; /* its answer unsubscribes the orphan */
  finish_wait(s, GCMON_ECANCELED);
  free(s);
}

void gcmon__subs_sweep(gcmon_client *c) {
  gcmon_subscription *s = c->subs;
  if (c->dispatching > 0)
    return;
  while (s) {
    gcmon_subscription *next = s->next;
    if (s->closed)
      unlink_sub(c, s);
    s = next;
  }
}

void gcmon__subs_free_all(gcmon_client *c) {
  for (gcmon_subscription *s = c->subs; s; s = s->next)
    s->closed = true;
  gcmon__subs_sweep(c);
}

/* ---- public ------------------------------------------------------------ */

int gcmon_subscribe_async(gcmon_client *c, uint32_t interval_ms,
                          uint64_t from_seq, gcmon_event_cb cb, void *data,
                          gcmon_subscription **out) {
  gcmon_subscribe_options o = {.interval_ms = interval_ms,
                               .from_seq = from_seq};
  return gcmon_subscribe_ex_async(c, &o, cb, data, out);
}

int gcmon_subscribe_ex_async(gcmon_client *c, const gcmon_subscribe_options *o,
                             gcmon_event_cb cb, void *data,
                             gcmon_subscription **out) {
  gcmon_subscription *s;

  if (!c || !o || !cb || c->closing)
    return GCMON_EINVAL;
  if (c->state == GCMON_STATE_IDLE || c->state == GCMON_STATE_FAILED)
    return GCMON_ECLOSED;
  s = calloc(1, sizeof *s);
  if (!s)
    return GCMON_ENOMEM;
  s->client = c;
  s->cb = cb;
  s->data = data;
  s->interval_ms = o->interval_ms;
  s->from_seq = o->from_seq;
  s->want_watermarks = o->watermarks;
  s->want_collections = o->collections;
  s->want_alarms = o->alarms;
  s->next = c->subs;
  if (c->subs)
    c->subs->prev = s;
  c->subs = s;
  if (out)
    *out = s;
  if (c->state == GCMON_STATE_READY)
    request(c, s, o->from_seq);
  gcmon__arm_deadlines(c);
  return 0;
}

static void on_unsubscribed(gcmon__call *call, gcmon_reply *reply) {
  gcmon__sync_wait *w = call->data;
  gcmon_client *c = call->owner;
  free(call);
  if (w) {
    w->done = true;
    w->err = reply->err;
    if (reply->err)
      c->status = reply->status;
  }
}

static int unsubscribe_call(gcmon_client *c, uint32_t id, gcmon__sync_wait *w,
                            unsigned timeout_ms) {
  gcmon__call *call;
  int err;

  call = gcmon__call_new(c, GCMON_CALL_UNSUBSCRIBE, timeout_ms, on_unsubscribed,
                         w);
  if (!call)
    return GCMON_ENOMEM;
  call->req.u.subscription = id;
  err = gcmon__conn_send(&c->conn, call);
  if (err != 0)
    free(call);
  else
    gcmon__arm_deadlines(c);
  return err;
}

static void send_unsubscribe(gcmon_client *c, uint32_t id) {
  if (c->state == GCMON_STATE_READY)
    (void)unsubscribe_call(c, id, NULL, 0);
}

void gcmon_unsubscribe_async(gcmon_subscription *s) {
  gcmon_client *c;
  if (!s || s->closed)
    return;
  c = s->client;
  s->closed = true;
  if (s->daemon_id && s->state == GCMON__SUB_ACTIVE)
    send_unsubscribe(c, s->daemon_id);
  gcmon__subs_sweep(c);
}

int gcmon_subscribe(gcmon_client *c, uint32_t interval_ms, uint64_t from_seq,
                    gcmon_event_cb cb, void *data, gcmon_subscription **out,
                    unsigned timeout_ms) {
  gcmon_subscribe_options o = {.interval_ms = interval_ms,
                               .from_seq = from_seq};
  return gcmon_subscribe_ex(c, &o, cb, data, out, timeout_ms);
}

int gcmon_subscribe_ex(gcmon_client *c, const gcmon_subscribe_options *o,
                       gcmon_event_cb cb, void *data, gcmon_subscription **out,
                       unsigned timeout_ms) {
  gcmon__sync_wait w = {false, 0};
  gcmon_subscription *s;
  int err = gcmon__check_sync(c);

  if (out)
    *out = NULL;
  if (err == 0)
    err = gcmon_subscribe_ex_async(c, o, cb, data, &s);
  if (err != 0)
    return err;
  s->wait = &w;
  err = gcmon__wait(c, &w.done, timeout_ms ? timeout_ms : c->timeout_ms);
  if (err == 0)
    err = w.err;
  if (err != 0) {
    s->wait = NULL;
    gcmon_unsubscribe_async(s);
    return err;
  }
  if (out)
    *out = s;
  return 0;
}

int gcmon_unsubscribe(gcmon_subscription *s, unsigned timeout_ms) {
  gcmon__sync_wait w = {false, 0};
  gcmon_client *c;
  int err;

  if (!s)
    return GCMON_EINVAL;
  c = s->client;
  err = gcmon__check_sync(c);
  if (err != 0)
    return err;
  if (s->closed)
    return GCMON_EINVAL;
  s->closed = true;
  if (!(s->daemon_id && s->state == GCMON__SUB_ACTIVE &&
        c->state == GCMON_STATE_READY)) {
    gcmon__subs_sweep(c);
    return 0; /* nothing on the daemon to end */
  }
  /* The call completes by its own deadline, so w outlives it. */
  err = unsubscribe_call(c, s->daemon_id, &w, timeout_ms);
  gcmon__subs_sweep(c);
  if (err == 0)
    err = gcmon__wait(c, &w.done, 0);
  return err == 0 ? w.err : err;
}

gcmon_client *gcmon_subscription_client(const gcmon_subscription *s) {
  return s->client;
}

uint64_t gcmon_subscription_last_seq(const gcmon_subscription *s) {
  return s->last_seq;
}
