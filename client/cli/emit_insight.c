/* Memory insight (protocol 1.1) as writer records: alarm events in the
 * watch/record streams (event "alarm", with the sample that caused it),
 * watermarks on record's sample rows, collection rows (event
 * "collection"), and alarm rules for `gcmon alarm list`. Field names are
 * docs/protocol.md's. */
#include "cli.h"

void emit_alarm(writer *w, uint64_t run_id, const gcmon_alarm_event *e,
                int64_t wall_us) {
  w->ops->begin(w);
  w_str(w, "event", "alarm");
  w_id(w, "run_id", run_id);
  w_time(w, "time", wall_us);
  w_u64(w, "alarm", e->alarm);
  w_bool(w, "raised", e->raised);
  w_i64(w, "value", e->value);
  emit_sample_fields(w, &e->sample);
  w->ops->end(w);
}

void emit_watermarks(writer *w, const gcmon_watermarks *wm) {
  w->ops->group(w, "watermarks");
  for (int p = 0; p < GCMON_POOL_COUNT; p++) {
    const gcmon_pool_watermark *pw = &wm->pool[p];
    if (!pw->present)
      continue;
    w->ops->group(w, gcmon_pool_name((gcmon_pool)p));
    w_bytes(w, "min_free", pw->min_free, 0);
    w_bytes(w, "max_used", pw->max_used, 0);
    if (pw->min_largest_free >= 0)
      w_sbytes(w, "min_largest_free", pw->min_largest_free, 0);
    w->ops->group_end(w);
  }
  w->ops->group_end(w);
}

void emit_collection(writer *w, uint64_t run_id, const gcmon_collection *c,
                     int64_t wall_us) {
  w->ops->begin(w);
  w_str(w, "event", "collection");
  w_id(w, "run_id", run_id);
  w_time(w, "time", wall_us);
  w_u64(w, "seq", c->seq);
  w_u64(w, "number", c->number);
  w_str(w, "cause", gcmon_collection_cause_name(c->cause));
  w_uptime(w, "start_uptime_us", c->start_uptime_us);
  if (c->pause_us)
    w_duration(w, "pause_us", c->pause_us);
  if (c->alloc_before >= 0)
    w_sbytes(w, "alloc_before", c->alloc_before, 0);
  if (c->alloc_after >= 0)
    w_sbytes(w, "alloc_after", c->alloc_after, 0);
  if (c->freed_bytes >= 0)
    w_sbytes(w, "freed_bytes", c->freed_bytes, 0);
  if (c->largest_free_after >= 0)
    w_sbytes(w, "largest_free_after", c->largest_free_after, 0);
  w->ops->end(w);
}

void emit_alarm_rule(writer *w, const gcmon_alarm_rule *r) {
  w_u64(w, "id", r->id);
  w_str(w, "name", r->name);
  w_str(w, "pool", gcmon_pool_name(r->pool));
  w_str(w, "metric", gcmon_alarm_metric_name(r->metric));
  w_str(w, "compare", gcmon_alarm_compare_name(r->compare));
  w_i64(w, "level", r->level);
  w_i64(w, "hysteresis", r->hysteresis);
  w_u64(w, "hold_ms", r->hold_ms);
  w_str(w, "owner", r->owner);
}

void emit_alarm_state(writer *w, const gcmon_alarm_state *st) {
  w->ops->begin(w);
  emit_alarm_rule(w, &st->rule);
  w_bool(w, "active", st->active);
  w_u64(w, "since_seq", st->since_seq);
  w_i64(w, "value", st->value);
  w->ops->end(w);
}

int cli_subscribe_with_alarms(gcmon_client *c, uint32_t interval_ms,
                              gcmon_event_cb cb, void *data,
                              gcmon_subscription **out) {
  gcmon_subscribe_options o = {.interval_ms = interval_ms, .alarms = true};
  return gcmon_subscribe_ex_async(c, &o, cb, data, out);
}

int cli_subscribe_with_insight(gcmon_client *c, uint32_t interval_ms,
                               gcmon_event_cb cb, void *data,
                               gcmon_subscription **out) {
  gcmon_subscribe_options o = {.interval_ms = interval_ms,
                               .watermarks = true,
                               .collections = true,
                               .alarms = true};
  return gcmon_subscribe_ex_async(c, &o, cb, data, out);
}
