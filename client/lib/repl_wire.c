/* Requests in, Responses and Events out, for the stock adapter (see
 * repl_wire.h). The mirror of codec.c, on the daemon's side of the wire. */
#include "repl_wire.h"

#include "gcmon.pb-c.h"
#include "gcmon_frame.h"

#include <string.h>

int gcmon__repl_decode_request(const uint8_t *payload, size_t len,
                               gcmon__repl_req *out) {
  Gcmon__V1__Packet *pkt = gcmon__v1__packet__unpack(NULL, len, payload);
  const Gcmon__V1__Request *q;

  memset(out, 0, sizeof *out);
  if (!pkt)
    return GCMON_EPARSE;
  if (pkt->kind_case != GCMON__V1__PACKET__KIND_REQUEST || !pkt->request) {
    gcmon__v1__packet__free_unpacked(pkt, NULL);
    return GCMON_EPARSE;
  }
  q = pkt->request;
  out->id = q->id;
  switch (q->call_case) {
  case GCMON__V1__REQUEST__CALL_HELLO:
    out->call = GCMON_CALL_HELLO;
    break;
  case GCMON__V1__REQUEST__CALL_GET_SAMPLE:
    out->call = GCMON_CALL_GET_SAMPLE;
    break;
  case GCMON__V1__REQUEST__CALL_COLLECT:
    out->call = GCMON_CALL_COLLECT;
    break;
  case GCMON__V1__REQUEST__CALL_SET_THRESHOLD:
    out->call = GCMON_CALL_SET_THRESHOLD;
    out->threshold = q->set_threshold->bytes;
    break;
  case GCMON__V1__REQUEST__CALL_SET_ENABLED:
    out->call = GCMON_CALL_SET_ENABLED;
    out->enabled = q->set_enabled->enabled != 0;
    break;
  case GCMON__V1__REQUEST__CALL_SUBSCRIBE:
    out->call = GCMON_CALL_SUBSCRIBE;
    out->interval_ms = q->subscribe->interval_ms;
    out->from_seq = q->subscribe->from_seq;
    break;
  case GCMON__V1__REQUEST__CALL_UNSUBSCRIBE:
    out->call = GCMON_CALL_UNSUBSCRIBE;
    out->subscription = q->unsubscribe->subscription;
    break;
  case GCMON__V1__REQUEST__CALL_GET_HISTORY:
    out->call = GCMON_CALL_GET_HISTORY;
    out->from_seq = q->get_history->from_seq;
    out->max_count = q->get_history->max_count;
    break;
  default:
    out->call = 0;
    break;
  }
  gcmon__v1__packet__free_unpacked(pkt, NULL);
  return 0;
}

/* A Sample and everything it points to, on the stack of the encoder. */
typedef struct {
  Gcmon__V1__Sample s;
  Gcmon__V1__GcInfo gc;
  Gcmon__V1__MemInfo heap, page, mmz;
} pb_sample;

static void mem_to_pb(Gcmon__V1__MemInfo *m, const gcmon_mem_info *src) {
  gcmon__v1__mem_info__init(m);
  m->total = src->total;
  m->used = src->used;
  m->free = src->free;
}

static Gcmon__V1__Sample *sample_to_pb(pb_sample *p, const gcmon_sample *src) {
  gcmon__v1__sample__init(&p->s);
  p->s.seq = src->seq;
  p->s.uptime_us = src->uptime_us;
  p->s.sys_total = src->sys_total;
  if (src->has_gc) {
    gcmon__v1__gc_info__init(&p->gc);
    p->gc.mem_alloc = src->gc.mem_alloc;
    p->gc.mem_free = src->gc.mem_free;
    p->gc.threshold = src->gc.threshold;
    p->gc.enabled = src->gc.enabled;
    p->gc.collections = src->gc.collections;
    p->gc.largest_free = src->gc.largest_free;
    p->s.gc = &p->gc;
  }
  if (src->has_sys_heap) {
    mem_to_pb(&p->heap, &src->sys_heap);
    p->s.sys_heap = &p->heap;
  }
  if (src->has_sys_page) {
    mem_to_pb(&p->page, &src->sys_page);
    p->s.sys_page = &p->page;
  }
  if (src->has_sys_mmz) {
    mem_to_pb(&p->mmz, &src->sys_mmz);
    p->s.sys_mmz = &p->mmz;
  }
  return &p->s;
}

static size_t frame_packet(const Gcmon__V1__Packet *pkt, uint8_t *out,
                           size_t cap) {
  uint8_t payload[GCMON_MAX_PAYLOAD];
  size_t n = gcmon__v1__packet__get_packed_size(pkt);
  if (n == 0 || n > sizeof payload)
    return 0;
  gcmon__v1__packet__pack(pkt, payload);
  return gcmon_frame_encode(payload, n, out, cap);
}

size_t gcmon__repl_frame_reply(const gcmon__repl_reply *r, uint8_t *out,
                               size_t cap) {
  Gcmon__V1__Packet pkt = GCMON__V1__PACKET__INIT;
  Gcmon__V1__Response resp = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Status st = GCMON__V1__STATUS__INIT;
  Gcmon__V1__HelloResponse hello = GCMON__V1__HELLO_RESPONSE__INIT;
  Gcmon__V1__CollectResult col = GCMON__V1__COLLECT_RESULT__INIT;
  Gcmon__V1__Subscribed sub = GCMON__V1__SUBSCRIBED__INIT;
  Gcmon__V1__History hist = GCMON__V1__HISTORY__INIT;
  Gcmon__V1__Sample *ptrs[GCMON_HISTORY_MAX];
  pb_sample one, many[GCMON_HISTORY_MAX];

  pkt.kind_case = GCMON__V1__PACKET__KIND_RESPONSE;
  pkt.response = &resp;
  resp.id = r->id;
  if (r->code != 0) {
    st.code = (Gcmon__V1__Status__Code)r->code;
    st.message = (char *)(uintptr_t)(r->message ? r->message : "");
    resp.status = &st;
  }
  switch (r->kind) {
  case GCMON__REPLY_HELLO:
    hello.version = r->hello->version;
    hello.daemon = (char *)(uintptr_t)r->hello->daemon;
    hello.source = (char *)(uintptr_t)r->hello->source;
    hello.device_id = (char *)(uintptr_t)r->hello->device_id;
    hello.run_id = r->hello->run_id;
    hello.max_payload = r->hello->max_payload;
    hello.history_capacity = r->hello->history_capacity;
    hello.min_interval_ms = r->hello->min_interval_ms;
    hello.control = r->hello->control;
    hello.max_subscriptions = r->hello->max_subscriptions;
    hello.max_sessions = r->hello->max_sessions;
    resp.result_case = GCMON__V1__RESPONSE__RESULT_HELLO;
    resp.hello = &hello;
    break;
  case GCMON__REPLY_SAMPLE:
    resp.result_case = GCMON__V1__RESPONSE__RESULT_SAMPLE;
    resp.sample = sample_to_pb(&one, r->sample);
    break;
  case GCMON__REPLY_COLLECT:
    col.freed_bytes = r->freed_bytes;
    col.duration_us = r->duration_us;
    col.after = sample_to_pb(&one, r->sample);
    resp.result_case = GCMON__V1__RESPONSE__RESULT_COLLECT;
    resp.collect = &col;
    break;
  case GCMON__REPLY_SUBSCRIBED:
    sub.subscription = r->subscribed.subscription;
    sub.interval_ms = r->subscribed.interval_ms;
    sub.first_seq = r->subscribed.first_seq;
    resp.result_case = GCMON__V1__RESPONSE__RESULT_SUBSCRIBED;
    resp.subscribed = &sub;
    break;
  case GCMON__REPLY_HISTORY:
    for (size_t i = 0; i < r->count && i < GCMON_HISTORY_MAX; i++)
      ptrs[i] = sample_to_pb(&many[i], r->history[i]);
    hist.n_samples = r->count < GCMON_HISTORY_MAX ? r->count : GCMON_HISTORY_MAX;
    hist.samples = ptrs;
    hist.next_seq = r->next_seq;
    hist.oldest_seq = r->oldest_seq;
    resp.result_case = GCMON__V1__RESPONSE__RESULT_HISTORY;
    resp.history = &hist;
    break;
  case GCMON__REPLY_NONE:
    break;
  }
  return frame_packet(&pkt, out, cap);
}

size_t gcmon__repl_frame_event(uint32_t subscription, const gcmon_sample *s,
                               uint8_t *out, size_t cap) {
  Gcmon__V1__Packet pkt = GCMON__V1__PACKET__INIT;
  Gcmon__V1__Event ev = GCMON__V1__EVENT__INIT;
  pb_sample one;

  pkt.kind_case = GCMON__V1__PACKET__KIND_EVENT;
  pkt.event = &ev;
  ev.subscription = subscription;
  ev.body_case = GCMON__V1__EVENT__BODY_SAMPLE;
  ev.sample = sample_to_pb(&one, s);
  return frame_packet(&pkt, out, cap);
}
