/* Alarms: up to GCMON_ALARMS_MAX rules on a pool's free, used, largest
 * free block or fragmentation, evaluated at every sampler tick, and the
 * bounded ring of raise/clear events they produce.
 *
 * A rule is raised once its metric has been past level (below it, or above
 * it) for hold_ms of device time, and cleared once the metric is back past
 * level by hysteresis: between the two nothing changes, so noise around the
 * level raises and clears nothing. Rules are daemon-wide: they outlive the
 * session that installed them. Everything is inline in the agent; nothing
 * allocates. Events are numbered from 1; readers keep a number as their
 * cursor, like collections.h. */
#ifndef GCMON_ALARMS_H
#define GCMON_ALARMS_H

#include "gcmon.pb.h"
#include "gcmon/error.h"
#include "gcmon/insight.h"

#define GCMON__ALARM_EVENT_RING 32u
#define GCMON__PPM              1000000

typedef struct {
  bool in_use;
  gcmon_alarm_rule rule;
  bool active;
  bool holding;          /* past level, waiting for hold_ms */
  uint64_t holding_from; /* uptime_us the hold began */
  uint64_t since_seq;    /* last raise or clear */
  int64_t value;         /* metric then */
} gcmon__alarm;

typedef struct {
  uint32_t alarm;
  bool raised;
  int64_t value;
  gcmon_sample sample;
} gcmon__alarm_event;

typedef struct gcmon__alarms {
  gcmon__alarm rules[GCMON_ALARMS_MAX];
  uint32_t next_id;
  gcmon__alarm_event ring[GCMON__ALARM_EVENT_RING];
  uint64_t next_event; /* number of the next event (from 1) */
} gcmon__alarms;

void gcmon__alarms_init(gcmon__alarms *a);

/* Check a rule as a client sent it against the last series sample (NULL
 * before the first): 0, GCMON_EINVALARG (bad enum, negative hysteresis,
 * fragmentation level past 1e6 ppm) or GCMON_EUNAVAIL (the pool or metric
 * is not provided). why gets one line. */
int gcmon__alarms_check(const gcmon_alarm_rule *r, const gcmon_sample *last,
                        char *why, size_t len);

/* Install a checked rule; *installed gets it with id set. GCMON_ELIMIT
 * when all slots are taken. */
int gcmon__alarms_add(gcmon__alarms *a, const gcmon_alarm_rule *r,
                      gcmon_alarm_rule *installed);

/* 0, or GCMON_EINVALARG when no rule has this id. */
int gcmon__alarms_remove(gcmon__alarms *a, uint32_t id);

/* Evaluate every rule on one series sample; raise/clear events go to the
 * ring. O(rules). */
void gcmon__alarms_tick(gcmon__alarms *a, const gcmon_sample *s);

/* The metric a rule watches, from one sample; false when unknown. */
bool gcmon__alarm_metric(const gcmon_alarm_rule *r, const gcmon_sample *s,
                         int64_t *value);

uint64_t gcmon__alarms_oldest_event(const gcmon__alarms *a);
const gcmon__alarm_event *gcmon__alarms_event(const gcmon__alarms *a,
                                              uint64_t number);

void gcmon__alarm_rule_to_pb(const gcmon_alarm_rule *r,
                             gcmon_v1_AlarmRule *out);
void gcmon__alarm_rule_from_pb(const gcmon_v1_AlarmRule *in,
                               gcmon_alarm_rule *out);
void gcmon__alarms_list_to_pb(const gcmon__alarms *a, gcmon_v1_AlarmList *out);

#endif
