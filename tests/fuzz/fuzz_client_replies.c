/* Fuzz target: libgcmon's connection core (client/lib/conn.c) reading
 * whatever a daemon, a noisy line or an impostor sends back.
 *
 * The harness plays a client that keeps a batch of calls in flight, one of
 * each kind in a fixed order (hello, get_sample, collect, set_threshold,
 * set_enabled, subscribe, get_history, unsubscribe; ids 1..8, then 9..16
 * once the first batch is answered, and so on), and feeds the input to it
 * as the daemon's bytes, in chunks whose sizes come from byte 0. The seed
 * corpus is gcmond's replies to exactly that sequence, so mutations start
 * from answers that match their calls. Every other batch is sent as a 1.1
 * MAC session would send it (hello with minor and a client nonce, control
 * calls with a counter and tag under a fixed key), and one seed carries a
 * 1.1 hello answer (nonce, mac_required) and an auth result.
 *
 * For any input:
 *   - every call completes exactly once (answered, or failed at the end);
 *   - a reply is either an error (a GCMON_E* code, no result promised) or
 *     OK with the result its call promises;
 *   - every string handed to the user is NUL-terminated inside its array
 *     and free of control bytes; a history holds at most GCMON_HISTORY_MAX
 *     samples in strictly ascending seq;
 *   - the link counters add up (frames in never exceed what was fed). */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "conn.h"
#include "fuzz_check.h"

#include <string.h>

#define BATCH    8
#define MAX_CALL 256

typedef struct {
  gcmon__conn conn;
  gcmon__call calls[MAX_CALL];
  unsigned sent, completed[MAX_CALL], done_total;
  uint64_t events, refusals, written;
} harness;

static void check_text(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  FUZZ_CHECK(n < cap);
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f);
}

static void check_status(const gcmon_status *st) {
  check_text(st->message, sizeof st->message);
}

static void check_reply(const gcmon__call *call, const gcmon_reply *r) {
  FUZZ_CHECK(r->call == call->req.call);
  check_status(&r->status);
  if (r->err != 0) {
    FUZZ_CHECK(r->err < 0 && gcmon_strerror(r->err) != NULL);
    return;
  }
  FUZZ_CHECK(r->status.code == 0);
  switch (r->call) {
  case GCMON_CALL_HELLO:
    check_text(r->u.hello.daemon, sizeof r->u.hello.daemon);
    check_text(r->u.hello.source, sizeof r->u.hello.source);
    check_text(r->u.hello.device_id, sizeof r->u.hello.device_id);
    break;
  case GCMON_CALL_GET_HISTORY: {
    const gcmon_history *h = &r->u.history;
    FUZZ_CHECK(h->count <= GCMON_HISTORY_MAX);
    for (size_t i = 1; i < h->count; i++)
      FUZZ_CHECK(h->samples[i].seq > h->samples[i - 1].seq);
    break;
  }
  default:
    break;
  }
}

static void on_done(gcmon__call *call, gcmon_reply *reply) {
  harness *h = call->owner;
  size_t i = (size_t)(call - h->calls);
  FUZZ_CHECK(i < h->sent);
  check_reply(call, reply);
  h->completed[i]++;
  FUZZ_CHECK(h->completed[i] == 1);
  h->done_total++;
}

static int on_write(void *ctx, const uint8_t *bytes, size_t n) {
  harness *h = ctx;
  FUZZ_CHECK(bytes != NULL && n > 0 && n <= GCMON_FRAME_WIRE_MAX);
  h->written += n;
  return 0;
}

static void on_event(void *ctx, uint32_t subscription, const gcmon_sample *s) {
  harness *h = ctx;
  (void)subscription;
  FUZZ_CHECK(s != NULL);
  h->events++;
}

static void on_refusal(void *ctx, const gcmon_status *st) {
  harness *h = ctx;
  check_status(st);
  h->refusals++;
}

/* A compact batch event: decoded as libgcmon does (one decoder per
 * stream; here one for the whole input), never more samples than it says. */
static gcmon_compact_decoder batch_decoder;

static void on_batch_sample(void *ctx, const gcmon_sample *s) {
  harness *h = ctx;
  FUZZ_CHECK(s != NULL && s->seq != 0);
  h->events++;
}

static void on_batch(void *ctx, uint32_t subscription,
                     const gcmon__incoming *in) {
  harness *h = ctx;
  uint64_t before = h->events;
  int n;
  (void)subscription;
  FUZZ_CHECK(in->has_batch && in->batch_len <= sizeof in->batch);
  n = gcmon_compact_decode(&batch_decoder, in->batch_first_seq,
                           in->batch_count, in->batch, in->batch_len,
                           on_batch_sample, h);
  FUZZ_CHECK(n < 0 ? h->events == before
                   : (uint64_t)n == in->batch_count &&
                         h->events - before == in->batch_count);
}

static const gcmon__conn_ops ops = {on_write, on_event, on_refusal, on_batch};

/* The calls of one batch, in the order the corpus was recorded in. */
static void fill_request(gcmon__wire_request *r, unsigned k) {
  static const uint8_t token[] = "fuzz";
  static const uint8_t nonce[GCMON_MAC_NONCE_SIZE] = {1, 2, 3};
  memset(r, 0, sizeof *r);
  switch (k % BATCH) {
  case 0:
    r->call = GCMON_CALL_HELLO;
    r->u.hello.client = "fuzz";
    r->u.hello.token = token;
    r->u.hello.token_len = sizeof token - 1;
    if ((k / BATCH) % 2) { /* 1.1: a challenge asked, no token */
      r->u.hello.minor = 1;
      r->u.hello.client_nonce = nonce;
      r->u.hello.token_len = 0;
    }
    break;
  case 1:
    r->call = GCMON_CALL_GET_SAMPLE;
    break;
  case 2:
    r->call = GCMON_CALL_COLLECT;
    break;
  case 3:
    r->call = GCMON_CALL_SET_THRESHOLD;
    r->u.threshold_bytes = 4096;
    break;
  case 4:
    r->call = GCMON_CALL_SET_ENABLED;
    r->u.enabled = true;
    break;
  case 5:
    r->call = GCMON_CALL_SUBSCRIBE;
    r->u.subscribe.from_seq = 1;
    break;
  case 6:
    r->call = GCMON_CALL_GET_HISTORY;
    r->u.history.from_seq = 1;
    break;
  default:
    r->call = GCMON_CALL_UNSUBSCRIBE;
    r->u.subscription = 1;
    break;
  }
}

static void send_batch(harness *h) {
  /* odd batches: a MAC session, its control calls tagged as they go */
  h->conn.mac.on = (h->sent / BATCH) % 2 == 1;
  memset(h->conn.mac.key, 0x5a, sizeof h->conn.mac.key);
  for (unsigned k = 0; k < BATCH && h->sent < MAX_CALL; k++) {
    gcmon__call *call = &h->calls[h->sent];
    memset(call, 0, sizeof *call);
    fill_request(&call->req, h->sent);
    call->done = on_done;
    call->owner = h;
    h->sent++;
    FUZZ_CHECK(gcmon__conn_send(&h->conn, call) == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static harness h;
  gcmon_link_stats st;
  size_t chunk, pos = 0;

  if (size < 1)
    return 0;
  chunk = 1u + data[0];
  data++;
  size--;
  memset(&h, 0, sizeof h);
  gcmon_compact_decoder_init(&batch_decoder);
  gcmon__conn_init(&h.conn, &ops, &h, 1);
  send_batch(&h);

  while (pos < size) {
    size_t n = size - pos < chunk ? size - pos : chunk;
    gcmon__conn_feed(&h.conn, data + pos, n);
    pos += n;
    if (h.done_total == h.sent) /* all answered: next batch */
      send_batch(&h);
  }
  gcmon__conn_expire(&h.conn, 0); /* no deadlines set: nothing expires */
  gcmon__conn_fail_all(&h.conn, GCMON_ECLOSED);
  FUZZ_CHECK(h.done_total == h.sent);
  for (unsigned i = 0; i < h.sent; i++)
    FUZZ_CHECK(h.completed[i] == 1);

  gcmon__conn_stats(&h.conn, &st);
  FUZZ_CHECK(st.bytes_in == size);
  FUZZ_CHECK(st.frames_in <= size / GCMON_FRAME_MIN + 1);
  FUZZ_CHECK(st.frames_out == h.sent && st.bytes_out == h.written);
  FUZZ_CHECK(st.frames_dropped >= st.crc_errors + st.undecodable);
  return 0;
}
