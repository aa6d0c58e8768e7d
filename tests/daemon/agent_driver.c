/* In-process agent driver (see agent_driver.h). */
#include "agent_driver.h"

#include "gcmon_test.h"

#include <pb_decode.h>
#include <pb_encode.h>

static uint64_t fake_clock(void *data) {
  return ((driver *)data)->now_us;
}

void driver_init(driver *d, const gcmon_agent_config *limits) {
  gcmon_source_config scfg = {.name = "sim", .seed = 42};
  gcmon_agent_config cfg;
  char err[128];
  memset(d, 0, sizeof *d);
  d->now_us = 1000000;
  ASSERT_EQ(0, gcmon_source_open(&d->source, &scfg, err, sizeof err));
  if (limits)
    cfg = *limits;
  else
    gcmon_agent_config_defaults(&cfg);
  cfg.source = d->source;
  cfg.now_us = fake_clock;
  cfg.clock_data = d;
  cfg.run_id = 0x230;
  ASSERT_EQ(0, gcmon_agent_init(&d->agent, &cfg));
}

void driver_close(driver *d) {
  gcmon_agent_close(d->agent);
  gcmon_source_close(d->source);
}

void driver_tick(driver *d, uint32_t ms) {
  d->now_us += (uint64_t)ms * 1000u;
  ASSERT_EQ(0, gcmon_agent_tick(d->agent));
}

static void on_wake(gcmon_session *s) {
  ((peer *)gcmon_session_data(s))->wakes++;
}

int peer_open(peer *p, driver *d, bool trusted) {
  gcmon_session_config cfg = {
      .trusted = trusted, .peer = "test", .wake = on_wake, .data = p};
  memset(p, 0, sizeof *p);
  p->drv = d;
  p->next_id = 1;
  gcmon_frame_decoder_init(&p->dec, p->dec_buf, sizeof p->dec_buf);
  return gcmon_agent_open_session(d->agent, &cfg, &p->session);
}

int peer_open_link(peer *p, driver *d, uint32_t bytes_per_s) {
  gcmon_session_config cfg = {.trusted = true,
                              .uart = true,
                              .peer = "link",
                              .wake = on_wake,
                              .data = p,
                              .link_bytes_per_s = bytes_per_s};
  memset(p, 0, sizeof *p);
  p->drv = d;
  p->next_id = 1;
  gcmon_frame_decoder_init(&p->dec, p->dec_buf, sizeof p->dec_buf);
  return gcmon_agent_open_session(d->agent, &cfg, &p->session);
}

void peer_close(peer *p) {
  gcmon_session_close(p->session);
}

size_t peer_feed(peer *p, const void *bytes, size_t n) {
  return gcmon_session_feed(p->session, bytes, n);
}

uint32_t peer_send(peer *p, gcmon_v1_Request *req) {
  gcmon_v1_Packet pkt = gcmon_v1_Packet_init_zero;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  uint8_t wire[GCMON_FRAME_WIRE_MAX];
  pb_ostream_t os = pb_ostream_from_buffer(payload, sizeof payload);
  size_t n;
  if (req->id == 0)
    req->id = p->next_id++;
  pkt.which_kind = gcmon_v1_Packet_request_tag;
  pkt.kind.request = *req;
  ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &pkt));
  n = gcmon_frame_encode(payload, os.bytes_written, wire, sizeof wire);
  ASSERT_EQ(n, peer_feed(p, wire, n));
  return req->id;
}

size_t peer_drain(peer *p, gcmon_v1_Packet *out, size_t cap, size_t max_bytes) {
  size_t count = 0;
  const uint8_t *data;
  size_t n;
  while ((n = gcmon_session_output(p->session, &data)) > 0) {
    if (max_bytes && n > max_bytes)
      n = max_bytes;
    for (size_t off = 0; off < n;) {
      size_t used;
      gcmon_frame_status st =
          gcmon_frame_decoder_feed(&p->dec, data + off, n - off, &used);
      off += used;
      ASSERT_TRUE(st == GCMON_FRAME_NEED_MORE || st == GCMON_FRAME_READY);
      if (st == GCMON_FRAME_READY && count < cap) {
        pb_istream_t is =
            pb_istream_from_buffer(p->dec.buf, p->dec.payload_len);
        out[count] = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
        ASSERT_TRUE(pb_decode(&is, gcmon_v1_Packet_fields, &out[count]));
        count++;
      }
    }
    gcmon_session_output_done(p->session, n);
    if (max_bytes)
      break;
  }
  return count;
}

void peer_call(peer *p, gcmon_v1_Request *req, gcmon_v1_Response *resp) {
  static gcmon_v1_Packet got[64];
  uint32_t id = peer_send(p, req);
  size_t n = peer_drain(p, got, 64, 0);
  for (size_t i = 0; i < n; i++) {
    if (got[i].which_kind == gcmon_v1_Packet_response_tag &&
        got[i].kind.response.id == id) {
      *resp = got[i].kind.response;
      return;
    }
  }
  GCMON_TEST_FAIL("no response to request %u", (unsigned)id);
}

void peer_hello(peer *p, const char *token) {
  gcmon_v1_Request req = gcmon_v1_Request_init_zero;
  gcmon_v1_Response resp;
  req.which_call = gcmon_v1_Request_hello_tag;
  req.call.hello.version = 1;
  if (token) {
    req.call.hello.token.size = (pb_size_t)strlen(token);
    memcpy(req.call.hello.token.bytes, token, strlen(token));
  }
  peer_call(p, &req, &resp);
  ASSERT_EQ(gcmon_v1_Response_hello_tag, resp.which_result);
}
