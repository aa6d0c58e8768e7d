/* The agent core's protocol 1.1 stream paths, in process (agent_driver.h):
 * a compact subscription's batches decode (with the shared decoder) to the
 * very samples a v1 subscription receives, with no allocation after init;
 * and on a rate-limited link (a UART at 9600 baud) no live event is handed
 * out later than max_lag after its sample was taken. */
#include "agent_driver.h"
#include "alloc_count.h"
#include "gcmon_compact.h"
#include "gcmon_test.h"

#include <pb_encode.h>
#include <stdio.h>

static gcmon_v1_Packet pkts[4096];

static gcmon_v1_Request call_of(pb_size_t tag) {
  gcmon_v1_Request r = gcmon_v1_Request_init_zero;
  r.which_call = tag;
  return r;
}

typedef struct {
  uint8_t bytes[64][gcmon_v1_Sample_size];
  size_t len[64];
  uint64_t first; /* seq of bytes[0] */
  size_t n;
  uint64_t matched;
} expected;

static void hello_compact(peer *p) {
  gcmon_v1_Request req = call_of(gcmon_v1_Request_hello_tag);
  gcmon_v1_Response r;
  req.call.hello.version = 1;
  req.call.hello.minor = 1;
  req.call.hello.has_compact = true;
  req.call.hello.compact.max_latency_ms = 50;
  peer_call(p, &req, &r);
  ASSERT_TRUE(r.result.hello.has_compact);
  ASSERT_EQ(50, r.result.hello.compact.max_latency_ms);
}

static void check_sample(void *ctx, const gcmon_sample *s) {
  expected *e = ctx;
  uint8_t got[gcmon_v1_Sample_size];
  size_t n = gcmon__codec_encode_sample(s, got, sizeof got);
  size_t i;
  ASSERT_TRUE(s->seq >= e->first && s->seq - e->first < e->n);
  i = (size_t)(s->seq - e->first);
  ASSERT_EQ(e->len[i], n);
  ASSERT_EQ(0, memcmp(e->bytes[i], got, n));
  e->matched++;
}

TEST(compact_batches_decode_to_the_v1_samples_without_allocating) {
  static expected e;
  gcmon_agent_config cfg;
  gcmon_compact_decoder dec;
  gcmon_v1_Request req;
  gcmon_v1_Response r;
  driver d;
  peer v1, cp;
  unsigned long before;

  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&v1, &d, true));
  ASSERT_EQ(0, peer_open(&cp, &d, true));
  peer_hello(&v1, NULL);
  hello_compact(&cp);
  gcmon_compact_decoder_init(&dec);
  before = gcmon_test_allocations();
  for (int round = 0; round < 5; round++) {
    req = call_of(gcmon_v1_Request_subscribe_tag);
    peer_call(&v1, &req, &r);
    e.first = r.result.subscribed.first_seq;
    req = call_of(gcmon_v1_Request_subscribe_tag);
    req.call.subscribe.from_seq = e.first;
    peer_call(&cp, &req, &r);
    gcmon_compact_decoder_init(&dec); /* a new stream */
    e.n = 0;
    for (int t = 0; t < 60; t++) {
      size_t n;
      driver_tick(&d, 10);
      n = peer_drain(&v1, pkts, 64, 0);
      for (size_t i = 0; i < n && e.n < 64; i++) {
        const gcmon_v1_Event *ev = &pkts[i].kind.event;
        pb_ostream_t os = pb_ostream_from_buffer(e.bytes[e.n],
                                                 sizeof e.bytes[e.n]);
        if (pkts[i].which_kind != gcmon_v1_Packet_event_tag)
          continue;
        ASSERT_TRUE(pb_encode(&os, gcmon_v1_Sample_fields, &ev->body.sample));
        e.len[e.n++] = os.bytes_written;
      }
      n = peer_drain(&cp, pkts, 64, 0);
      for (size_t i = 0; i < n; i++) {
        const gcmon_v1_SampleBatch *b = &pkts[i].kind.event.body.batch;
        if (pkts[i].which_kind != gcmon_v1_Packet_event_tag)
          continue;
        ASSERT_EQ(gcmon_v1_Event_batch_tag, pkts[i].kind.event.which_body);
        ASSERT_EQ((int)b->count,
                  gcmon_compact_decode(&dec, b->first_seq, b->count,
                                       b->data.bytes, b->data.size,
                                       check_sample, &e));
      }
    }
    req = call_of(gcmon_v1_Request_unsubscribe_tag);
    req.call.unsubscribe.subscription = (uint32_t)round + 1;
    peer_call(&v1, &req, &r);
    peer_call(&cp, &req, &r);
  }
  ASSERT_EQ(0, gcmon_test_allocations() - before);
  ASSERT_TRUE(e.matched > 5 * 50);
  peer_close(&v1);
  peer_close(&cp);
  driver_close(&d);
}

/* 9600 baud carries 960 bytes a second: about 9 full sample events. The
 * sampler takes 100. Drained at line speed, every event handed out is at
 * most max_lag (plus the one event on the wire) behind its sample, and the
 * rest are skipped and counted. */
TEST(a_slow_link_never_hands_out_an_event_later_than_max_lag) {
  gcmon_agent_config cfg;
  gcmon_v1_Request req;
  gcmon_v1_Response r;
  driver d;
  peer p;
  uint64_t worst = 0, events = 0;

  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.max_lag_ms = 500;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open_link(&p, &d, 960));
  peer_hello(&p, NULL);
  req = call_of(gcmon_v1_Request_subscribe_tag);
  peer_call(&p, &req, &r);
  for (int t = 0; t < 1000; t++) { /* 10 s */
    size_t n;
    driver_tick(&d, 10);
    n = peer_drain(&p, pkts, 64, 10); /* 9.6 bytes per 10 ms */
    for (size_t i = 0; i < n; i++) {
      const gcmon_v1_Sample *s = &pkts[i].kind.event.body.sample;
      if (pkts[i].which_kind != gcmon_v1_Packet_event_tag)
        continue;
      if (d.now_us - s->uptime_us > worst)
        worst = d.now_us - s->uptime_us;
      events++;
    }
  }
  printf("  %lu events handed out in 10 s, worst lateness %lu ms, %lu "
         "skipped\n",
         (unsigned long)events, (unsigned long)(worst / 1000),
         (unsigned long)gcmon_agent_get_stats(d.agent)->events_dropped);
  ASSERT_TRUE(events > 50 && events < 120);
  /* max_lag, plus one ~110-byte event in transit at 960 bytes/s */
  ASSERT_TRUE(worst <= 500000u + 130000u);
  ASSERT_TRUE(gcmon_agent_get_stats(d.agent)->events_dropped > 800);
  peer_close(&p);
  driver_close(&d);
}

#define GCMON_TESTS(X)                                                         \
  X(compact_batches_decode_to_the_v1_samples_without_allocating)               \
  X(a_slow_link_never_hands_out_an_event_later_than_max_lag)
#include "gcmon_test_main.h"
