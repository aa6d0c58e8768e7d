/* Packet codec (see codec.h): the one place protobuf-c types are touched. */
#include "codec.h"

#include "codec_insight.h"
#include "gcmon_frame.h"

#include <string.h>

/* ---- encoding ---------------------------------------------------------- */

long gcmon__encode_request(const gcmon__wire_request *r, uint8_t *out,
                           size_t cap) {
  Gcmon__V1__Packet pkt = GCMON__V1__PACKET__INIT;
  Gcmon__V1__Request req = GCMON__V1__REQUEST__INIT;
  Gcmon__V1__HelloRequest hello = GCMON__V1__HELLO_REQUEST__INIT;
  Gcmon__V1__GetSampleRequest get_sample = GCMON__V1__GET_SAMPLE_REQUEST__INIT;
  Gcmon__V1__CollectRequest collect = GCMON__V1__COLLECT_REQUEST__INIT;
  Gcmon__V1__SetThresholdRequest thr = GCMON__V1__SET_THRESHOLD_REQUEST__INIT;
  Gcmon__V1__SetEnabledRequest en = GCMON__V1__SET_ENABLED_REQUEST__INIT;
  Gcmon__V1__SubscribeRequest sub = GCMON__V1__SUBSCRIBE_REQUEST__INIT;
  Gcmon__V1__UnsubscribeRequest unsub = GCMON__V1__UNSUBSCRIBE_REQUEST__INIT;
  Gcmon__V1__GetHistoryRequest hist = GCMON__V1__GET_HISTORY_REQUEST__INIT;
  Gcmon__V1__KeyframeRequest key = GCMON__V1__KEYFRAME_REQUEST__INIT;
  Gcmon__V1__CompactParams compact = GCMON__V1__COMPACT_PARAMS__INIT;
  Gcmon__V1__AuthRequest auth = GCMON__V1__AUTH_REQUEST__INIT;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  gcmon__insight_request insight;
  size_t n, framed;

  if (r->id == 0)
    return GCMON_EINVAL;
  req.id = r->id;
  if (r->call == GCMON__CALL_AUTH) {
    auth.proof.len = GCMON_MAC_PROOF_SIZE;
    auth.proof.data = (uint8_t *)(uintptr_t)r->u.auth_proof;
    req.call_case = GCMON__V1__REQUEST__CALL_AUTH;
    req.auth = &auth;
  } else if (r->call == GCMON__CALL_KEYFRAME) {
    key.subscription = r->u.subscription;
    req.call_case = GCMON__V1__REQUEST__CALL_KEYFRAME;
    req.keyframe = &key;
  } else switch (r->call) {
  case GCMON_CALL_GET_WATERMARKS:
  case GCMON_CALL_GET_COLLECTIONS:
  case GCMON_CALL_ADD_ALARM:
  case GCMON_CALL_REMOVE_ALARM:
  case GCMON_CALL_LIST_ALARMS:
    if (gcmon__encode_insight_request(r, &req, &insight) != 0)
      return GCMON_EINVAL;
    break;
  case GCMON_CALL_HELLO:
    if (r->u.hello.token_len > GCMON_TOKEN_MAX ||
        strlen(r->u.hello.client) > GCMON_CLIENT_NAME_MAX)
      return GCMON_EINVAL;
    hello.version = GCMON_PROTOCOL_VERSION;
    hello.client = (char *)(uintptr_t)r->u.hello.client;
    hello.token.len = r->u.hello.token_len;
    hello.token.data = (uint8_t *)(uintptr_t)r->u.hello.token;
    hello.minor = r->u.hello.minor;
    if (r->u.hello.compact) { /* a 1.1 request: only with minor >= 1 */
      compact.max_latency_ms = r->u.hello.compact_latency_ms;
      hello.compact = &compact;
      if (hello.minor < GCMON_PROTOCOL_MINOR)
        hello.minor = GCMON_PROTOCOL_MINOR;
    }
    if (r->u.hello.client_nonce) {
      hello.client_nonce.len = GCMON_MAC_NONCE_SIZE;
      hello.client_nonce.data = (uint8_t *)(uintptr_t)r->u.hello.client_nonce;
    }
    req.call_case = GCMON__V1__REQUEST__CALL_HELLO;
    req.hello = &hello;
    break;
  case GCMON_CALL_GET_SAMPLE:
    req.call_case = GCMON__V1__REQUEST__CALL_GET_SAMPLE;
    req.get_sample = &get_sample;
    break;
  case GCMON_CALL_COLLECT:
    req.call_case = GCMON__V1__REQUEST__CALL_COLLECT;
    req.collect = &collect;
    break;
  case GCMON_CALL_SET_THRESHOLD:
    thr.bytes = r->u.threshold_bytes < 0 ? -1 : r->u.threshold_bytes;
    req.call_case = GCMON__V1__REQUEST__CALL_SET_THRESHOLD;
    req.set_threshold = &thr;
    break;
  case GCMON_CALL_SET_ENABLED:
    en.enabled = r->u.enabled;
    req.call_case = GCMON__V1__REQUEST__CALL_SET_ENABLED;
    req.set_enabled = &en;
    break;
  case GCMON_CALL_SUBSCRIBE:
    sub.interval_ms = r->u.subscribe.interval_ms;
    sub.from_seq = r->u.subscribe.from_seq;
    sub.watermarks = r->u.subscribe.watermarks;
    sub.collections = r->u.subscribe.collections;
    sub.alarms = r->u.subscribe.alarms;
    req.call_case = GCMON__V1__REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &sub;
    break;
  case GCMON_CALL_UNSUBSCRIBE:
    unsub.subscription = r->u.subscription;
    req.call_case = GCMON__V1__REQUEST__CALL_UNSUBSCRIBE;
    req.unsubscribe = &unsub;
    break;
  case GCMON_CALL_GET_HISTORY:
    hist.from_seq = r->u.history.from_seq;
    hist.max_count = r->u.history.max_count;
    hist.compact = r->u.history.compact;
    req.call_case = GCMON__V1__REQUEST__CALL_GET_HISTORY;
    req.get_history = &hist;
    break;
  default:
    return GCMON_EINVAL;
  }
  pkt.kind_case = GCMON__V1__PACKET__KIND_REQUEST;
  pkt.request = &req;

  if (r->mac_key) { /* the tag covers the Request's own bytes */
    uint8_t body[GCMON_MAX_PAYLOAD];
    n = gcmon__v1__request__get_packed_size(&req);
    if (n == 0 || n > sizeof body)
      return GCMON_EINVAL;
    gcmon__v1__request__pack(&req, body);
    n = gcmon__mac_payload(r->mac_key, r->mac_counter, body, n, payload,
                           sizeof payload);
    if (n == 0)
      return GCMON_EINVAL;
    framed = gcmon_frame_encode(payload, n, out, cap);
    return framed ? (long)framed : GCMON_ENOSPC;
  }
  n = gcmon__v1__packet__get_packed_size(&pkt);
  if (n == 0 || n > sizeof payload)
    return GCMON_EINVAL;
  gcmon__v1__packet__pack(&pkt, payload);
  framed = gcmon_frame_encode(payload, n, out, cap);
  return framed ? (long)framed : GCMON_ENOSPC;
}

/* ---- a MAC'd request (mac.h holds the session's MAC state) ------------ */

static size_t put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  do {
    out[n] = (uint8_t)(v & 0x7fu);
    v >>= 7;
    if (v)
      out[n] |= 0x80u;
    n++;
  } while (v);
  return n;
}

size_t gcmon__mac_payload(const uint8_t key[GCMON_MAC_KEY_SIZE],
                          uint32_t counter, const uint8_t *body, size_t len,
                          uint8_t *payload, size_t cap) {
  uint8_t mac[2 + 5 + 2 + GCMON_MAC_TAG_SIZE]; /* RequestMac */
  uint8_t field[3 + sizeof mac];               /* Request field 30 */
  uint8_t head[1 + 10];                        /* Packet field 1 */
  gcmon_mac_part part = {body, len};
  size_t m = 0, f = 0, h = 0;

  mac[m++] = 0x08; /* counter = 1, varint */
  m += put_varint(mac + m, counter);
  mac[m++] = 0x12; /* tag = 2, bytes */
  mac[m++] = GCMON_MAC_TAG_SIZE;
  gcmon_mac_request_tag(key, counter, &part, 1, mac + m);
  m += GCMON_MAC_TAG_SIZE;

  field[f++] = 0xf2; /* field 30, wire type 2 */
  field[f++] = 0x01;
  f += put_varint(field + f, m);
  memcpy(field + f, mac, m);
  f += m;

  head[h++] = 0x0a; /* Packet.request = 1, bytes */
  h += put_varint(head + h, len + f);
  if (h + len + f > cap)
    return 0;
  memcpy(payload, head, h);
  memcpy(payload + h, body, len);
  memcpy(payload + h + len, field, f);
  return h + len + f;
}

/* ---- decoding ---------------------------------------------------------- */

void gcmon__copy_text(char *dst, size_t cap, const char *src) {
  size_t n = 0;

  if (cap == 0)
    return;
  for (; src && src[n] && n + 1 < cap; n++) {
    unsigned char ch = (unsigned char)src[n];
    dst[n] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
  }
  dst[n] = '\0';
  if (src && src[n]) {
    /* Truncated: drop an incomplete trailing UTF-8 sequence. */
    size_t i = n;
    while (i > 0 && ((unsigned char)dst[i - 1] & 0xC0) == 0x80)
      i--;
    if (i > 0 && ((unsigned char)dst[i - 1] & 0xC0) == 0xC0) {
      unsigned lead = (unsigned char)dst[i - 1];
      size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      if (n - (i - 1) < want)
        dst[i - 1] = '\0';
    }
  }
}

static void copy_mem(gcmon_mem_info *dst, const Gcmon__V1__MemInfo *m) {
  dst->total = m->total;
  dst->used = m->used;
  dst->free = m->free;
  dst->peak_used = m->peak_used;
}

void gcmon__copy_sample(gcmon_sample *dst, const Gcmon__V1__Sample *s) {
  memset(dst, 0, sizeof *dst);
  dst->seq = s->seq;
  dst->uptime_us = s->uptime_us;
  dst->sys_total = s->sys_total;
  if (s->gc) {
    dst->has_gc = true;
    dst->gc.mem_alloc = s->gc->mem_alloc;
    dst->gc.mem_free = s->gc->mem_free;
    dst->gc.threshold = s->gc->threshold;
    dst->gc.enabled = s->gc->enabled != 0;
    dst->gc.collections = s->gc->collections;
    dst->gc.largest_free = s->gc->largest_free;
  }
  if (s->sys_heap) {
    dst->has_sys_heap = true;
    copy_mem(&dst->sys_heap, s->sys_heap);
  }
  if (s->sys_page) {
    dst->has_sys_page = true;
    copy_mem(&dst->sys_page, s->sys_page);
  }
  if (s->sys_mmz) {
    dst->has_sys_mmz = true;
    copy_mem(&dst->sys_mmz, s->sys_mmz);
  }
}

static void copy_hello(gcmon_info *dst, const Gcmon__V1__HelloResponse *h) {
  memset(dst, 0, sizeof *dst);
  dst->version = h->version;
  gcmon__copy_text(dst->daemon, sizeof dst->daemon, h->daemon);
  gcmon__copy_text(dst->source, sizeof dst->source, h->source);
  gcmon__copy_text(dst->device_id, sizeof dst->device_id, h->device_id);
  dst->run_id = h->run_id;
  dst->max_payload = h->max_payload;
  dst->history_capacity = h->history_capacity;
  dst->min_interval_ms = h->min_interval_ms;
  dst->control = h->control != 0;
  dst->max_subscriptions = h->max_subscriptions;
  dst->max_sessions = h->max_sessions;
  dst->minor = h->minor;
  dst->compact = h->compact != NULL;
  if (h->compact)
    dst->compact_latency_ms = h->compact->max_latency_ms;
}

/* A SampleBatch as it came; the shared codec decodes it later, against
 * the state of its stream. */
static int copy_batch(gcmon__incoming *in, const Gcmon__V1__SampleBatch *b) {
  if (b->data.len > sizeof in->batch || b->count == 0 || b->first_seq == 0)
    return GCMON_EPARSE;
  in->has_batch = true;
  in->batch_first_seq = b->first_seq;
  in->batch_count = b->count;
  in->batch_len = b->data.len;
  if (b->data.len)
    memcpy(in->batch, b->data.data, b->data.len);
  return 0;
}

static void copy_hello_1_1(gcmon__incoming *in,
                           const Gcmon__V1__HelloResponse *h) {
  in->hello_minor = h->minor;
  in->hello_mac_required = h->mac_required != 0;
  in->hello_nonce_len = 0;
  if (h->nonce.len == GCMON_MAC_NONCE_SIZE && h->nonce.data) {
    memcpy(in->hello_nonce, h->nonce.data, GCMON_MAC_NONCE_SIZE);
    in->hello_nonce_len = GCMON_MAC_NONCE_SIZE;
  }
}

/* Keep what fits, in ascending seq; a daemon that sends more than we hold
 * gets its tail re-requested through next_seq rather than overflowing. */
static int copy_history(gcmon_history *dst, const Gcmon__V1__History *h) {
  uint64_t prev = 0;

  memset(dst, 0, sizeof *dst);
  dst->next_seq = h->next_seq;
  dst->oldest_seq = h->oldest_seq;
  if (h->batch && h->n_samples == 0)
    return 0; /* compact: the caller decodes in->batch */
  for (size_t i = 0; i < h->n_samples; i++) {
    const Gcmon__V1__Sample *s = h->samples[i];
    if (!s || s->seq == 0 || s->seq <= prev)
      return GCMON_EPARSE;
    prev = s->seq;
    if (dst->count == GCMON_HISTORY_MAX) {
      dst->next_seq = dst->samples[dst->count - 1].seq + 1;
      break;
    }
    gcmon__copy_sample(&dst->samples[dst->count++], s);
  }
  if (dst->count > 0 && dst->next_seq <= dst->samples[dst->count - 1].seq)
    return GCMON_EPARSE;
  return 0;
}

static int copy_response(gcmon__incoming *in, const Gcmon__V1__Response *r) {
  in->kind = GCMON__IN_RESPONSE;
  in->id = r->id;
  in->status.code = r->status ? (int)r->status->code : 0;
  gcmon__copy_text(in->status.message, sizeof in->status.message,
                   r->status ? r->status->message : NULL);
  switch (r->result_case) {
  case GCMON__V1__RESPONSE__RESULT_HELLO:
    in->result = GCMON__RESULT_HELLO;
    copy_hello(&in->u.hello, r->hello);
    copy_hello_1_1(in, r->hello);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_AUTH:
    in->result = GCMON__RESULT_AUTH;
    in->auth_control = r->auth->control != 0;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_SAMPLE:
    in->result = GCMON__RESULT_SAMPLE;
    gcmon__copy_sample(&in->u.sample, r->sample);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_COLLECT:
    in->result = GCMON__RESULT_COLLECT;
    in->u.collect.freed_bytes = r->collect->freed_bytes;
    in->u.collect.duration_us = r->collect->duration_us;
    if (r->collect->after)
      gcmon__copy_sample(&in->u.collect.after, r->collect->after);
    else
      memset(&in->u.collect.after, 0, sizeof in->u.collect.after);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_SUBSCRIBED:
    in->result = GCMON__RESULT_SUBSCRIBED;
    in->u.subscribed.subscription = r->subscribed->subscription;
    in->u.subscribed.interval_ms = r->subscribed->interval_ms;
    in->u.subscribed.first_seq = r->subscribed->first_seq;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_HISTORY:
    in->result = GCMON__RESULT_HISTORY;
    if (r->history->batch && r->history->n_samples == 0) {
      int err = copy_batch(in, r->history->batch);
      if (err)
        return err;
    }
    return copy_history(&in->u.history, r->history);
  case GCMON__V1__RESPONSE__RESULT_WATERMARKS:
  case GCMON__V1__RESPONSE__RESULT_COLLECTIONS:
  case GCMON__V1__RESPONSE__RESULT_ALARM:
  case GCMON__V1__RESPONSE__RESULT_ALARMS:
    return gcmon__copy_insight_response(in, r);
  default: /* none, or one newer than this client: no result */
    in->result = GCMON__RESULT_NONE;
    return 0;
  }
}

static int copy_event(gcmon__incoming *in, const Gcmon__V1__Event *e) {
  in->kind = GCMON__IN_EVENT;
  in->subscription = e->subscription;
  in->has_sample = e->body_case == GCMON__V1__EVENT__BODY_SAMPLE;
  if (e->body_case == GCMON__V1__EVENT__BODY_BATCH)
    return copy_batch(in, e->batch);
  if (in->has_sample) {
    if (e->sample->seq == 0)
      return GCMON_EPARSE; /* events carry series samples only */
    gcmon__copy_sample(&in->u.sample, e->sample);
  }
  return gcmon__copy_insight_event(in, e);
}

int gcmon__decode_packet(const uint8_t *payload, size_t len,
                         gcmon__incoming *in) {
  Gcmon__V1__Packet *pkt;
  int err = 0;

  memset(in, 0, sizeof *in);
  pkt = gcmon__v1__packet__unpack(NULL, len, payload);
  if (!pkt)
    return GCMON_EPARSE;
  switch (pkt->kind_case) {
  case GCMON__V1__PACKET__KIND_RESPONSE:
    err = copy_response(in, pkt->response);
    break;
  case GCMON__V1__PACKET__KIND_EVENT:
    err = copy_event(in, pkt->event);
    break;
  default: /* a Request echoed back, or a kind newer than us */
    in->kind = GCMON__IN_IGNORED;
    break;
  }
  gcmon__v1__packet__free_unpacked(pkt, NULL);
  return err;
}

gcmon__result gcmon__expected_result(gcmon_call call) {
  if (call == GCMON__CALL_AUTH)
    return GCMON__RESULT_AUTH;
  if (call == GCMON__CALL_KEYFRAME)
    return GCMON__RESULT_NONE;
  switch (call) {
  case GCMON_CALL_HELLO:
    return GCMON__RESULT_HELLO;
  case GCMON_CALL_GET_SAMPLE:
  case GCMON_CALL_SET_THRESHOLD:
  case GCMON_CALL_SET_ENABLED:
    return GCMON__RESULT_SAMPLE;
  case GCMON_CALL_COLLECT:
    return GCMON__RESULT_COLLECT;
  case GCMON_CALL_SUBSCRIBE:
    return GCMON__RESULT_SUBSCRIBED;
  case GCMON_CALL_GET_HISTORY:
    return GCMON__RESULT_HISTORY;
  case GCMON_CALL_GET_WATERMARKS:
    return GCMON__RESULT_WATERMARKS;
  case GCMON_CALL_GET_COLLECTIONS:
    return GCMON__RESULT_COLLECTIONS;
  case GCMON_CALL_ADD_ALARM:
    return GCMON__RESULT_ALARM;
  case GCMON_CALL_LIST_ALARMS:
    return GCMON__RESULT_ALARMS;
  case GCMON_CALL_UNSUBSCRIBE:
  case GCMON_CALL_REMOVE_ALARM:
    break;
  }
  return GCMON__RESULT_NONE;
}
