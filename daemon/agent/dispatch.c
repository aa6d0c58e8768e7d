/* Request dispatch: one row per docs/protocol.md call, with the session rules
 * (hello first, control permission) checked from the row, not re-coded in
 * each handler. Handlers fill the Response's result; a handler's status is
 * set with gcmon__set_status and a failed call carries no result. */
#define _POSIX_C_SOURCE 200809L
#include "dispatch.h"
#include "compact.h"
#include "host.h"
#include "insight.h"
#include "insight_stream.h"
#include "session_auth.h"
#include "status.h"
#include "stream.h"

#include "gcmon_frame.h"

#include <pb_encode.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Map a source failure to a Status, naming the source. */
static void source_failed(gcmon_session *s, gcmon_v1_Response *resp, int err,
                          const char *what) {
  gcmon_source *src = s->agent->cfg.source;
  if (err == GCMON_EUNAVAIL)
    gcmon__set_status(resp, gcmon_v1_Status_Code_UNAVAILABLE,
                      "%s: not available on source '%s'", what, src->ops->name);
  else
    gcmon__set_status(resp, gcmon_v1_Status_Code_UNAVAILABLE, "%s: %s: %s",
                      what, src->ops->name,
                      src->error[0] ? src->error : gcmon_strerror(err));
}

static void call_hello(gcmon_session *s, const gcmon_v1_Request *req,
                       gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  const gcmon_v1_HelloRequest *h = &req->call.hello;
  gcmon_v1_HelloResponse *r = &resp->result.hello;

  if (h->version != GCMON_PROTOCOL_VERSION) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                      "protocol version %u not supported (this daemon "
                      "speaks %u)",
                      (unsigned)h->version, GCMON_PROTOCOL_VERSION);
    return;
  }
  gcmon__stream_reset(s); /* a hello starts the session afresh */
  s->hello_done = true;
  resp->which_result = gcmon_v1_Response_hello_tag;
  s->control = gcmon__auth_hello(s, h, resp);
  r->version = GCMON_PROTOCOL_VERSION;
  snprintf(s->client, sizeof s->client, "%s", h->client);
  snprintf(r->daemon, sizeof r->daemon, "%s", a->daemon_name);
  snprintf(r->source, sizeof r->source, "%s", a->cfg.source->ops->name);
  snprintf(r->device_id, sizeof r->device_id, "%s", a->cfg.source->device_id);
  r->run_id = a->cfg.run_id;
  r->max_payload = GCMON_MAX_PAYLOAD;
  r->history_capacity = a->cfg.history_capacity;
  r->min_interval_ms = a->cfg.interval_ms;
  r->control = s->control;
  r->max_subscriptions = a->cfg.max_subscriptions;
  r->max_sessions = a->cfg.max_sessions;
  gcmon__compact_hello(s, h, r);
  gcmon_agent_log(a, GCMON_LOG_INFO, "hello from %s (%s)%s", s->peer, h->client,
                  s->control ? ", control" : "");
}

/* Read the source now into dst (a Sample inside resp's result). False, with
 * resp's status set, when the source cannot be read. */
static bool read_into(gcmon_session *s, gcmon_v1_Response *resp,
                      gcmon_v1_Sample *dst) {
  gcmon_sample now;
  int err = gcmon__agent_read_now(s->agent, 0, &now);
  if (err) {
    source_failed(s, resp, err, "read");
    return false;
  }
  gcmon__codec_sample_to_pb(&now, dst);
  return true;
}

static void call_get_sample(gcmon_session *s, const gcmon_v1_Request *req,
                            gcmon_v1_Response *resp) {
  (void)req;
  if (read_into(s, resp, &resp->result.sample))
    resp->which_result = gcmon_v1_Response_sample_tag;
}

static void call_collect(gcmon_session *s, const gcmon_v1_Request *req,
                         gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  gcmon_source *src = a->cfg.source;
  gcmon_v1_CollectResult *r = &resp->result.collect;
  int64_t freed = 0;
  uint64_t duration = 0;
  uint64_t start = a->cfg.now_us(a->cfg.clock_data);
  int err;

  (void)req;
  if (!src->ops->collect) {
    source_failed(s, resp, GCMON_EUNAVAIL, "collect");
    return;
  }
  err = src->ops->collect(src, start, &freed, &duration);
  if (err) {
    source_failed(s, resp, err, "collect");
    return;
  }
  if (!read_into(s, resp, &r->after))
    return;
  gcmon__insight_remote_collect(a, start, freed, duration, &r->after);
  r->has_after = true;
  r->freed_bytes = freed;
  r->duration_us = duration;
  resp->which_result = gcmon_v1_Response_collect_tag;
  gcmon_agent_log(a, GCMON_LOG_INFO, "collect by %s: freed %ld bytes in %lu us",
                  s->peer, (long)freed, (unsigned long)duration);
}

static void call_set_threshold(gcmon_session *s, const gcmon_v1_Request *req,
                               gcmon_v1_Response *resp) {
  gcmon_source *src = s->agent->cfg.source;
  int64_t bytes = req->call.set_threshold.bytes;
  int err;
  if (!src->ops->set_threshold) {
    source_failed(s, resp, GCMON_EUNAVAIL, "threshold");
    return;
  }
  err = src->ops->set_threshold(src, bytes < 0 ? -1 : bytes);
  if (err) {
    source_failed(s, resp, err, "threshold");
    return;
  }
  call_get_sample(s, req, resp);
}

static void call_set_enabled(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp) {
  gcmon_source *src = s->agent->cfg.source;
  int err;
  if (!src->ops->set_enabled) {
    source_failed(s, resp, GCMON_EUNAVAIL, "enable/disable");
    return;
  }
  err = src->ops->set_enabled(src, req->call.set_enabled.enabled);
  if (err) {
    source_failed(s, resp, err, "enable/disable");
    return;
  }
  call_get_sample(s, req, resp);
}

static void call_subscribe(gcmon_session *s, const gcmon_v1_Request *req,
                           gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  const gcmon_v1_SubscribeRequest *sr = &req->call.subscribe;
  uint32_t min = a->cfg.interval_ms;
  uint64_t next = a->history.newest + 1;
  uint64_t oldest = gcmon__history_oldest(&a->history);
  uint32_t every;
  gcmon__subscription *slot = NULL;

  if (sr->interval_ms > GCMON_MAX_SUBSCRIPTION_INTERVAL_MS) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                      "interval_ms %lu above the maximum %lu",
                      (unsigned long)sr->interval_ms,
                      (unsigned long)GCMON_MAX_SUBSCRIPTION_INTERVAL_MS);
    return;
  }
  if (sr->from_seq > next) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                      "from_seq %lu is ahead of the series (next %lu); "
                      "check run_id",
                      (unsigned long)sr->from_seq, (unsigned long)next);
    return;
  }
  for (uint32_t i = 0; i < a->cfg.max_subscriptions && !slot; i++)
    if (!s->subs[i].id)
      slot = &s->subs[i];
  if (!slot) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_RESOURCE_EXHAUSTED,
                      "subscription limit %u reached",
                      (unsigned)a->cfg.max_subscriptions);
    return;
  }
  if (s->next_sub_id == UINT32_MAX) { /* ids are never reused in a session */
    gcmon__set_status(resp, gcmon_v1_Status_Code_RESOURCE_EXHAUSTED,
                      "subscription ids used up in this session");
    return;
  }
  every = sr->interval_ms <= min ? 1 : (sr->interval_ms + min - 1) / min;
  slot->id = s->next_sub_id++;
  slot->every = every;
  if (sr->from_seq == 0) {
    slot->next_seq = next;
    slot->catching_up = false;
    slot->replay_events = 0;
  } else {
    slot->next_seq = sr->from_seq < oldest ? oldest : sr->from_seq;
    if (slot->next_seq == 0) /* nothing sampled yet */
      slot->next_seq = 1;
    slot->catching_up = slot->next_seq < next;
    slot->replay_events = (next - slot->next_seq + every - 1) / every;
  }
  gcmon__compact_subscribed(s, slot, sr);
  gcmon__insight_subscribe(s, slot, sr);
  resp->which_result = gcmon_v1_Response_subscribed_tag;
  resp->result.subscribed.subscription = slot->id;
  resp->result.subscribed.interval_ms = every * min;
  resp->result.subscribed.first_seq = slot->next_seq;
}

static void call_unsubscribe(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp) {
  uint32_t id = req->call.unsubscribe.subscription;
  for (uint32_t i = 0; id && i < s->agent->cfg.max_subscriptions; i++) {
    if (s->subs[i].id == id) {
      s->subs[i] = (gcmon__subscription){0};
      return;
    }
  }
  gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                    "no subscription %lu in this session", (unsigned long)id);
}

static bool history_fits(const gcmon_v1_Response *resp) {
  gcmon_v1_Packet p = gcmon_v1_Packet_init_zero;
  size_t size = 0;
  p.which_kind = gcmon_v1_Packet_response_tag;
  p.kind.response = *resp;
  return pb_get_encoded_size(&size, gcmon_v1_Packet_fields, &p) &&
         size <= GCMON_MAX_PAYLOAD;
}

static void call_get_history(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp) {
  const gcmon__history *h = &s->agent->history;
  const gcmon_v1_GetHistoryRequest *hr = &req->call.get_history;
  gcmon_v1_History *r = &resp->result.history;
  uint64_t oldest = gcmon__history_oldest(h);
  uint64_t seq = hr->from_seq > oldest ? hr->from_seq : oldest;
  uint32_t max =
      hr->max_count == 0 || hr->max_count > GCMON_HISTORY_PER_RESPONSE
          ? GCMON_HISTORY_PER_RESPONSE
          : hr->max_count;
  const gcmon_sample *sample;

  resp->which_result = gcmon_v1_Response_history_tag;
  r->oldest_seq = oldest;
  if (seq == 0)
    seq = 1;
  if (hr->compact && s->compact) {
    r->next_seq = gcmon__compact_history(s, seq, hr->max_count, r);
    return;
  }
  /* Samples go in while the whole Packet still fits one frame: nanopb's
   * worst case for four samples no longer does since MemInfo.peak_used
   * (gcmon_pb_limits.h); real values always let four in. */
  while (r->samples_count < max && (sample = gcmon__history_get(h, seq))) {
    gcmon__codec_sample_to_pb(sample, &r->samples[r->samples_count++]);
    if (r->samples_count > 1 && !history_fits(resp)) {
      r->samples_count--;
      break;
    }
    seq++;
  }
  r->next_seq = seq;
}

typedef void (*call_fn)(gcmon_session *s, const gcmon_v1_Request *req,
                        gcmon_v1_Response *resp);

typedef struct {
  pb_size_t tag;
  const char *name;
  bool needs_control;
  call_fn fn;
} call_row;

static const call_row calls[] = {
    {gcmon_v1_Request_hello_tag, "hello", false, call_hello},
    {gcmon_v1_Request_get_sample_tag, "get_sample", false, call_get_sample},
    {gcmon_v1_Request_collect_tag, "collect", true, call_collect},
    {gcmon_v1_Request_set_threshold_tag, "set_threshold", true,
     call_set_threshold},
    {gcmon_v1_Request_set_enabled_tag, "set_enabled", true, call_set_enabled},
    {gcmon_v1_Request_subscribe_tag, "subscribe", false, call_subscribe},
    {gcmon_v1_Request_unsubscribe_tag, "unsubscribe", false, call_unsubscribe},
    {gcmon_v1_Request_get_history_tag, "get_history", false, call_get_history},
    {gcmon_v1_Request_keyframe_tag, "keyframe", false, gcmon__call_keyframe},
    {gcmon_v1_Request_auth_tag, "auth", false, gcmon__call_auth},
    {gcmon_v1_Request_get_watermarks_tag, "get_watermarks", false,
     gcmon__call_get_watermarks}, /* with reset: control (see below) */
    {gcmon_v1_Request_get_collections_tag, "get_collections", false,
     gcmon__call_get_collections},
    {gcmon_v1_Request_add_alarm_tag, "add_alarm", true, gcmon__call_add_alarm},
    {gcmon_v1_Request_remove_alarm_tag, "remove_alarm", true,
     gcmon__call_remove_alarm},
    {gcmon_v1_Request_list_alarms_tag, "list_alarms", false,
     gcmon__call_list_alarms},
};

void gcmon__dispatch_request(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp) {
  const call_row *row = NULL;

  resp->id = req->id;
  /* Every hello decides control afresh: one that fails (bad id, version,
   * token) leaves the session read-only, never with an earlier grant,
   * neither a token's nor a challenge-response key's. */
  if (req->which_call == gcmon_v1_Request_hello_tag) {
    s->control = false;
    gcmon__auth_reset(&s->auth);
  }
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    if (calls[i].tag == req->which_call)
      row = &calls[i];

  if (req->id == 0) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                      "request id must be non-zero");
  } else if (!row) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_UNIMPLEMENTED,
                      "unknown call (this daemon speaks protocol %u)",
                      GCMON_PROTOCOL_VERSION);
  } else if (!s->hello_done && row->tag != gcmon_v1_Request_hello_tag) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_FAILED_PRECONDITION,
                      "%s before hello: send hello first", row->name);
  } else if ((row->needs_control || gcmon__insight_needs_control(req) ||
              req->has_mac) &&
             !gcmon__may_control(s, req, row->name, resp)) {
    /* denied (a mac is checked on any call): resp says why */
  } else {
    row->fn(s, req, resp);
  }
}
