/* The agent core in process: backpressure, ordering, lag bounds, replay,
 * limits, permissions, malformed input, and that nothing allocates after
 * start-up. No sockets: bytes go through memory (agent_driver.h). */
#include "agent_driver.h"
#include "alloc_count.h"
#include "gcmon_test.h"

#include <pb_decode.h>
#include <pb_encode.h>
#include <stdlib.h>

static gcmon_v1_Packet pkts[4096];

static gcmon_v1_Request call_of(pb_size_t tag) {
  gcmon_v1_Request r = gcmon_v1_Request_init_zero;
  r.which_call = tag;
  return r;
}

static gcmon_v1_Request subscribe(uint32_t interval, uint64_t from) {
  gcmon_v1_Request r = call_of(gcmon_v1_Request_subscribe_tag);
  r.call.subscribe.interval_ms = interval;
  r.call.subscribe.from_seq = from;
  return r;
}

/* Collect event seqs from packets; returns how many. */
static size_t event_seqs(const gcmon_v1_Packet *p, size_t n, uint64_t *seqs,
                         size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (p[i].which_kind == gcmon_v1_Packet_event_tag && k < cap)
      seqs[k++] = p[i].kind.event.body.sample.seq;
  return k;
}

TEST(feed_stops_when_output_is_full_and_every_response_arrives_in_order) {
  driver d;
  peer p;
  static uint8_t blob[300 * 32];
  size_t len = 0, consumed = 0, got = 0;
  uint32_t want_id = 2;
  driver_init(&d, NULL);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  for (uint32_t id = 2; id < 302; id++) { /* 300 pipelined get_sample */
    gcmon_v1_Packet pkt = gcmon_v1_Packet_init_zero;
    uint8_t payload[64];
    pb_ostream_t os = pb_ostream_from_buffer(payload, sizeof payload);
    pkt.which_kind = gcmon_v1_Packet_request_tag;
    pkt.kind.request = call_of(gcmon_v1_Request_get_sample_tag);
    pkt.kind.request.id = id;
    ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &pkt));
    len += gcmon_frame_encode(payload, os.bytes_written, blob + len,
                              sizeof blob - len);
  }
  consumed = peer_feed(&p, blob, len);
  ASSERT_TRUE(consumed < len); /* backpressure, not loss */
  while (consumed < len || got < 300) {
    size_t n = peer_drain(&p, pkts, 4096, 0);
    for (size_t i = 0; i < n; i++) {
      ASSERT_EQ(gcmon_v1_Packet_response_tag, pkts[i].which_kind);
      ASSERT_EQ(want_id++, pkts[i].kind.response.id);
      got++;
    }
    consumed += peer_feed(&p, blob + consumed, len - consumed);
  }
  ASSERT_EQ(300, got);
  peer_close(&p);
  driver_close(&d);
}

TEST(live_subscription_lag_is_bounded_and_the_loss_is_a_seq_gap) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  uint64_t seqs[512];
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.queue_events = 8;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  gcmon_v1_Request req = subscribe(0, 0);
  peer_call(&p, &req, &r);
  ASSERT_EQ(1, r.result.subscribed.first_seq);
  for (int i = 0; i < 100; i++)
    driver_tick(&d, 10); /* the client reads nothing meanwhile */
  size_t n = event_seqs(pkts, peer_drain(&p, pkts, 4096, 0), seqs, 512);
  ASSERT_EQ(8, n); /* only the newest 8 were kept */
  ASSERT_EQ_U64(93, seqs[0]);
  ASSERT_EQ_U64(100, seqs[7]);
  ASSERT_EQ_U64(92, gcmon_agent_get_stats(d.agent)->events_dropped);
  driver_tick(&d, 10);
  n = event_seqs(pkts, peer_drain(&p, pkts, 4096, 0), seqs, 512);
  ASSERT_EQ(1, n);
  ASSERT_EQ_U64(101, seqs[0]);
  peer_close(&p);
  driver_close(&d);
}

TEST(replay_from_seq_continues_live_with_no_gap_and_no_duplicate) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r = gcmon_v1_Response_init_zero;
  uint64_t seqs[512];
  size_t total = 0;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.history_capacity = 300;
  cfg.queue_events = 4;
  driver_init(&d, &cfg);
  for (int i = 0; i < 250; i++)
    driver_tick(&d, 10);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  gcmon_v1_Request req = subscribe(10, 5);
  peer_send(&p, &req);
  /* drain in small writes while new samples keep arriving */
  for (int round = 0; round < 400 && total < 300; round++) {
    if (round % 3 == 0)
      driver_tick(&d, 10);
    size_t n = peer_drain(&p, pkts, 4096, 700);
    for (size_t i = 0; i < n; i++)
      if (pkts[i].which_kind == gcmon_v1_Packet_response_tag)
        r = pkts[i].kind.response;
    total += event_seqs(pkts, n, seqs + total, 512 - total);
  }
  ASSERT_EQ(5, r.result.subscribed.first_seq);
  ASSERT_TRUE(total >= 300);
  for (size_t i = 0; i < total; i++)
    ASSERT_EQ_U64(5 + i, seqs[i]);
  peer_close(&p);
  driver_close(&d);
}

TEST(subscription_every_kth_sample_at_a_coarser_interval) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  uint64_t seqs[64];
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init(&d, &cfg);
  driver_tick(&d, 10);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  gcmon_v1_Request req = subscribe(25, 0); /* rounds up to 30 ms */
  peer_call(&p, &req, &r);
  ASSERT_EQ(30, r.result.subscribed.interval_ms);
  ASSERT_EQ(2, r.result.subscribed.first_seq);
  for (int i = 0; i < 10; i++)
    driver_tick(&d, 10);
  size_t n = event_seqs(pkts, peer_drain(&p, pkts, 4096, 0), seqs, 64);
  ASSERT_EQ(4, n);
  ASSERT_EQ_U64(2, seqs[0]);
  ASSERT_EQ_U64(5, seqs[1]);
  ASSERT_EQ_U64(11, seqs[3]);
  peer_close(&p);
  driver_close(&d);
}

TEST(a_session_that_never_drains_does_not_hold_back_another) {
  gcmon_agent_config cfg;
  driver d;
  peer slow, fast;
  gcmon_v1_Response r;
  uint64_t seqs[1024];
  size_t total = 0;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&slow, &d, true));
  ASSERT_EQ(0, peer_open(&fast, &d, true));
  peer_hello(&slow, NULL);
  peer_hello(&fast, NULL);
  gcmon_v1_Request req = subscribe(0, 0);
  peer_call(&slow, &req, &r);
  req = subscribe(0, 0);
  peer_call(&fast, &req, &r);
  for (int i = 0; i < 500; i++) {
    driver_tick(&d, 10);
    total += event_seqs(pkts, peer_drain(&fast, pkts, 4096, 0), seqs + total,
                        1024 - total);
  }
  ASSERT_EQ(500, total);
  for (size_t i = 0; i < total; i++)
    ASSERT_EQ_U64(1 + i, seqs[i]);
  ASSERT_TRUE(slow.wakes > 0);
  peer_close(&slow);
  peer_close(&fast);
  driver_close(&d);
}

TEST(nothing_allocates_after_init_per_sample_request_or_session) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init(&d, &cfg);
  unsigned long before = gcmon_test_allocations();
  for (int round = 0; round < 20; round++) {
    ASSERT_EQ(0, peer_open(&p, &d, true));
    peer_hello(&p, NULL);
    gcmon_v1_Request req = subscribe(0, 1);
    peer_call(&p, &req, &r);
    static const pb_size_t calls[] = {
        gcmon_v1_Request_get_sample_tag, gcmon_v1_Request_collect_tag,
        gcmon_v1_Request_set_enabled_tag, gcmon_v1_Request_set_threshold_tag,
        gcmon_v1_Request_get_history_tag};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
      req = call_of(calls[i]);
      req.call.set_enabled.enabled = true;
      peer_call(&p, &req, &r);
      ASSERT_EQ(0, r.status.code);
    }
    for (int i = 0; i < 50; i++) {
      driver_tick(&d, 10);
      peer_drain(&p, pkts, 4096, 0);
    }
    peer_close(&p);
  }
  ASSERT_EQ(0, gcmon_test_allocations() - before);
  driver_close(&d);
}

/* Events are built from a sample encoded once and wrapped per event, and
 * responses carrying a sample from two shallower encodings; what goes out
 * must be exactly what nanopb gives for the whole Packet, for live and
 * replayed subscriptions interleaved, subscription ids and seqs past one
 * varint byte, and get_sample, set_threshold and set_enabled answers. */
TEST(every_event_and_sample_answer_is_the_bytes_nanopb_encodes) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  gcmon_v1_Request req;
  static gcmon_v1_Packet got;
  uint8_t again[GCMON_MAX_PAYLOAD];
  size_t events = 0, answers = 0;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  driver_init(&d, &cfg);
  for (int i = 0; i < 20; i++)
    driver_tick(&d, 10);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  for (int i = 0; i < 130; i++) { /* use up ids 1..130 */
    req = subscribe(0, 0);
    peer_call(&p, &req, &r);
    req = call_of(gcmon_v1_Request_unsubscribe_tag);
    req.call.unsubscribe.subscription = r.result.subscribed.subscription;
    peer_call(&p, &req, &r);
  }
  /* Sent without draining, so every event is counted below. */
  req = subscribe(0, 0); /* live, id 131 */
  peer_send(&p, &req);
  req = subscribe(20, 5); /* replay, every second sample */
  peer_send(&p, &req);
  req = subscribe(0, 1); /* replay from the start */
  peer_send(&p, &req);
  for (int tick = 0; tick < 150; tick++) {
    static const pb_size_t calls[] = {gcmon_v1_Request_get_sample_tag,
                                      gcmon_v1_Request_set_threshold_tag,
                                      gcmon_v1_Request_set_enabled_tag};
    const uint8_t *data;
    size_t n;
    driver_tick(&d, 10);
    req = call_of(calls[tick % 3]);
    req.call.set_threshold.bytes = tick % 2 ? -1 : tick * 4096;
    req.call.set_enabled.enabled = tick % 2;
    peer_send(&p, &req);
    while ((n = gcmon_session_output(p.session, &data)) > 0) {
      for (size_t off = 0; off < n;) {
        size_t used;
        gcmon_frame_status st =
            gcmon_frame_decoder_feed(&p.dec, data + off, n - off, &used);
        pb_istream_t is;
        pb_ostream_t os = pb_ostream_from_buffer(again, sizeof again);
        off += used;
        if (st != GCMON_FRAME_READY)
          continue;
        is = pb_istream_from_buffer(p.dec.buf, p.dec.payload_len);
        got = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
        ASSERT_TRUE(pb_decode(&is, gcmon_v1_Packet_fields, &got));
        ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &got));
        ASSERT_EQ(os.bytes_written, p.dec.payload_len);
        ASSERT_EQ(0, memcmp(again, p.dec.buf, p.dec.payload_len));
        if (got.which_kind == gcmon_v1_Packet_event_tag) {
          ASSERT_TRUE(got.kind.event.subscription >= 131);
          events++;
        } else if (got.kind.response.which_result ==
                   gcmon_v1_Response_sample_tag) {
          answers++;
        }
      }
      gcmon_session_output_done(p.session, n);
    }
  }
  /* live 150, replay every 2nd of 5..170: 83, replay of 1..170: 170 */
  ASSERT_EQ(150 + 83 + 170, events);
  ASSERT_EQ(150, answers);
  peer_close(&p);
  driver_close(&d);
}

TEST(untrusted_peer_needs_the_token_to_control) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  static const uint8_t token[] = "k230-secret";
  gcmon_agent_config_defaults(&cfg);
  cfg.token = token;
  cfg.token_len = sizeof token - 1;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&p, &d, false));
  peer_hello(&p, "k230-secreT");
  gcmon_v1_Request req = call_of(gcmon_v1_Request_set_threshold_tag);
  req.call.set_threshold.bytes = 4096;
  peer_call(&p, &req, &r);
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, r.status.code);
  peer_hello(&p, "k230-secret");
  req = call_of(gcmon_v1_Request_set_threshold_tag);
  req.call.set_threshold.bytes = 4096;
  peer_call(&p, &req, &r);
  ASSERT_EQ(0, r.status.code);
  ASSERT_EQ(4096, r.result.sample.gc.threshold);
  peer_close(&p);
  driver_close(&d);
}

TEST(session_limit_refuses_with_an_id_zero_status) {
  gcmon_agent_config cfg;
  driver d;
  peer a, b;
  uint8_t frame[128];
  gcmon_frame_decoder dec;
  uint8_t buf[GCMON_FRAME_MAX];
  size_t used;
  gcmon_agent_config_defaults(&cfg);
  cfg.max_sessions = 1;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&a, &d, true));
  ASSERT_EQ(GCMON_ELIMIT, peer_open(&b, &d, true));
  size_t n = gcmon_agent_refusal(d.agent, frame, sizeof frame);
  gcmon_frame_decoder_init(&dec, buf, sizeof buf);
  ASSERT_EQ(GCMON_FRAME_READY, gcmon_frame_decoder_feed(&dec, frame, n, &used));
  gcmon_v1_Packet pkt = gcmon_v1_Packet_init_zero;
  pb_istream_t is = pb_istream_from_buffer(buf, dec.payload_len);
  ASSERT_TRUE(pb_decode(&is, gcmon_v1_Packet_fields, &pkt));
  ASSERT_EQ(0, pkt.kind.response.id);
  ASSERT_EQ(gcmon_v1_Status_Code_RESOURCE_EXHAUSTED,
            pkt.kind.response.status.code);
  peer_close(&a);
  ASSERT_EQ(0, peer_open(&b, &d, true)); /* the slot is free again */
  peer_close(&b);
  driver_close(&d);
}

TEST(malformed_request_is_counted_and_answered_when_its_id_is_readable) {
  driver d;
  peer p;
  uint8_t wire[64];
  driver_init(&d, NULL);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  /* Request{id=9, hello{client = 40 bytes}}: over the 32-byte bound */
  uint8_t payload[64] = {0x0A, 46, 0x08, 9, 0x12, 42, 0x12, 40};
  memset(payload + 8, 'x', 40);
  size_t n = gcmon_frame_encode(payload, 48, wire, sizeof wire);
  peer_feed(&p, wire, n);
  /* and one that is not a Packet at all */
  static const uint8_t junk[] = {0xFF, 0xFF, 0xFF};
  n = gcmon_frame_encode(junk, sizeof junk, wire, sizeof wire);
  peer_feed(&p, wire, n);
  size_t got = peer_drain(&p, pkts, 16, 0);
  ASSERT_EQ(1, got);
  ASSERT_EQ(9, pkts[0].kind.response.id);
  ASSERT_EQ(gcmon_v1_Status_Code_INVALID_ARGUMENT,
            pkts[0].kind.response.status.code);
  ASSERT_EQ(2, gcmon_session_link_stats(p.session)->drop_undecodable);
  peer_close(&p);
  driver_close(&d);
}

TEST(a_network_session_without_hello_is_closed_after_the_deadline) {
  driver d;
  peer silent, talker;
  driver_init(&d, NULL);
  ASSERT_EQ(0, peer_open(&silent, &d, false));
  ASSERT_EQ(0, peer_open(&talker, &d, true));
  peer_hello(&talker, NULL);
  driver_tick(&d, 9000);
  ASSERT_TRUE(!gcmon_session_should_close(silent.session));
  int wakes = silent.wakes;
  driver_tick(&d, 1500); /* 10.5 s after open */
  ASSERT_TRUE(gcmon_session_should_close(silent.session));
  ASSERT_TRUE(silent.wakes > wakes); /* the transport is told */
  ASSERT_TRUE(!gcmon_session_should_close(talker.session));
  peer_close(&silent);
  peer_close(&talker);
  driver_close(&d);
}

TEST(the_uart_keeps_a_slot_network_peers_cannot_take) {
  gcmon_agent_config cfg;
  driver d;
  peer net[3], uart;
  gcmon_session_config ucfg = {.trusted = true, .uart = true, .peer = "u"};
  gcmon_agent_config_defaults(&cfg);
  cfg.max_sessions = 3;
  cfg.reserve_uart_slot = true;
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&net[0], &d, false));
  ASSERT_EQ(0, peer_open(&net[1], &d, false));
  ASSERT_EQ(GCMON_ELIMIT, peer_open(&net[2], &d, false));
  ASSERT_EQ(0, gcmon_agent_open_session(d.agent, &ucfg, &uart.session));
  gcmon_session_close(uart.session);
  peer_close(&net[0]);
  peer_close(&net[1]);
  driver_close(&d);
}

TEST(with_one_session_the_uart_keeps_it_and_is_never_refused) {
  gcmon_agent_config cfg;
  driver d;
  peer net;
  gcmon_session *uart;
  gcmon_session_config ucfg = {.trusted = true, .uart = true, .peer = "u"};
  gcmon_agent_config_defaults(&cfg);
  cfg.max_sessions = 1;
  cfg.reserve_uart_slot = true;
  driver_init(&d, &cfg);
  /* The network cannot take the only slot, so the UART's reopen (every
   * second while unplugged) always finds it free. */
  ASSERT_EQ(GCMON_ELIMIT, peer_open(&net, &d, false));
  ASSERT_EQ(0, gcmon_agent_open_session(d.agent, &ucfg, &uart));
  gcmon_session_close(uart);
  ASSERT_EQ(0, gcmon_agent_open_session(d.agent, &ucfg, &uart));
  gcmon_session_close(uart);
  ASSERT_EQ(1, (long)gcmon_agent_get_stats(d.agent)->sessions_refused);
  driver_close(&d);
}

TEST(a_replay_slower_than_the_sampler_still_has_a_lag_bound) {
  gcmon_agent_config cfg;
  driver d;
  peer p;
  gcmon_v1_Response r;
  uint64_t seqs[512];
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.queue_events = 4;
  driver_init(&d, &cfg);
  for (int i = 0; i < 10; i++)
    driver_tick(&d, 10);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  peer_hello(&p, NULL);
  gcmon_v1_Request req = subscribe(0, 1); /* replay of 10 samples */
  peer_call(&p, &req, &r);                /* drains a first batch */
  for (int i = 0; i < 300; i++)
    driver_tick(&d, 10); /* the reader stalls while 300 more are taken */
  size_t n = event_seqs(pkts, peer_drain(&p, pkts, 4096, 0), seqs, 512);
  ASSERT_TRUE(n <= 10 + 4);        /* what it asked for, plus the queue */
  ASSERT_EQ_U64(310, seqs[n - 1]); /* and it is current again */
  peer_close(&p);
  driver_close(&d);
}

#define GCMON_TESTS(X)                                                         \
  X(feed_stops_when_output_is_full_and_every_response_arrives_in_order)        \
  X(live_subscription_lag_is_bounded_and_the_loss_is_a_seq_gap)                \
  X(replay_from_seq_continues_live_with_no_gap_and_no_duplicate)               \
  X(subscription_every_kth_sample_at_a_coarser_interval)                       \
  X(a_session_that_never_drains_does_not_hold_back_another)                    \
  X(nothing_allocates_after_init_per_sample_request_or_session)                \
  X(every_event_and_sample_answer_is_the_bytes_nanopb_encodes)                 \
  X(untrusted_peer_needs_the_token_to_control)                                 \
  X(session_limit_refuses_with_an_id_zero_status)                              \
  X(malformed_request_is_counted_and_answered_when_its_id_is_readable)         \
  X(a_network_session_without_hello_is_closed_after_the_deadline)              \
  X(the_uart_keeps_a_slot_network_peers_cannot_take)                           \
  X(with_one_session_the_uart_keeps_it_and_is_never_refused)                   \
  X(a_replay_slower_than_the_sampler_still_has_a_lag_bound)
#include "gcmon_test_main.h"
