/* Fuzz target: the agent core (daemon/agent) playing whole sessions against
 * the sim source, with a fake clock and no I/O.
 *
 * The input is a script of commands, so that mutations reach past the CRC
 * into the requests themselves while raw bytes still exercise the framing:
 *
 *     op  name     operand               effect
 *     0   FRAME    len16 + payload       frame payload (valid CRC), feed it
 *     1   RAW      len16 + bytes         feed the bytes as they are
 *     2   TICK     n                     (n % 4) + 1 sampler ticks
 *     3   DRAIN    n                     take up to n*16 output bytes
 *                                        (n = 0: everything)
 *     4   SWITCH   n                     talk on session n % 3 (opened on
 *                                        first use; the agent allows 2)
 *     5   CLOSE    -                     close the current session
 *     6   WAIT     ms16                  advance the clock, no tick
 *     7   REOPEN   -                     reopen the current session as an
 *                                        untrusted peer (needs the token)
 *
 * Challenge-response: the agent's random source is fixed (every server
 * nonce is a0 a1 ... af), so a seed can carry a valid auth proof and
 * MAC'd control requests (corpus/.../mac-session, from capture_corpus.py)
 * and mutations start from the verifying path, not only from refusals.
 *
 * The agent is small on purpose (2 sessions, 2 subscriptions, 16 samples of
 * history, queue of 4) so that every limit is reached within a short input.
 * A third session is refused and its refusal frame checked.
 *
 * For any input:
 *   - feed() always makes progress once the output has been drained;
 *   - everything a session outputs deframes with no drop and decodes as a
 *     Packet that is a Response or an Event;
 *   - a Response with a non-OK status carries no result; every status code
 *     is one PROTOCOL.md defines;
 *   - events of one subscription come in strictly increasing seq, never 0
 *     and never beyond the newest sample taken;
 *   - at the end every open session still answers a request. */
#include "agent.h"
#include "codec.h"
#include "fuzz_check.h"

#include <string.h>

#define SESSIONS       3
#define SUB_IDS        64
#define INTERVAL_MS    10u
#define FINAL_ID       0x00FFFFFFu
#define MAX_WAIT_STEPS 2000u /* sim steps are 10 ms: bound the work per op */

static const uint8_t token[] = "fuzz-token";

typedef struct {
  gcmon_session *s;
  bool open;
  gcmon_frame_decoder dec;
  uint8_t dec_buf[GCMON_FRAME_MAX];
  uint64_t last_seq[SUB_IDS]; /* per subscription id, this session's life */
  bool saw_final;
} peer;

typedef struct {
  gcmon_agent *agent;
  gcmon_source *source;
  uint64_t now_us;
  uint64_t newest;
  peer peers[SESSIONS];
  gcmon_v1_Packet pkt; /* decode scratch */
} world;

static uint64_t fake_clock(void *data) {
  return ((world *)data)->now_us;
}

static int fixed_nonce(void *data, uint8_t *buf, size_t n) {
  (void)data;
  for (size_t i = 0; i < n; i++)
    buf[i] = (uint8_t)(0xa0u + i);
  return 0;
}

static void check_packet(world *w, peer *p, const uint8_t *payload, size_t n) {
  gcmon_v1_Packet *pkt = &w->pkt;
  *pkt = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  FUZZ_CHECK(gcmon__codec_decode(payload, n, pkt) == 0);
  if (pkt->which_kind == gcmon_v1_Packet_response_tag) {
    const gcmon_v1_Response *r = &pkt->kind.response;
    int code = r->has_status ? (int)r->status.code : 0;
    FUZZ_CHECK(code >= gcmon_v1_Status_Code_OK &&
               code <= gcmon_v1_Status_Code_INTERNAL);
    if (code != gcmon_v1_Status_Code_OK)
      FUZZ_CHECK(r->which_result == 0);
    if (r->id == FINAL_ID)
      p->saw_final = true;
  } else {
    const gcmon_v1_Event *e = &pkt->kind.event;
    uint64_t seq;
    FUZZ_CHECK(pkt->which_kind == gcmon_v1_Packet_event_tag);
    FUZZ_CHECK(e->which_body == gcmon_v1_Event_sample_tag);
    seq = e->body.sample.seq;
    FUZZ_CHECK(seq >= 1 && seq <= w->newest);
    FUZZ_CHECK(e->subscription >= 1);
    if (e->subscription < SUB_IDS) {
      FUZZ_CHECK(seq > p->last_seq[e->subscription]);
      p->last_seq[e->subscription] = seq;
    }
  }
}

/* Take up to max output bytes (0 = all) and check every frame in them. */
static void drain(world *w, peer *p, size_t max) {
  const uint8_t *data;
  size_t n, taken = 0;
  while ((n = gcmon_session_output(p->s, &data)) > 0) {
    if (max && n > max - taken)
      n = max - taken;
    for (size_t off = 0; off < n;) {
      size_t used;
      gcmon_frame_status st =
          gcmon_frame_decoder_feed(&p->dec, data + off, n - off, &used);
      off += used;
      FUZZ_CHECK(st == GCMON_FRAME_NEED_MORE || st == GCMON_FRAME_READY);
      if (st == GCMON_FRAME_READY)
        check_packet(w, p, p->dec.buf, p->dec.payload_len);
    }
    gcmon_session_output_done(p->s, n);
    taken += n;
    if (max && taken >= max)
      break;
  }
}

/* Feed like a transport: whatever the session does not take now is fed
 * again after the output has been written out. */
static void feed(world *w, peer *p, const uint8_t *data, size_t n) {
  while (n > 0) {
    size_t used = gcmon_session_feed(p->s, data, n);
    data += used;
    n -= used;
    if (n > 0 && used == 0) {
      drain(w, p, 0);
      used = gcmon_session_feed(p->s, data, n);
      FUZZ_CHECK(used > 0); /* an empty output always makes room */
      data += used;
      n -= used;
    }
  }
}

static void refusal_is_a_session_status(world *w) {
  uint8_t out[128];
  gcmon_frame_decoder dec;
  uint8_t buf[GCMON_FRAME_MAX];
  gcmon_frame_status st = GCMON_FRAME_NEED_MORE;
  size_t n = gcmon_agent_refusal(w->agent, out, sizeof out), used;
  FUZZ_CHECK(n > 0);
  gcmon_frame_decoder_init(&dec, buf, sizeof buf);
  st = gcmon_frame_decoder_feed(&dec, out, n, &used);
  FUZZ_CHECK(st == GCMON_FRAME_READY && used == n);
  w->pkt = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  FUZZ_CHECK(gcmon__codec_decode(buf, dec.payload_len, &w->pkt) == 0);
  FUZZ_CHECK(w->pkt.which_kind == gcmon_v1_Packet_response_tag);
  FUZZ_CHECK(w->pkt.kind.response.id == 0);
  FUZZ_CHECK(w->pkt.kind.response.status.code ==
             gcmon_v1_Status_Code_RESOURCE_EXHAUSTED);
}

/* The current session, opened if it is not. NULL when the agent refused. */
static peer *use(world *w, unsigned i, bool trusted) {
  peer *p = &w->peers[i];
  gcmon_session_config cfg = {.trusted = trusted, .peer = "fuzz"};
  if (p->open)
    return p;
  memset(p, 0, sizeof *p);
  gcmon_frame_decoder_init(&p->dec, p->dec_buf, sizeof p->dec_buf);
  if (gcmon_agent_open_session(w->agent, &cfg, &p->s) != 0) {
    refusal_is_a_session_status(w);
    return NULL;
  }
  p->open = true;
  return p;
}

static void close_peer(peer *p) {
  if (p->open)
    gcmon_session_close(p->s);
  p->open = false;
}

static void tick(world *w) {
  w->now_us += INTERVAL_MS * 1000u;
  if (gcmon_agent_tick(w->agent) == 0)
    w->newest++;
}

/* A get_sample with a known id after a flag: whatever the script left in
 * the decoder, the session must answer it. */
static void still_answers(world *w, peer *p) {
  gcmon_v1_Packet req = gcmon_v1_Packet_init_zero;
  uint8_t payload[32], wire[1 + GCMON_FRAME_WIRE_SIZE(32)];
  size_t n, wn;
  drain(w, p, 0);
  req.which_kind = gcmon_v1_Packet_request_tag;
  req.kind.request.id = FINAL_ID;
  req.kind.request.which_call = gcmon_v1_Request_get_sample_tag;
  n = gcmon__codec_encode(&req, payload, sizeof payload);
  FUZZ_CHECK(n > 0);
  wire[0] = GCMON_FRAME_FLAG;
  wn = gcmon_frame_encode(payload, n, wire + 1, sizeof wire - 1);
  FUZZ_CHECK(wn > 0);
  feed(w, p, wire, wn + 1);
  drain(w, p, 0);
  FUZZ_CHECK(p->saw_final);
}

static size_t take16(const uint8_t **data, size_t *size) {
  size_t v = 0;
  if (*size >= 2) {
    v = (size_t)(*data)[0] | (size_t)(*data)[1] << 8;
    *data += 2;
    *size -= 2;
  } else if (*size == 1) {
    v = (*data)[0];
    *data += 1;
    *size -= 1;
  }
  return v;
}

static uint8_t take8(const uint8_t **data, size_t *size) {
  uint8_t v = 0;
  if (*size) {
    v = **data;
    *data += 1;
    *size -= 1;
  }
  return v;
}

static void run_script(world *w, const uint8_t *data, size_t size) {
  static uint8_t wire[GCMON_FRAME_WIRE_MAX];
  unsigned cur = 0;
  bool trusted = true;
  while (size > 0) {
    uint8_t op = take8(&data, &size) & 7u;
    peer *p = op == 4 || op == 5 || op == 7 ? NULL : use(w, cur, trusted);
    size_t len, n;
    switch (op) {
    case 0: /* FRAME */
    case 1: /* RAW */
      len = take16(&data, &size);
      if (len > size)
        len = size;
      n = op == 0 ? gcmon_frame_encode(data, len, wire, sizeof wire) : 0;
      if (p && n)
        feed(w, p, wire, n);
      else if (p)
        feed(w, p, data, len);
      data += len;
      size -= len;
      break;
    case 2: /* TICK */
      for (unsigned k = take8(&data, &size) % 4u + 1u; k > 0; k--)
        tick(w);
      break;
    case 3: /* DRAIN */
      n = take8(&data, &size);
      if (p)
        drain(w, p, n * 16u);
      break;
    case 4: /* SWITCH */
      cur = take8(&data, &size) % SESSIONS;
      trusted = true;
      break;
    case 5: /* CLOSE */
      close_peer(&w->peers[cur]);
      break;
    case 6: /* WAIT */
      n = take16(&data, &size);
      w->now_us += (uint64_t)(n % (MAX_WAIT_STEPS * 10u)) * 1000u;
      break;
    case 7: /* REOPEN untrusted */
      close_peer(&w->peers[cur]);
      trusted = false;
      use(w, cur, trusted);
      break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static world w;
  gcmon_source_config scfg = {.name = "sim", .seed = 42};
  gcmon_agent_config cfg;
  char err[128];

  memset(&w, 0, sizeof w);
  w.now_us = 1000000u;
  FUZZ_CHECK(gcmon_source_open(&w.source, &scfg, err, sizeof err) == 0);
  gcmon_agent_config_defaults(&cfg);
  cfg.source = w.source;
  cfg.now_us = fake_clock;
  cfg.clock_data = &w;
  cfg.interval_ms = INTERVAL_MS;
  cfg.history_capacity = 16;
  cfg.max_sessions = SESSIONS - 1;
  cfg.max_subscriptions = 2;
  cfg.queue_events = 4;
  cfg.token = token;
  cfg.token_len = sizeof token - 1;
  cfg.run_id = 0x230;
  cfg.random = fixed_nonce;
  FUZZ_CHECK(gcmon_agent_init(&w.agent, &cfg) == 0);

  run_script(&w, data, size);
  for (unsigned i = 0; i < SESSIONS; i++)
    if (w.peers[i].open)
      still_answers(&w, &w.peers[i]);

  for (unsigned i = 0; i < SESSIONS; i++)
    close_peer(&w.peers[i]);
  FUZZ_CHECK(gcmon_agent_session_count(w.agent) == 0);
  gcmon_agent_close(w.agent);
  gcmon_source_close(w.source);
  return 0;
}
