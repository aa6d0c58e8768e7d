/* Alarm rules and their events (see alarms.h). */
#include "alarms.h"
#include "numbered_ring.h"

#include <stdio.h>
#include <string.h>

void gcmon__alarms_init(gcmon__alarms *a) {
  memset(a, 0, sizeof *a);
  a->next_id = 1;
  a->next_event = 1;
}

static bool pool_of(const gcmon_sample *s, gcmon_pool pool, int64_t *free,
                    int64_t *used, int64_t *largest) {
  const gcmon_mem_info *m;
  switch (pool) {
  case GCMON_POOL_GC:
    if (!s->has_gc)
      return false;
    *free = s->gc.mem_free;
    *used = s->gc.mem_alloc;
    *largest = s->gc.largest_free;
    return true;
  case GCMON_POOL_SYS_HEAP:
    if (!s->has_sys_heap)
      return false;
    m = &s->sys_heap;
    break;
  case GCMON_POOL_SYS_PAGE:
    if (!s->has_sys_page)
      return false;
    m = &s->sys_page;
    break;
  case GCMON_POOL_SYS_MMZ:
    if (!s->has_sys_mmz)
      return false;
    m = &s->sys_mmz;
    break;
  default:
    return false;
  }
  *free = (int64_t)m->free;
  *used = (int64_t)m->used;
  *largest = -1; /* the system pools do not report it */
  return true;
}

bool gcmon__alarm_metric(const gcmon_alarm_rule *r, const gcmon_sample *s,
                         int64_t *value) {
  int64_t free, used, largest;
  if (!pool_of(s, r->pool, &free, &used, &largest))
    return false;
  switch (r->metric) {
  case GCMON_ALARM_FREE:
    *value = free;
    return free >= 0;
  case GCMON_ALARM_USED:
    *value = used;
    return used >= 0;
  case GCMON_ALARM_LARGEST_FREE:
    *value = largest;
    return largest >= 0;
  case GCMON_ALARM_FRAGMENTATION:
    if (largest < 0 || free < 0)
      return false;
    /* 1 - largest/free in ppm; an empty pool is not fragmented. */
    *value = free == 0 || largest >= free
                 ? 0
                 : GCMON__PPM - (int64_t)((uint64_t)largest * GCMON__PPM /
                                          (uint64_t)free);
    return true;
  }
  return false;
}

int gcmon__alarms_check(const gcmon_alarm_rule *r, const gcmon_sample *last,
                        char *why, size_t len) {
  int64_t v;
  if ((unsigned)r->pool >= GCMON_POOL_COUNT ||
      (unsigned)r->metric > GCMON_ALARM_FRAGMENTATION ||
      (unsigned)r->compare > GCMON_ALARM_ABOVE) {
    snprintf(why, len, "unknown pool, metric or comparison");
    return GCMON_EINVALARG;
  }
  if (r->hysteresis < 0 || r->level < 0) {
    snprintf(why, len, "level and hysteresis must not be negative");
    return GCMON_EINVALARG;
  }
  if (r->metric == GCMON_ALARM_FRAGMENTATION && r->level > GCMON__PPM) {
    snprintf(why, len, "fragmentation level is in ppm (at most 1000000)");
    return GCMON_EINVALARG;
  }
  if (r->pool != GCMON_POOL_GC && (r->metric == GCMON_ALARM_LARGEST_FREE ||
                                   r->metric == GCMON_ALARM_FRAGMENTATION)) {
    snprintf(why, len, "%s: no largest free block is known for %s",
             gcmon_alarm_metric_name(r->metric), gcmon_pool_name(r->pool));
    return GCMON_EUNAVAIL;
  }
  if (last && !gcmon__alarm_metric(r, last, &v)) {
    snprintf(why, len, "%s of %s is not provided by this source",
             gcmon_alarm_metric_name(r->metric), gcmon_pool_name(r->pool));
    return GCMON_EUNAVAIL;
  }
  return 0;
}

int gcmon__alarms_add(gcmon__alarms *a, const gcmon_alarm_rule *r,
                      gcmon_alarm_rule *installed) {
  for (unsigned i = 0; i < GCMON_ALARMS_MAX; i++) {
    gcmon__alarm *slot = &a->rules[i];
    if (slot->in_use)
      continue;
    memset(slot, 0, sizeof *slot);
    slot->in_use = true;
    slot->rule = *r;
    slot->rule.id = a->next_id++;
    *installed = slot->rule;
    return 0;
  }
  return GCMON_ELIMIT;
}

int gcmon__alarms_remove(gcmon__alarms *a, uint32_t id) {
  for (unsigned i = 0; i < GCMON_ALARMS_MAX; i++) {
    if (a->rules[i].in_use && a->rules[i].rule.id == id) {
      a->rules[i].in_use = false;
      return 0;
    }
  }
  return GCMON_EINVALARG;
}

static void push_event(gcmon__alarms *a, gcmon__alarm *al, bool raised,
                       int64_t value, const gcmon_sample *s) {
  gcmon__alarm_event *e = &a->ring[a->next_event++ % GCMON__ALARM_EVENT_RING];
  e->alarm = al->rule.id;
  e->raised = raised;
  e->value = value;
  e->sample = *s;
  al->active = raised;
  al->holding = false;
  al->since_seq = s->seq;
  al->value = value;
}

/* Past level: the condition that raises. Back: far enough the other way to
 * clear (level +- hysteresis); in between, the state holds. */
static void evaluate(gcmon__alarms *a, gcmon__alarm *al,
                     const gcmon_sample *s) {
  const gcmon_alarm_rule *r = &al->rule;
  int64_t v;
  bool past, back;

  if (!gcmon__alarm_metric(r, s, &v))
    return;
  if (r->compare == GCMON_ALARM_BELOW) {
    past = v < r->level;
    back = v >= r->level + r->hysteresis;
  } else {
    past = v > r->level;
    back = v <= r->level - r->hysteresis;
  }
  if (al->active) {
    if (back)
      push_event(a, al, false, v, s);
    return;
  }
  if (!past) {
    al->holding = false;
    return;
  }
  if (!al->holding) {
    al->holding = true;
    al->holding_from = s->uptime_us;
  }
  if (s->uptime_us - al->holding_from >= (uint64_t)r->hold_ms * 1000u)
    push_event(a, al, true, v, s);
}

void gcmon__alarms_tick(gcmon__alarms *a, const gcmon_sample *s) {
  for (unsigned i = 0; i < GCMON_ALARMS_MAX; i++)
    if (a->rules[i].in_use)
      evaluate(a, &a->rules[i], s);
}

uint64_t gcmon__alarms_oldest_event(const gcmon__alarms *a) {
  return gcmon__ring_oldest(a->next_event, GCMON__ALARM_EVENT_RING);
}

const gcmon__alarm_event *gcmon__alarms_event(const gcmon__alarms *a,
                                              uint64_t number) {
  return gcmon__ring_has(a->next_event, GCMON__ALARM_EVENT_RING, number)
             ? &a->ring[number % GCMON__ALARM_EVENT_RING]
             : NULL;
}

void gcmon__alarm_rule_to_pb(const gcmon_alarm_rule *r,
                             gcmon_v1_AlarmRule *out) {
  *out = (gcmon_v1_AlarmRule)gcmon_v1_AlarmRule_init_zero;
  out->id = r->id;
  out->pool = (gcmon_v1_AlarmRule_Pool)r->pool;
  out->metric = (gcmon_v1_AlarmRule_Metric)r->metric;
  out->compare = (gcmon_v1_AlarmRule_Compare)r->compare;
  out->level = r->level;
  out->hysteresis = r->hysteresis;
  out->hold_ms = r->hold_ms;
  snprintf(out->name, sizeof out->name, "%s", r->name);
  snprintf(out->owner, sizeof out->owner, "%s", r->owner);
}

void gcmon__alarm_rule_from_pb(const gcmon_v1_AlarmRule *in,
                               gcmon_alarm_rule *out) {
  memset(out, 0, sizeof *out);
  out->id = in->id;
  out->pool = (gcmon_pool)in->pool;
  out->metric = (gcmon_alarm_metric)in->metric;
  out->compare = (gcmon_alarm_compare)in->compare;
  out->level = in->level;
  out->hysteresis = in->hysteresis;
  out->hold_ms = in->hold_ms;
  snprintf(out->name, sizeof out->name, "%s", in->name);
  snprintf(out->owner, sizeof out->owner, "%s", in->owner);
}

void gcmon__alarms_list_to_pb(const gcmon__alarms *a, gcmon_v1_AlarmList *out) {
  *out = (gcmon_v1_AlarmList)gcmon_v1_AlarmList_init_zero;
  for (unsigned i = 0; i < GCMON_ALARMS_MAX; i++) {
    const gcmon__alarm *al = &a->rules[i];
    gcmon_v1_AlarmState *st;
    if (!al->in_use)
      continue;
    st = &out->alarms[out->alarms_count++];
    st->has_rule = true;
    gcmon__alarm_rule_to_pb(&al->rule, &st->rule);
    st->active = al->active;
    st->since_seq = al->since_seq;
    st->value = al->value;
  }
}
