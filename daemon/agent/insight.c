/* Memory insight at the sampler tick and its calls (docs/protocol.md,
 * "Memory insight"): the daemon-wide watermark window, collection records
 * and alarm rules, kept inline in the agent (watermarks.h, collections.h,
 * alarms.h hold the data structures; this file joins them to the tick,
 * the source and the session). What subscriptions carry of it is in
 * insight_stream.c. Nothing here allocates. */
#define _POSIX_C_SOURCE 200809L
#include "insight.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

/* Source records taken per tick; more wait for the next tick. */
#define TAKE_PER_TICK 8u

void gcmon__insight_init(gcmon_agent *a) {
  gcmon__wm_clear(&a->wm_window);
  a->wm_window_start_us = a->cfg.now_us(a->cfg.clock_data);
  gcmon__coll_init(&a->collections);
  gcmon__alarms_init(&a->alarms);
}

void gcmon__insight_before_append(gcmon_agent *a) {
  const gcmon__history *h = &a->history;
  const gcmon_sample *gone;

  if (h->newest < h->capacity)
    return; /* the ring is not full: nothing leaves it */
  gone = gcmon__history_get(h, h->newest + 1 - h->capacity);
  for (uint32_t i = 0; gone && i < a->cfg.max_sessions; i++) {
    gcmon_session *s = &a->sessions[i];
    if (!s->in_use)
      continue;
    for (uint32_t j = 0; j < a->cfg.max_subscriptions; j++) {
      gcmon__subscription *sub = &s->subs[j];
      if (sub->id && sub->want_watermarks && gone->seq > sub->wm_prev)
        gcmon__wm_fold(&sub->wm_evicted, gone);
    }
  }
}

static void take_source_collections(gcmon_agent *a, const gcmon_sample *s) {
  gcmon_source *src = a->cfg.source;
  gcmon_source_collection got[TAKE_PER_TICK];
  size_t n;

  if (!src->ops->take_collections)
    return;
  n = src->ops->take_collections(src, got, TAKE_PER_TICK);
  for (size_t i = 0; i < n && i < TAKE_PER_TICK; i++) {
    gcmon_collection r = {
        .cause = got[i].cause,
        .start_uptime_us = got[i].start_us,
        .pause_us = got[i].pause_us,
        .alloc_before = got[i].alloc_before,
        .alloc_after = got[i].alloc_after,
        .freed_bytes = got[i].alloc_before >= 0 && got[i].alloc_after >= 0
                           ? got[i].alloc_before - got[i].alloc_after
                           : -1,
        .largest_free_after = got[i].largest_free_after,
        .seq = s->seq,
    };
    gcmon__coll_add(&a->collections, &r);
  }
}

void gcmon__insight_tick(gcmon_agent *a, const gcmon_sample *s) {
  gcmon__wm_fold(&a->wm_window, s);
  take_source_collections(a, s);
  gcmon__coll_tick(&a->collections, s, a->cfg.source->ops->unexplained_cause);
  gcmon__alarms_tick(&a->alarms, s);
}

void gcmon__insight_remote_collect(gcmon_agent *a, uint64_t start_us,
                                   int64_t freed, uint64_t duration_us,
                                   const gcmon_v1_Sample *after) {
  gcmon_collection r = {
      .cause = GCMON_COLLECTION_REMOTE,
      .start_uptime_us = start_us,
      .pause_us = duration_us,
      .alloc_before = -1,
      .alloc_after = -1,
      .freed_bytes = freed,
      .largest_free_after = -1,
      .seq = a->history.newest + 1, /* seen by the next tick */
  };
  if (after->has_gc) {
    r.alloc_after = after->gc.mem_alloc;
    r.alloc_before = after->gc.mem_alloc + freed;
    r.largest_free_after = after->gc.largest_free;
  }
  gcmon__coll_add(&a->collections, &r);
}

bool gcmon__insight_needs_control(const gcmon_v1_Request *req) {
  return req->which_call == gcmon_v1_Request_get_watermarks_tag &&
         req->call.get_watermarks.reset;
}

static bool source_sees_collections(const gcmon_source *src) {
  return src->ops->collect || src->ops->take_collections;
}

void gcmon__call_get_watermarks(gcmon_session *s, const gcmon_v1_Request *req,
                                gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  gcmon_v1_WatermarkWindow *r = &resp->result.watermarks;

  resp->which_result = gcmon_v1_Response_watermarks_tag;
  r->has_values = true;
  gcmon__wm_to_pb(&a->wm_window, &r->values);
  r->start_uptime_us = a->wm_window_start_us;
  if (req->call.get_watermarks.reset) {
    gcmon__wm_clear(&a->wm_window);
    a->wm_window_start_us = a->cfg.now_us(a->cfg.clock_data);
    gcmon_agent_log(a, GCMON_LOG_INFO, "watermarks reset by %s", s->peer);
  }
}

void gcmon__call_get_collections(gcmon_session *s, const gcmon_v1_Request *req,
                                 gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  const gcmon_v1_GetCollectionsRequest *cr = &req->call.get_collections;
  gcmon_v1_Collections *r = &resp->result.collections;
  uint64_t oldest = gcmon__coll_oldest(&a->collections);
  uint64_t n = cr->from_number > oldest ? cr->from_number : oldest;
  uint32_t max = cr->max_count == 0 || cr->max_count > GCMON_COLLECTIONS_MAX
                     ? GCMON_COLLECTIONS_MAX
                     : cr->max_count;
  const gcmon_collection *rec;

  if (!source_sees_collections(a->cfg.source)) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_UNAVAILABLE,
                      "collections: not available on source '%s'",
                      a->cfg.source->ops->name);
    return;
  }
  resp->which_result = gcmon_v1_Response_collections_tag;
  r->oldest_number = oldest;
  if (n == 0)
    n = 1;
  while (r->records_count < max &&
         (rec = gcmon__coll_get(&a->collections, n))) {
    gcmon__coll_to_pb(rec, &r->records[r->records_count++]);
    n++;
  }
  r->next_number = n;
}

void gcmon__call_add_alarm(gcmon_session *s, const gcmon_v1_Request *req,
                           gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  gcmon_alarm_rule rule, installed;
  char why[GCMON__STATUS_MESSAGE_MAX];
  int err;

  gcmon__alarm_rule_from_pb(&req->call.add_alarm.rule, &rule);
  rule.id = 0;
  snprintf(rule.owner, sizeof rule.owner, "%.16s@%.22s",
           s->client[0] ? s->client : "?", s->peer);
  err = gcmon__alarms_check(&rule,
                            gcmon__history_get(&a->history, a->history.newest),
                            why, sizeof why);
  if (!err)
    err = gcmon__alarms_add(&a->alarms, &rule, &installed);
  if (err == GCMON_ELIMIT)
    snprintf(why, sizeof why, "alarm limit %u reached", GCMON_ALARMS_MAX);
  if (err) {
    gcmon__set_status(resp, (gcmon_v1_Status_Code)gcmon_error_to_status(err),
                      "%s", why);
    return;
  }
  resp->which_result = gcmon_v1_Response_alarm_tag;
  gcmon__alarm_rule_to_pb(&installed, &resp->result.alarm);
  gcmon_agent_log(a, GCMON_LOG_INFO, "alarm %u '%s' added by %s",
                  (unsigned)installed.id, installed.name, installed.owner);
}

void gcmon__call_remove_alarm(gcmon_session *s, const gcmon_v1_Request *req,
                              gcmon_v1_Response *resp) {
  uint32_t id = req->call.remove_alarm.alarm;
  if (gcmon__alarms_remove(&s->agent->alarms, id) != 0) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_INVALID_ARGUMENT,
                      "no alarm %lu", (unsigned long)id);
    return;
  }
  gcmon_agent_log(s->agent, GCMON_LOG_INFO, "alarm %lu removed by %s",
                  (unsigned long)id, s->peer);
}

void gcmon__call_list_alarms(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp) {
  (void)req;
  resp->which_result = gcmon_v1_Response_alarms_tag;
  gcmon__alarms_list_to_pb(&s->agent->alarms, &resp->result.alarms);
}
