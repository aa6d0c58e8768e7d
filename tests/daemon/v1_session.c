/* Records one scripted v1 session with the agent core: every byte gcmond
 * sends to a client whose hello carries no 1.1 field, on the sim source
 * (seed 42) and the driver's fake clock, so the bytes are the same on every
 * run. Written to the file named by argv[1].
 *
 * tests/daemon/golden/v1_session.bin is this program's output recorded
 * from the v1 code, before protocol 1.1 changed anything; test_v1_golden.py
 * runs it again and requires the same bytes, then decodes them field by
 * field with a decoder generated from the v1 schema (golden/gcmon_v1.proto).
 * Changing the script means re-recording from v1 code: do not. */
#include "agent_driver.h"

#include "gcmon_test.h"

#include <pb_encode.h>
#include <stdio.h>

jmp_buf gcmon_test_jmp; /* the harness's, for ASSERT_* outside a runner */
int gcmon_test_failed;

static FILE *out;

/* Drain everything the session has queued into the recording. */
static void record(peer *p) {
  const uint8_t *data;
  size_t n;
  while ((n = gcmon_session_output(p->session, &data)) > 0) {
    ASSERT_EQ(n, fwrite(data, 1, n, out));
    gcmon_session_output_done(p->session, n);
  }
}

static void send_call(peer *p, gcmon_v1_Request *req) {
  peer_send(p, req);
  record(p);
}

static gcmon_v1_Request call(pb_size_t which) {
  gcmon_v1_Request r = gcmon_v1_Request_init_zero;
  r.which_call = which;
  return r;
}

static void hello(peer *p, const char *token) {
  gcmon_v1_Request r = call(gcmon_v1_Request_hello_tag);
  r.call.hello.version = 1;
  snprintf(r.call.hello.client, sizeof r.call.hello.client, "golden");
  if (token) {
    r.call.hello.token.size = (pb_size_t)strlen(token);
    memcpy(r.call.hello.token.bytes, token, strlen(token));
  }
  send_call(p, &r);
}

static void history(peer *p, uint64_t from, uint32_t max) {
  gcmon_v1_Request r = call(gcmon_v1_Request_get_history_tag);
  r.call.get_history.from_seq = from;
  r.call.get_history.max_count = max;
  send_call(p, &r);
}

static void subscribe(peer *p, uint32_t interval, uint64_t from) {
  gcmon_v1_Request r = call(gcmon_v1_Request_subscribe_tag);
  r.call.subscribe.interval_ms = interval;
  r.call.subscribe.from_seq = from;
  send_call(p, &r);
}

static void ticks(peer *p, int n, bool drain) {
  for (int i = 0; i < n; i++) {
    driver_tick(p->drv, 10);
    if (drain)
      record(p);
  }
}

static void script(peer *p) {
  gcmon_v1_Request r;
  static const uint8_t junk[] = {0x7e, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x7e};

  r = call(gcmon_v1_Request_get_sample_tag);
  send_call(p, &r); /* before hello: FAILED_PRECONDITION */
  hello(p, NULL);
  ticks(p, 5, false);
  r = call(gcmon_v1_Request_get_sample_tag);
  send_call(p, &r);
  history(p, 0, 0);
  history(p, 3, 2);
  history(p, 99, 0);
  subscribe(p, 0, 0);
  ticks(p, 3, true);
  subscribe(p, 20, 2); /* replay every 2nd from seq 2, then live */
  ticks(p, 4, true);
  ticks(p, 80, false); /* a reader that stops: queue overflow */
  record(p);
  r = call(gcmon_v1_Request_collect_tag);
  send_call(p, &r);
  r = call(gcmon_v1_Request_set_threshold_tag);
  r.call.set_threshold.bytes = 65536;
  send_call(p, &r);
  r = call(gcmon_v1_Request_set_enabled_tag);
  r.call.set_enabled.enabled = false;
  send_call(p, &r);
  ticks(p, 2, true);
  r = call(gcmon_v1_Request_unsubscribe_tag);
  r.call.unsubscribe.subscription = 1;
  send_call(p, &r);
  r.call.unsubscribe.subscription = 99;
  send_call(p, &r);
  subscribe(p, 86400001, 0); /* too long an interval */
  subscribe(p, 0, 100000);   /* ahead of the series */
  r = call(gcmon_v1_Request_get_sample_tag);
  r.id = 0; /* id 0 is refused; peer_send would assign one */
  {
    gcmon_v1_Packet pkt = gcmon_v1_Packet_init_zero;
    uint8_t payload[64], wire[160];
    pb_ostream_t os = pb_ostream_from_buffer(payload, sizeof payload);
    pkt.which_kind = gcmon_v1_Packet_request_tag;
    pkt.kind.request = r;
    ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &pkt));
    size_t n = gcmon_frame_encode(payload, os.bytes_written, wire, sizeof wire);
    peer_feed(p, wire, n);
    record(p);
  }
  peer_feed(p, junk, sizeof junk); /* a frame with a bad CRC: counted */
  record(p);
  hello(p, "not-the-token"); /* again: ends the subscriptions */
  ticks(p, 3, true);
  history(p, 0, 4);
}

int main(int argc, char **argv) {
  gcmon_agent_config cfg;
  driver d;
  peer p;

  if (argc != 2) {
    fprintf(stderr, "usage: v1_session OUT\n");
    return 2;
  }
  out = fopen(argv[1], "wb");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.history_capacity = 64;
  cfg.queue_events = 8;
  if (setjmp(gcmon_test_jmp)) {
    fclose(out);
    return 1;
  }
  driver_init(&d, &cfg);
  ASSERT_EQ(0, peer_open(&p, &d, true));
  script(&p);
  peer_close(&p);
  driver_close(&d);
  return fclose(out) == 0 ? 0 : 1;
}
