/* Memory-insight messages <-> the plain structs of gcmon/insight.h (see
 * codec_insight.h). Daemon input is untrusted: enums outside the schema
 * are refused, strings bounded and cleaned, records must ascend. */
#include "codec_insight.h"

#include <string.h>

static void rule_to_pb(const gcmon_alarm_rule *r, Gcmon__V1__AlarmRule *out) {
  out->pool = (Gcmon__V1__AlarmRule__Pool)r->pool;
  out->metric = (Gcmon__V1__AlarmRule__Metric)r->metric;
  out->compare = (Gcmon__V1__AlarmRule__Compare)r->compare;
  out->level = r->level;
  out->hysteresis = r->hysteresis;
  out->hold_ms = r->hold_ms;
  out->name = (char *)(uintptr_t)r->name;
}

int gcmon__encode_insight_request(const gcmon__wire_request *r,
                                  Gcmon__V1__Request *req,
                                  gcmon__insight_request *st) {
  switch (r->call) {
  case GCMON_CALL_GET_WATERMARKS:
    gcmon__v1__get_watermarks_request__init(&st->wm);
    st->wm.reset = r->u.reset_watermarks;
    req->call_case = GCMON__V1__REQUEST__CALL_GET_WATERMARKS;
    req->get_watermarks = &st->wm;
    return 0;
  case GCMON_CALL_GET_COLLECTIONS:
    gcmon__v1__get_collections_request__init(&st->coll);
    st->coll.from_number = r->u.collections.from_number;
    st->coll.max_count = r->u.collections.max_count;
    req->call_case = GCMON__V1__REQUEST__CALL_GET_COLLECTIONS;
    req->get_collections = &st->coll;
    return 0;
  case GCMON_CALL_ADD_ALARM:
    if (strlen(r->u.alarm.name) > GCMON_ALARM_NAME_MAX ||
        (unsigned)r->u.alarm.pool >= GCMON_POOL_COUNT)
      return GCMON_EINVAL;
    gcmon__v1__add_alarm_request__init(&st->add);
    gcmon__v1__alarm_rule__init(&st->rule);
    rule_to_pb(&r->u.alarm, &st->rule);
    st->add.rule = &st->rule;
    req->call_case = GCMON__V1__REQUEST__CALL_ADD_ALARM;
    req->add_alarm = &st->add;
    return 0;
  case GCMON_CALL_REMOVE_ALARM:
    gcmon__v1__remove_alarm_request__init(&st->rm);
    st->rm.alarm = r->u.alarm_id;
    req->call_case = GCMON__V1__REQUEST__CALL_REMOVE_ALARM;
    req->remove_alarm = &st->rm;
    return 0;
  case GCMON_CALL_LIST_ALARMS:
    gcmon__v1__list_alarms_request__init(&st->list);
    req->call_case = GCMON__V1__REQUEST__CALL_LIST_ALARMS;
    req->list_alarms = &st->list;
    return 0;
  default:
    return GCMON_EINVAL;
  }
}

static void copy_pool(gcmon_pool_watermark *dst,
                      const Gcmon__V1__PoolWatermark *p) {
  memset(dst, 0, sizeof *dst);
  if (!p)
    return;
  dst->present = true;
  dst->min_free = p->min_free;
  dst->max_used = p->max_used;
  dst->min_largest_free = p->min_largest_free;
}

static void copy_watermarks(gcmon_watermarks *dst,
                            const Gcmon__V1__Watermarks *w) {
  memset(dst, 0, sizeof *dst);
  if (!w)
    return;
  dst->from_seq = w->from_seq;
  dst->to_seq = w->to_seq;
  copy_pool(&dst->pool[GCMON_POOL_GC], w->gc);
  copy_pool(&dst->pool[GCMON_POOL_SYS_HEAP], w->sys_heap);
  copy_pool(&dst->pool[GCMON_POOL_SYS_PAGE], w->sys_page);
  copy_pool(&dst->pool[GCMON_POOL_SYS_MMZ], w->sys_mmz);
}

static int copy_collection(gcmon_collection *dst,
                           const Gcmon__V1__CollectionRecord *c) {
  if (!c || (unsigned)c->cause > GCMON_COLLECTION_AUTOMATIC)
    return GCMON_EPARSE;
  dst->number = c->number;
  dst->cause = (gcmon_collection_cause)c->cause;
  dst->start_uptime_us = c->start_uptime_us;
  dst->pause_us = c->pause_us;
  dst->alloc_before = c->alloc_before;
  dst->alloc_after = c->alloc_after;
  dst->freed_bytes = c->freed_bytes;
  dst->largest_free_after = c->largest_free_after;
  dst->seq = c->seq;
  return 0;
}

static int copy_rule(gcmon_alarm_rule *dst, const Gcmon__V1__AlarmRule *r) {
  memset(dst, 0, sizeof *dst);
  if (!r || (unsigned)r->pool >= GCMON_POOL_COUNT ||
      (unsigned)r->metric > GCMON_ALARM_FRAGMENTATION ||
      (unsigned)r->compare > GCMON_ALARM_ABOVE)
    return GCMON_EPARSE;
  dst->id = r->id;
  dst->pool = (gcmon_pool)r->pool;
  dst->metric = (gcmon_alarm_metric)r->metric;
  dst->compare = (gcmon_alarm_compare)r->compare;
  dst->level = r->level;
  dst->hysteresis = r->hysteresis;
  dst->hold_ms = r->hold_ms;
  gcmon__copy_text(dst->name, sizeof dst->name, r->name);
  gcmon__copy_text(dst->owner, sizeof dst->owner, r->owner);
  return 0;
}

static int copy_collections(gcmon_collections *dst,
                            const Gcmon__V1__Collections *c) {
  uint64_t prev = 0;
  memset(dst, 0, sizeof *dst);
  dst->next_number = c->next_number;
  dst->oldest_number = c->oldest_number;
  for (size_t i = 0; i < c->n_records && dst->count < GCMON_COLLECTIONS_MAX;
       i++) {
    gcmon_collection *r = &dst->records[dst->count];
    if (copy_collection(r, c->records[i]) != 0 || r->number <= prev)
      return GCMON_EPARSE;
    prev = r->number;
    dst->count++;
  }
  if (dst->count > 0 && dst->next_number <= prev)
    dst->next_number = prev + 1;
  return 0;
}

static int copy_alarms(gcmon_alarm_list *dst, const Gcmon__V1__AlarmList *l) {
  memset(dst, 0, sizeof *dst);
  for (size_t i = 0; i < l->n_alarms && dst->count < GCMON_ALARMS_MAX; i++) {
    const Gcmon__V1__AlarmState *st = l->alarms[i];
    gcmon_alarm_state *d = &dst->alarms[dst->count++];
    if (!st || copy_rule(&d->rule, st->rule) != 0)
      return GCMON_EPARSE;
    d->active = st->active != 0;
    d->since_seq = st->since_seq;
    d->value = st->value;
  }
  return 0;
}

int gcmon__copy_insight_response(gcmon__incoming *in,
                                 const Gcmon__V1__Response *r) {
  switch (r->result_case) {
  case GCMON__V1__RESPONSE__RESULT_WATERMARKS:
    in->result = GCMON__RESULT_WATERMARKS;
    copy_watermarks(&in->u.watermarks.values, r->watermarks->values);
    in->u.watermarks.start_uptime_us = r->watermarks->start_uptime_us;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_COLLECTIONS:
    in->result = GCMON__RESULT_COLLECTIONS;
    return copy_collections(&in->u.collections, r->collections);
  case GCMON__V1__RESPONSE__RESULT_ALARM:
    in->result = GCMON__RESULT_ALARM;
    return copy_rule(&in->u.alarm, r->alarm);
  case GCMON__V1__RESPONSE__RESULT_ALARMS:
    in->result = GCMON__RESULT_ALARMS;
    return copy_alarms(&in->u.alarms, r->alarms);
  default:
    return GCMON_EPARSE;
  }
}

int gcmon__copy_insight_event(gcmon__incoming *in, const Gcmon__V1__Event *e) {
  if (e->watermarks) {
    in->has_watermarks = true;
    copy_watermarks(&in->watermarks, e->watermarks);
  }
  switch (e->body_case) {
  case GCMON__V1__EVENT__BODY_COLLECTION:
    in->has_collection = true;
    return copy_collection(&in->u.collection, e->collection);
  case GCMON__V1__EVENT__BODY_ALARM:
    if (!e->alarm)
      return GCMON_EPARSE;
    in->has_alarm = true;
    in->u.alarm_event.alarm = e->alarm->alarm;
    in->u.alarm_event.raised = e->alarm->raised != 0;
    in->u.alarm_event.value = e->alarm->value;
    if (e->alarm->sample)
      gcmon__copy_sample(&in->u.alarm_event.sample, e->alarm->sample);
    else
      memset(&in->u.alarm_event.sample, 0, sizeof in->u.alarm_event.sample);
    return 0;
  default:
    return 0;
  }
}
