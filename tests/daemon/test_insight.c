/* Memory insight in the agent core, in process: watermarks that catch every
 * one-tick spike a slower subscriber would miss, alarms that raise and
 * clear once per crossing however noisy the metric, rules that outlive
 * their session, collection records from every cause, and UNAVAILABLE
 * where a source has no gc heap.
 *
 * The source is scripted behind the real source ops seam: the test sets
 * what the next tick reads, so spikes and crossings land on known ticks. */
#include "agent_driver.h"
#include "alloc_count.h"
#include "gcmon_test.h"
#include "script_source.h"

#include <pb_encode.h>
#include <stdlib.h>

/* ---- requests ---------------------------------------------------------- */

static gcmon_v1_Packet pkts[4096];

static gcmon_v1_Request call_of(pb_size_t tag) {
  gcmon_v1_Request r = gcmon_v1_Request_init_zero;
  r.which_call = tag;
  return r;
}

static uint32_t subscribe(peer *p, uint32_t interval, bool wm, bool coll,
                          bool alarms) {
  gcmon_v1_Request r = call_of(gcmon_v1_Request_subscribe_tag);
  gcmon_v1_Response resp;
  r.call.subscribe.interval_ms = interval;
  r.call.subscribe.watermarks = wm;
  r.call.subscribe.collections = coll;
  r.call.subscribe.alarms = alarms;
  peer_call(p, &r, &resp);
  ASSERT_EQ(gcmon_v1_Response_subscribed_tag, resp.which_result);
  return resp.result.subscribed.subscription;
}

static gcmon_v1_AlarmRule gc_free_below(int64_t level, int64_t hysteresis,
                                        uint32_t hold_ms) {
  gcmon_v1_AlarmRule r = gcmon_v1_AlarmRule_init_zero;
  r.pool = gcmon_v1_AlarmRule_Pool_GC;
  r.metric = gcmon_v1_AlarmRule_Metric_FREE;
  r.compare = gcmon_v1_AlarmRule_Compare_BELOW;
  r.level = level;
  r.hysteresis = hysteresis;
  r.hold_ms = hold_ms;
  snprintf(r.name, sizeof r.name, "low gc");
  return r;
}

static gcmon_v1_Response add_alarm(peer *p, gcmon_v1_AlarmRule rule) {
  gcmon_v1_Request r = call_of(gcmon_v1_Request_add_alarm_tag);
  gcmon_v1_Response resp;
  r.call.add_alarm.has_rule = true;
  r.call.add_alarm.rule = rule;
  peer_call(p, &r, &resp);
  return resp;
}

static void hello_as(peer *p, const char *client) {
  gcmon_v1_Request req = call_of(gcmon_v1_Request_hello_tag);
  gcmon_v1_Response resp;
  req.call.hello.version = 1;
  snprintf(req.call.hello.client, sizeof req.call.hello.client, "%s", client);
  peer_call(p, &req, &resp);
  ASSERT_EQ(gcmon_v1_Response_hello_tag, resp.which_result);
}

/* Deterministic spread of the spikes over the ticks of a window. */
static uint32_t lcg(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

/* ---- tests ------------------------------------------------------------- */

TEST(every_one_tick_spike_shows_in_a_one_second_subscribers_watermarks) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  script *src = script_new(true);
  const int spikes = 1000, ticks_per_window = 100; /* 1 s at 10 ms */
  int seen = 0, events = 0, sampled_saw = 0;
  uint32_t rng = 15;
  int64_t base = 3 * MIB;

  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init_source(&d, &cfg, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  subscribe(&p, 1000, true, false, false);
  driver_tick(&d, 10); /* seq 1: the stream's first event */
  peer_drain(&p, pkts, 4096, 0);

  for (int w = 0; w < spikes; w++) {
    /* A window of the stream covers seqs 100w+2 .. 100w+101 and its event
     * carries seq 100w+101; the spike lands anywhere in it but there. */
    int at = (int)(lcg(&rng) % (uint32_t)(ticks_per_window - 1));
    int64_t depth = 64 * KIB + (int64_t)(lcg(&rng) % (192 * KIB));
    for (int t = 0; t < ticks_per_window; t++) {
      script_set_gc_free(src, t == at ? base - depth
                                      : base - (int64_t)(t % 7) * 512);
      src->next.sys_mmz.used = 64 * MIB + (t == at ? (uint64_t)depth : 0);
      src->next.sys_mmz.free = 256 * MIB - src->next.sys_mmz.used;
      driver_tick(&d, 10);
    }
    size_t n = peer_drain(&p, pkts, 4096, 0);
    for (size_t i = 0; i < n; i++) {
      const gcmon_v1_Event *e = &pkts[i].kind.event;
      if (pkts[i].which_kind != gcmon_v1_Packet_event_tag)
        continue;
      events++;
      ASSERT_TRUE(e->has_watermarks && e->watermarks.has_gc &&
                  e->watermarks.has_sys_mmz);
      ASSERT_EQ_U64(e->body.sample.seq, e->watermarks.to_seq);
      ASSERT_EQ_U64(e->body.sample.seq - 99, e->watermarks.from_seq);
      if (e->watermarks.gc.min_free == (uint64_t)(base - depth) &&
          e->watermarks.sys_mmz.max_used == 64 * MIB + (uint64_t)depth)
        seen++;
      if (e->body.sample.gc.mem_free <= base - 64 * KIB)
        sampled_saw++;
    }
  }
  ASSERT_EQ(spikes, events);
  ASSERT_EQ(spikes, seen);   /* 100 %: every spike, at its exact depth */
  ASSERT_EQ(0, sampled_saw); /* which the 1 s samples alone never show */
  peer_close(&p);
  driver_close(&d);
}

TEST(a_window_longer_than_the_history_still_covers_every_tick) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  script *src = script_new(true);
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.history_capacity = 16; /* a 1 s window spans 100 ticks */
  driver_init_source(&d, &cfg, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  subscribe(&p, 1000, true, false, false);
  driver_tick(&d, 10); /* seq 1: the stream's first event */
  peer_drain(&p, pkts, 4096, 0);
  for (int t = 0; t < 100; t++) {
    script_set_gc_free(src,
                       t == 3 ? 1 * MIB : 3 * MIB); /* long gone at delivery */
    driver_tick(&d, 10);
  }
  size_t n = peer_drain(&p, pkts, 4096, 0);
  ASSERT_EQ(1, n);
  ASSERT_EQ_U64(1 * MIB, pkts[0].kind.event.watermarks.gc.min_free);
  ASSERT_EQ_U64(2, pkts[0].kind.event.watermarks.from_seq);
  ASSERT_EQ_U64(101, pkts[0].kind.event.watermarks.to_seq);
  peer_close(&p);
  driver_close(&d);
}

TEST(get_watermarks_reset_needs_control_and_returns_the_closed_window) {
  driver d;
  peer ro, ctl;
  script *src = script_new(true);
  gcmon_v1_Request r = call_of(gcmon_v1_Request_get_watermarks_tag);
  gcmon_v1_Response resp;
  driver_init_source(&d, NULL, &src->base);
  ASSERT_EQ(0, peer_open(&ro, &d, false));
  ASSERT_EQ(0, peer_open(&ctl, &d, true));
  peer_hello(&ro, NULL);
  peer_hello(&ctl, NULL);
  script_set_gc_free(src, 1 * MIB);
  driver_tick(&d, 1000);
  script_set_gc_free(src, 3 * MIB);
  driver_tick(&d, 1000);

  peer_call(&ro, &r, &resp); /* reading needs no control */
  ASSERT_EQ(gcmon_v1_Response_watermarks_tag, resp.which_result);
  ASSERT_EQ_U64(1 * MIB, resp.result.watermarks.values.gc.min_free);
  ASSERT_EQ_U64(2, resp.result.watermarks.values.to_seq);
  r.id = 0;
  r.call.get_watermarks.reset = true;
  peer_call(&ro, &r, &resp);
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, resp.status.code);
  r.id = 0;
  peer_call(&ctl, &r, &resp);
  ASSERT_EQ_U64(1 * MIB, resp.result.watermarks.values.gc.min_free);
  driver_tick(&d, 1000);
  r.id = 0;
  r.call.get_watermarks.reset = false;
  peer_call(&ro, &r, &resp); /* the new window: only the tick since */
  ASSERT_EQ_U64(3 * MIB, resp.result.watermarks.values.gc.min_free);
  ASSERT_EQ_U64(3, resp.result.watermarks.values.from_seq);
  ASSERT_EQ_U64(3000000, resp.result.watermarks.start_uptime_us);
  peer_close(&ro);
  peer_close(&ctl);
  driver_close(&d);
}

/* Alarm events from a drain, in order. */
static size_t alarm_events(size_t n, gcmon_v1_AlarmEvent *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (pkts[i].which_kind == gcmon_v1_Packet_event_tag &&
        pkts[i].kind.event.which_body == gcmon_v1_Event_alarm_tag && k < cap)
      out[k++] = pkts[i].kind.event.body.alarm;
  return k;
}

TEST(alarms_raise_and_clear_once_per_crossing_under_noise) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  script *src = script_new(true);
  const int64_t level = 1 * MIB, hyst = 96 * KIB, noise = 64 * KIB;
  gcmon_v1_AlarmEvent ev[64];
  uint64_t crossing[8];
  int ncross = 0;
  uint32_t rng = 7;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init_source(&d, &cfg, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  ASSERT_EQ(gcmon_v1_Response_alarm_tag,
            add_alarm(&p, gc_free_below(level, hyst, 0)).which_result);
  subscribe(&p, 0, false, false, true);

  /* Three dips: the metric wanders +-noise around level - 40 KiB (across
   * the level on most ticks), with quiet stretches well above between. */
  for (int phase = 0; phase < 7; phase++) {
    bool crossed = false;
    for (int t = 0; t < 200; t++) {
      int64_t centre = phase % 2 ? level - 40 * KIB : level + 400 * KIB;
      int64_t v = centre + (int64_t)(lcg(&rng) % (2 * noise)) - noise;
      script_set_gc_free(src, v);
      driver_tick(&d, 10);
      if (phase % 2 && !crossed && v < level) {
        crossed = true; /* the seq of the tick that crossed */
        crossing[ncross++] = gcmon_agent_get_stats(d.agent)->samples;
      }
    }
  }
  size_t k = alarm_events(peer_drain(&p, pkts, 4096, 0), ev, 64);
  ASSERT_EQ(3, ncross);
  ASSERT_EQ(6, k); /* raise, clear, three times: no flapping */
  for (int i = 0; i < 3; i++) {
    ASSERT_TRUE(ev[2 * i].raised);
    ASSERT_TRUE(!ev[2 * i + 1].raised);
    /* raised at the very tick it first went below: within one tick */
    ASSERT_EQ_U64(crossing[i], ev[2 * i].sample.seq);
    ASSERT_TRUE(ev[2 * i].value < level);
    ASSERT_TRUE(ev[2 * i + 1].value >= level + hyst);
  }
  peer_close(&p);
  driver_close(&d);
}

TEST(an_alarm_with_a_hold_time_raises_only_once_held_that_long) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  script *src = script_new(true);
  gcmon_v1_AlarmEvent ev[8];
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init_source(&d, &cfg, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  add_alarm(&p, gc_free_below(1 * MIB, 0, 50));
  subscribe(&p, 0, false, false, true);
  script_set_gc_free(src, 2 * MIB);
  driver_tick(&d, 10); /* seq 1 */
  script_set_gc_free(src, 512 * KIB);
  for (int t = 0; t < 3; t++)
    driver_tick(&d, 10); /* 30 ms below: too short */
  script_set_gc_free(src, 2 * MIB);
  driver_tick(&d, 10);
  ASSERT_EQ(0, alarm_events(peer_drain(&p, pkts, 4096, 0), ev, 8));
  script_set_gc_free(src, 512 * KIB);
  for (int t = 0; t < 10; t++)
    driver_tick(&d, 10); /* seq 6..15; below since seq 6 (+50 ms = seq 11) */
  ASSERT_EQ(1, alarm_events(peer_drain(&p, pkts, 4096, 0), ev, 8));
  ASSERT_TRUE(ev[0].raised);
  ASSERT_EQ_U64(11, ev[0].sample.seq);
  peer_close(&p);
  driver_close(&d);
}

TEST(alarm_rules_outlive_their_session_and_are_listed_with_their_owner) {
  driver d;
  peer a, b;
  script *src = script_new(true);
  gcmon_v1_Request list = call_of(gcmon_v1_Request_list_alarms_tag);
  gcmon_v1_Request rm = call_of(gcmon_v1_Request_remove_alarm_tag);
  gcmon_v1_Response resp;
  gcmon_v1_AlarmEvent ev[8];
  driver_init_source(&d, NULL, &src->base);
  ASSERT_EQ(0, peer_open(&a, &d, false));
  hello_as(&a, "ci-rig");
  resp = add_alarm(&a, gc_free_below(1 * MIB, 0, 0));
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, resp.status.code);
  peer_close(&a);

  ASSERT_EQ(0, peer_open(&a, &d, true));
  hello_as(&a, "ci-rig");
  resp = add_alarm(&a, gc_free_below(1 * MIB, 0, 0));
  ASSERT_EQ(gcmon_v1_Response_alarm_tag, resp.which_result);
  ASSERT_EQ(1, resp.result.alarm.id);
  ASSERT_STREQ("ci-rig@test", resp.result.alarm.owner);
  peer_close(&a); /* the client goes away; its rule stays */

  ASSERT_EQ(0, peer_open(&b, &d, false));
  peer_hello(&b, NULL);
  peer_call(&b, &list, &resp);
  ASSERT_EQ(1, resp.result.alarms.alarms_count);
  ASSERT_STREQ("low gc", resp.result.alarms.alarms[0].rule.name);
  ASSERT_STREQ("ci-rig@test", resp.result.alarms.alarms[0].rule.owner);
  ASSERT_TRUE(!resp.result.alarms.alarms[0].active);
  subscribe(&b, 0, false, false, true);
  script_set_gc_free(src, 512 * KIB);
  driver_tick(&d, 1000);
  ASSERT_EQ(1, alarm_events(peer_drain(&b, pkts, 4096, 0), ev, 8));
  list.id = 0;
  peer_call(&b, &list, &resp);
  ASSERT_TRUE(resp.result.alarms.alarms[0].active);
  ASSERT_EQ_U64(1, resp.result.alarms.alarms[0].since_seq);
  rm.call.remove_alarm.alarm = 1;
  peer_call(&b, &rm, &resp); /* removing is control */
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, resp.status.code);
  peer_close(&b);
  driver_close(&d);
}

TEST(alarm_rules_are_bounded_and_checked) {
  driver d;
  peer p;
  script *src = script_new(true);
  gcmon_v1_AlarmRule bad;
  driver_init_source(&d, NULL, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  driver_tick(&d, 1000);
  for (int i = 0; i < GCMON_ALARMS_MAX; i++)
    ASSERT_EQ(gcmon_v1_Response_alarm_tag,
              add_alarm(&p, gc_free_below(MIB, 0, 0)).which_result);
  ASSERT_EQ(gcmon_v1_Status_Code_RESOURCE_EXHAUSTED,
            add_alarm(&p, gc_free_below(MIB, 0, 0)).status.code);
  bad = gc_free_below(MIB, -1, 0);
  ASSERT_EQ(gcmon_v1_Status_Code_INVALID_ARGUMENT,
            add_alarm(&p, bad).status.code);
  bad = gc_free_below(500000, 0, 0);
  bad.pool = gcmon_v1_AlarmRule_Pool_SYS_MMZ;
  bad.metric = gcmon_v1_AlarmRule_Metric_FRAGMENTATION;
  ASSERT_EQ(gcmon_v1_Status_Code_UNAVAILABLE, add_alarm(&p, bad).status.code);
  peer_close(&p);
  driver_close(&d);
}

/* Collection events from a drain, in order. */
static size_t collection_events(size_t n, gcmon_v1_CollectionRecord *out,
                                size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (pkts[i].which_kind == gcmon_v1_Packet_event_tag &&
        pkts[i].kind.event.which_body == gcmon_v1_Event_collection_tag &&
        k < cap)
      out[k++] = pkts[i].kind.event.body.collection;
  return k;
}

TEST(collections_of_every_cause_are_recorded_streamed_and_readable) {
  driver d;
  peer p, watcher;
  script *src = script_new(true);
  gcmon_v1_Request collect = call_of(gcmon_v1_Request_collect_tag);
  gcmon_v1_Request get = call_of(gcmon_v1_Request_get_collections_tag);
  gcmon_v1_Response resp;
  gcmon_v1_CollectionRecord rec[16];
  driver_init_source(&d, NULL, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  ASSERT_EQ(0, peer_open(&watcher, &d, false));
  peer_hello(&p, NULL);
  peer_hello(&watcher, NULL);
  driver_tick(&d, 1000); /* seq 1: the counter's baseline */
  subscribe(&watcher, 0, false, true, false);

  /* The program's gc.collect(), as the source reports it ... */
  src->pending[src->n_pending++] =
      (gcmon_source_collection){.cause = GCMON_COLLECTION_PROGRAM,
                                .start_us = 1500000,
                                .pause_us = 2100,
                                .alloc_before = 1 * MIB,
                                .alloc_after = 768 * KIB,
                                .largest_free_after = 3 * MIB};
  /* ... and two more the counter shows that nobody explained */
  src->next.gc.collections += 3;
  driver_tick(&d, 1000); /* seq 2 */
  src->collect_frees = 100 * KIB;
  peer_call(&p, &collect, &resp);
  ASSERT_EQ(gcmon_v1_Response_collect_tag, resp.which_result);
  driver_tick(&d, 1000); /* seq 3: the counter's jump is ours */
  size_t n = collection_events(peer_drain(&watcher, pkts, 4096, 0), rec, 16);

  ASSERT_EQ(4, n);
  ASSERT_EQ(gcmon_v1_CollectionRecord_Cause_PROGRAM, rec[0].cause);
  ASSERT_EQ_U64(2100, rec[0].pause_us);
  ASSERT_EQ(256 * KIB, rec[0].freed_bytes);
  ASSERT_EQ(gcmon_v1_CollectionRecord_Cause_AUTOMATIC, rec[1].cause);
  ASSERT_EQ(gcmon_v1_CollectionRecord_Cause_AUTOMATIC, rec[2].cause);
  ASSERT_EQ_U64(2, rec[2].seq);
  ASSERT_EQ(gcmon_v1_CollectionRecord_Cause_REMOTE, rec[3].cause);
  ASSERT_EQ_U64(1800, rec[3].pause_us);
  ASSERT_EQ(100 * KIB, rec[3].freed_bytes);
  ASSERT_EQ(rec[3].alloc_before - 100 * KIB, rec[3].alloc_after);
  ASSERT_EQ_U64(3, rec[3].seq);
  for (int i = 0; i < 4; i++)
    ASSERT_EQ_U64((uint64_t)i + 1, rec[i].number);

  get.call.get_collections.from_number = 2;
  get.call.get_collections.max_count = 2;
  peer_call(&watcher, &get, &resp);
  ASSERT_EQ(gcmon_v1_Response_collections_tag, resp.which_result);
  ASSERT_EQ(2, resp.result.collections.records_count);
  ASSERT_EQ_U64(2, resp.result.collections.records[0].number);
  ASSERT_EQ_U64(4, resp.result.collections.next_number);
  ASSERT_EQ_U64(1, resp.result.collections.oldest_number);
  peer_close(&p);
  peer_close(&watcher);
  driver_close(&d);
}

TEST(a_source_without_a_gc_heap_answers_unavailable) {
  driver d;
  peer p;
  script *src = script_new(false);
  gcmon_v1_Request get = call_of(gcmon_v1_Request_get_collections_tag);
  gcmon_v1_Request sub = call_of(gcmon_v1_Request_subscribe_tag);
  gcmon_v1_Request wm = call_of(gcmon_v1_Request_get_watermarks_tag);
  gcmon_v1_Response resp;
  driver_init_source(&d, NULL, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  driver_tick(&d, 1000);
  peer_call(&p, &get, &resp);
  ASSERT_EQ(gcmon_v1_Status_Code_UNAVAILABLE, resp.status.code);
  sub.call.subscribe.collections = true; /* granted; none will come */
  peer_call(&p, &sub, &resp);
  ASSERT_EQ(gcmon_v1_Response_subscribed_tag, resp.which_result);
  ASSERT_EQ(gcmon_v1_Status_Code_UNAVAILABLE,
            add_alarm(&p, gc_free_below(MIB, 0, 0)).status.code);
  peer_call(&p, &wm, &resp); /* the pools it has */
  ASSERT_TRUE(!resp.result.watermarks.values.has_gc);
  ASSERT_TRUE(resp.result.watermarks.values.has_sys_mmz);
  peer_close(&p);
  driver_close(&d);
}

TEST(alarm_and_record_events_are_the_bytes_nanopb_encodes) {
  script *src = script_new(true);
  gcmon_v1_Packet pkt = gcmon_v1_Packet_init_zero;
  uint8_t want[GCMON_MAX_PAYLOAD], body[GCMON_MAX_PAYLOAD],
      got[GCMON_MAX_PAYLOAD];
  pb_ostream_t os = pb_ostream_from_buffer(want, sizeof want);
  int64_t values[] = {0, -5, 123456789};
  for (int i = 0; i < 3; i++) {
    gcmon_v1_AlarmEvent *ae = &pkt.kind.event.body.alarm;
    size_t blen, n;
    src->next.seq = 77;
    src->next.uptime_us = 123456;
    pkt = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
    pkt.which_kind = gcmon_v1_Packet_event_tag;
    pkt.kind.event.subscription = (uint32_t)i + 1;
    pkt.kind.event.which_body = gcmon_v1_Event_alarm_tag;
    ae->alarm = (uint32_t)i;
    ae->raised = i == 1;
    ae->value = values[i];
    ae->has_sample = true;
    gcmon__codec_sample_to_pb(&src->next, &ae->sample);
    os = pb_ostream_from_buffer(want, sizeof want);
    ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &pkt));
    blen = gcmon__codec_encode_alarm_event((uint32_t)i, i == 1, values[i],
                                           &src->next, body, sizeof body);
    n = gcmon__codec_encode_event_body(
        (uint32_t)i + 1, gcmon_v1_Event_alarm_tag, body, blen, got, sizeof got);
    ASSERT_EQ(os.bytes_written, n);
    ASSERT_TRUE(memcmp(want, got, n) == 0);
  }
  free(src);
}

TEST(insight_allocates_nothing_after_init) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  script *src = script_new(true);
  uint64_t before;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.history_capacity = 32;
  driver_init_source(&d, &cfg, &src->base);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  add_alarm(&p, gc_free_below(2 * MIB, 64 * KIB, 0));
  subscribe(&p, 100, true, true, true);
  before = gcmon_test_allocations();
  for (int t = 0; t < 500; t++) {
    script_set_gc_free(src, t % 50 < 25 ? 1 * MIB : 3 * MIB);
    src->next.gc.collections += t % 10 == 0;
    driver_tick(&d, 10);
    peer_drain(&p, pkts, 4096, 0);
  }
  ASSERT_EQ_U64(before, gcmon_test_allocations());
  peer_close(&p);
  driver_close(&d);
}

#define GCMON_TESTS(X)                                                         \
  X(every_one_tick_spike_shows_in_a_one_second_subscribers_watermarks)         \
  X(a_window_longer_than_the_history_still_covers_every_tick)                  \
  X(get_watermarks_reset_needs_control_and_returns_the_closed_window)          \
  X(alarms_raise_and_clear_once_per_crossing_under_noise)                      \
  X(an_alarm_with_a_hold_time_raises_only_once_held_that_long)                 \
  X(alarm_rules_outlive_their_session_and_are_listed_with_their_owner)         \
  X(alarm_rules_are_bounded_and_checked)                                       \
  X(collections_of_every_cause_are_recorded_streamed_and_readable)             \
  X(a_source_without_a_gc_heap_answers_unavailable)                            \
  X(alarm_and_record_events_are_the_bytes_nanopb_encodes)                      \
  X(insight_allocates_nothing_after_init)
#include "gcmon_test_main.h"
