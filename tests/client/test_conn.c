/* The connection core with no I/O at all: scripted daemon bytes in,
 * completions and counters out. Covers matching answers to calls, the
 * session refusal, untrusted input (bad CRC, noise, non-Packets, over-long
 * strings, unordered history) and chunking independence. */
#include "conn.h"
#include "gcmon.pb-c.h"
#include "gcmon_test.h"

#include <stdlib.h>

typedef struct {
  uint8_t out[8192];
  size_t out_len;
  int refusals;
  gcmon_status refusal;
  int events;
  uint64_t event_seq;
  int done;
  gcmon_reply last;
  int errs[8];
} fixture;

static int f_write(void *ctx, const uint8_t *b, size_t n) {
  fixture *x = ctx;
  if (x->out_len + n > sizeof x->out)
    return GCMON_ENOSPC;
  memcpy(x->out + x->out_len, b, n);
  x->out_len += n;
  return 0;
}

static void f_event(void *ctx, uint32_t sub, const gcmon_sample *s) {
  fixture *x = ctx;
  (void)sub;
  x->events++;
  x->event_seq = s->seq;
}

static void f_refusal(void *ctx, const gcmon_status *st) {
  fixture *x = ctx;
  x->refusals++;
  x->refusal = *st;
}

static const gcmon__conn_ops ops = {f_write, f_event, f_refusal, NULL};

static void on_done(gcmon__call *call, gcmon_reply *r) {
  fixture *x = call->data;
  if (x->done < 8)
    x->errs[x->done] = r->err;
  x->done++;
  x->last = *r;
  free(call);
}

static gcmon__call *call_new(fixture *x, gcmon_call kind) {
  gcmon__call *c = calloc(1, sizeof *c);
  c->req.call = kind;
  c->done = on_done;
  c->data = x;
  return c;
}

/* Frame a Response the way a daemon would. */
static size_t frame_response(Gcmon__V1__Response *r, uint8_t *wire) {
  Gcmon__V1__Packet p = GCMON__V1__PACKET__INIT;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  size_t n;
  p.kind_case = GCMON__V1__PACKET__KIND_RESPONSE;
  p.response = r;
  n = gcmon__v1__packet__pack(&p, payload);
  return gcmon_frame_encode(payload, n, wire, GCMON_FRAME_WIRE_MAX);
}

static void feed_status(gcmon__conn *c, uint32_t id, int code,
                        const char *msg) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Status st = GCMON__V1__STATUS__INIT;
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  st.code = (Gcmon__V1__Status__Code)code;
  st.message = (char *)(uintptr_t)msg;
  r.id = id;
  r.status = &st;
  gcmon__conn_feed(c, wire, frame_response(&r, wire));
}

static void feed_sample(gcmon__conn *c, uint32_t id, uint64_t seq) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Sample s = GCMON__V1__SAMPLE__INIT;
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  s.seq = seq;
  s.uptime_us = 77;
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_SAMPLE;
  r.sample = &s;
  gcmon__conn_feed(c, wire, frame_response(&r, wire));
}

static uint32_t send_call(gcmon__conn *c, fixture *x, gcmon_call kind) {
  gcmon__call *call = call_new(x, kind);
  ASSERT_EQ(0, gcmon__conn_send(c, call));
  return call->req.id;
}

TEST(each_call_goes_out_as_one_frame_with_a_fresh_nonzero_id) {
  fixture x = {0};
  gcmon__conn c;
  gcmon_frame_decoder d;
  uint8_t buf[GCMON_FRAME_MAX];
  uint32_t ids[3];
  int frames = 0;

  gcmon__conn_init(&c, &ops, &x, 0xFFFFFFFFu); /* wraps past 0 */
  for (int i = 0; i < 3; i++)
    ids[i] = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  ASSERT_EQ_U64(0xFFFFFFFFu, ids[0]);
  ASSERT_EQ(1, ids[1]);
  ASSERT_EQ(2, ids[2]);
  gcmon_frame_decoder_init(&d, buf, sizeof buf);
  for (size_t i = 0; i < x.out_len; i++)
    if (gcmon_frame_decoder_push(&d, x.out[i]) == GCMON_FRAME_READY) {
      Gcmon__V1__Packet *p =
          gcmon__v1__packet__unpack(NULL, d.payload_len, d.buf);
      ASSERT_TRUE(p && p->kind_case == GCMON__V1__PACKET__KIND_REQUEST);
      ASSERT_EQ(ids[frames], p->request->id);
      ASSERT_EQ(GCMON__V1__REQUEST__CALL_GET_SAMPLE, p->request->call_case);
      gcmon__v1__packet__free_unpacked(p, NULL);
      frames++;
    }
  ASSERT_EQ(3, frames);
  gcmon__conn_fail_all(&c, GCMON_ECANCELED);
  ASSERT_EQ(3, x.done);
}

TEST(an_answer_completes_its_call_with_the_result) {
  fixture x = {0};
  gcmon__conn c;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  feed_sample(&c, id, 0);
  ASSERT_EQ(1, x.done);
  ASSERT_EQ(0, x.last.err);
  ASSERT_EQ_U64(77, x.last.u.sample.uptime_us);
  ASSERT_EQ(0, (int)c.inflight.len);
}

TEST(a_daemon_status_maps_to_its_code_and_keeps_the_message) {
  fixture x = {0};
  gcmon__conn c;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_COLLECT);
  feed_status(&c, id, 3, "no gc heap on this source");
  ASSERT_EQ(GCMON_EUNAVAIL, x.last.err);
  ASSERT_EQ(3, x.last.status.code);
  ASSERT_STREQ("no gc heap on this source", x.last.status.message);
  id = send_call(&c, &x, GCMON_CALL_COLLECT);
  feed_status(&c, id, 99, ""); /* a code from the future */
  ASSERT_EQ(GCMON_EPROTO, x.last.err);
}

TEST(success_without_the_promised_result_is_a_protocol_error) {
  fixture x = {0};
  gcmon__conn c;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_GET_HISTORY);
  feed_sample(&c, id, 0); /* a Sample where a History was due */
  ASSERT_EQ(GCMON_EPROTO, x.last.err);
  id = send_call(&c, &x, GCMON_CALL_UNSUBSCRIBE);
  feed_status(&c, id, 0, ""); /* unsubscribe has no result: fine */
  ASSERT_EQ(0, x.last.err);
}

TEST(an_answer_skipping_calls_fails_the_ones_it_skipped) {
  fixture x = {0};
  gcmon__conn c;
  uint32_t a, b, d;

  gcmon__conn_init(&c, &ops, &x, 1);
  a = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  b = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  d = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  (void)a;
  (void)b;
  feed_sample(&c, d, 0);
  ASSERT_EQ(3, x.done);
  ASSERT_EQ(GCMON_EPROTO, x.errs[0]);
  ASSERT_EQ(GCMON_EPROTO, x.errs[1]);
  ASSERT_EQ(0, x.errs[2]);
}

TEST(id_zero_is_a_session_refusal_not_an_answer) {
  fixture x = {0};
  gcmon__conn c;

  gcmon__conn_init(&c, &ops, &x, 1);
  send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  feed_status(&c, 0, 4, "session limit 16 reached");
  ASSERT_EQ(1, x.refusals);
  ASSERT_EQ(4, x.refusal.code);
  ASSERT_STREQ("session limit 16 reached", x.refusal.message);
  ASSERT_EQ(0, x.done);
  gcmon__conn_fail_all(&c, GCMON_ECLOSED);
}

TEST(a_late_answer_after_a_timeout_is_counted_and_dropped) {
  fixture x = {0};
  gcmon__conn c;
  gcmon_link_stats st;
  gcmon__call *call = call_new(&x, GCMON_CALL_GET_SAMPLE);

  gcmon__conn_init(&c, &ops, &x, 1);
  call->deadline_ms = 100;
  ASSERT_EQ(0, gcmon__conn_send(&c, call));
  gcmon__conn_expire(&c, 99);
  ASSERT_EQ(0, x.done);
  gcmon__conn_expire(&c, 100);
  ASSERT_EQ(1, x.done);
  ASSERT_EQ(GCMON_ETIMEDOUT, x.last.err);
  feed_sample(&c, 1, 0);
  ASSERT_EQ(1, x.done);
  gcmon__conn_stats(&c, &st);
  ASSERT_EQ_U64(1, st.unmatched);
}

TEST(noise_bad_crc_and_non_packets_are_counted_then_decoding_goes_on) {
  fixture x = {0};
  gcmon__conn c;
  gcmon_link_stats st;
  uint8_t noise[] = "console: hello\r\n";
  uint8_t bad[] = {0x7e, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x7e};
  uint8_t junk_payload[] = {0xff, 0xff, 0xff};
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  size_t n;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  gcmon__conn_feed(&c, noise, sizeof noise - 1);
  gcmon__conn_feed(&c, bad, sizeof bad);
  n = gcmon_frame_encode(junk_payload, sizeof junk_payload, wire, sizeof wire);
  gcmon__conn_feed(&c, wire, n);
  feed_sample(&c, id, 0);
  ASSERT_EQ(1, x.done);
  ASSERT_EQ(0, x.last.err);
  gcmon__conn_stats(&c, &st);
  ASSERT_EQ_U64(sizeof noise - 1, st.bytes_discarded);
  ASSERT_EQ_U64(1, st.crc_errors);
  ASSERT_EQ_U64(1, st.undecodable);
  ASSERT_EQ_U64(2, st.frames_dropped);
}

TEST(daemon_strings_are_bounded_and_cleaned) {
  fixture x = {0};
  gcmon__conn c;
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__HelloResponse h = GCMON__V1__HELLO_RESPONSE__INIT;
  gcmon__call *call = call_new(&x, GCMON_CALL_HELLO);
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  char longname[80];

  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  longname[3] = '\033'; /* a terminal escape must not reach a terminal */
  gcmon__conn_init(&c, &ops, &x, 1);
  call->req.u.hello.client = "t";
  ASSERT_EQ(0, gcmon__conn_send(&c, call));
  h.version = 1;
  h.daemon = longname;
  h.source = (char *)(uintptr_t) "sim";
  h.device_id = (char *)(uintptr_t) "d\xc3\xa9v"; /* UTF-8 kept */
  r.id = 1;
  r.result_case = GCMON__V1__RESPONSE__RESULT_HELLO;
  r.hello = &h;
  gcmon__conn_feed(&c, wire, frame_response(&r, wire));
  ASSERT_EQ(0, x.last.err);
  ASSERT_EQ(GCMON_STRING_MAX, (int)strlen(x.last.u.hello.daemon));
  ASSERT_EQ('?', x.last.u.hello.daemon[3]);
  ASSERT_STREQ("d\xc3\xa9v", x.last.u.hello.device_id);
}

TEST(a_history_out_of_seq_order_is_rejected_as_undecodable) {
  fixture x = {0};
  gcmon__conn c;
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__History h = GCMON__V1__HISTORY__INIT;
  Gcmon__V1__Sample s1 = GCMON__V1__SAMPLE__INIT, s2 = GCMON__V1__SAMPLE__INIT;
  Gcmon__V1__Sample *ptrs[2] = {&s1, &s2};
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  gcmon_link_stats st;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_GET_HISTORY);
  s1.seq = 9;
  s2.seq = 8;
  h.n_samples = 2;
  h.samples = ptrs;
  h.next_seq = 10;
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_HISTORY;
  r.history = &h;
  gcmon__conn_feed(&c, wire, frame_response(&r, wire));
  ASSERT_EQ(0, x.done); /* still waiting: nothing trustworthy arrived */
  gcmon__conn_stats(&c, &st);
  ASSERT_EQ_U64(1, st.undecodable);
  gcmon__conn_fail_all(&c, GCMON_ECLOSED);
  ASSERT_EQ(GCMON_ECLOSED, x.last.err);
}

TEST(byte_at_a_time_input_gives_the_same_answers) {
  fixture x = {0};
  gcmon__conn c;
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Sample s = GCMON__V1__SAMPLE__INIT;
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  size_t n;
  uint32_t id;

  gcmon__conn_init(&c, &ops, &x, 1);
  id = send_call(&c, &x, GCMON_CALL_GET_SAMPLE);
  s.seq = 0;
  s.uptime_us = 0x7e7d7e7d; /* bytes that need escaping */
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_SAMPLE;
  r.sample = &s;
  n = frame_response(&r, wire);
  for (size_t i = 0; i < n; i++)
    gcmon__conn_feed(&c, wire + i, 1);
  ASSERT_EQ(1, x.done);
  ASSERT_EQ_U64(0x7e7d7e7d, x.last.u.sample.uptime_us);
}

#define GCMON_TESTS(X)                                                         \
  X(each_call_goes_out_as_one_frame_with_a_fresh_nonzero_id)                   \
  X(an_answer_completes_its_call_with_the_result)                              \
  X(a_daemon_status_maps_to_its_code_and_keeps_the_message)                    \
  X(success_without_the_promised_result_is_a_protocol_error)                   \
  X(an_answer_skipping_calls_fails_the_ones_it_skipped)                        \
  X(id_zero_is_a_session_refusal_not_an_answer)                                \
  X(a_late_answer_after_a_timeout_is_counted_and_dropped)                      \
  X(noise_bad_crc_and_non_packets_are_counted_then_decoding_goes_on)           \
  X(daemon_strings_are_bounded_and_cleaned)                                    \
  X(a_history_out_of_seq_order_is_rejected_as_undecodable)                     \
  X(byte_at_a_time_input_gives_the_same_answers)
#include "gcmon_test_main.h"
