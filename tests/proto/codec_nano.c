/* codec_view <-> nanopb gcmon_v1_Packet. Field numbers in the view are the
 * schema's, and nanopb's which_* members hold the same numbers, so the
 * switch cases below read as the schema does. */
#include "codec_nano.h"

#include <pb_encode.h>
#include <string.h>

static void mem_to_nano(const gcmon_mem_info *m, gcmon_v1_MemInfo *n) {
  n->total = m->total;
  n->used = m->used;
  n->free = m->free;
}

static void mem_from_nano(const gcmon_v1_MemInfo *n, gcmon_mem_info *m) {
  m->total = n->total;
  m->used = n->used;
  m->free = n->free;
}

static void sample_to_nano(const gcmon_sample *s, gcmon_v1_Sample *n) {
  n->seq = s->seq;
  n->uptime_us = s->uptime_us;
  n->has_gc = s->has_gc;
  if (s->has_gc) {
    n->gc.mem_alloc = s->gc.mem_alloc;
    n->gc.mem_free = s->gc.mem_free;
    n->gc.threshold = s->gc.threshold;
    n->gc.enabled = s->gc.enabled;
    n->gc.collections = s->gc.collections;
    n->gc.largest_free = s->gc.largest_free;
  }
  n->sys_total = s->sys_total;
  n->has_sys_heap = s->has_sys_heap;
  n->has_sys_page = s->has_sys_page;
  n->has_sys_mmz = s->has_sys_mmz;
  if (s->has_sys_heap)
    mem_to_nano(&s->sys_heap, &n->sys_heap);
  if (s->has_sys_page)
    mem_to_nano(&s->sys_page, &n->sys_page);
  if (s->has_sys_mmz)
    mem_to_nano(&s->sys_mmz, &n->sys_mmz);
}

static void sample_from_nano(const gcmon_v1_Sample *n, gcmon_sample *s) {
  s->seq = n->seq;
  s->uptime_us = n->uptime_us;
  s->has_gc = n->has_gc;
  if (n->has_gc) {
    s->gc.mem_alloc = n->gc.mem_alloc;
    s->gc.mem_free = n->gc.mem_free;
    s->gc.threshold = n->gc.threshold;
    s->gc.enabled = n->gc.enabled;
    s->gc.collections = n->gc.collections;
    s->gc.largest_free = n->gc.largest_free;
  }
  s->sys_total = n->sys_total;
  s->has_sys_heap = n->has_sys_heap;
  s->has_sys_page = n->has_sys_page;
  s->has_sys_mmz = n->has_sys_mmz;
  if (n->has_sys_heap)
    mem_from_nano(&n->sys_heap, &s->sys_heap);
  if (n->has_sys_page)
    mem_from_nano(&n->sys_page, &s->sys_page);
  if (n->has_sys_mmz)
    mem_from_nano(&n->sys_mmz, &s->sys_mmz);
}

/* Copy a view string into a fixed nanopb char array; -1 if it does not fit
 * with its NUL. */
static int put_str(char *dst, size_t cap, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= cap)
    return -1;
  memcpy(dst, src ? src : "", n + 1);
  return 0;
}

#define PUT_STR(dst, src) put_str((dst), sizeof(dst), (src))

static int request_to_nano(const codec_view *v, gcmon_v1_Request *r) {
  const uint64_t *f = v->num;

  r->id = v->id;
  r->which_call = (pb_size_t)v->which;
  switch (v->which) {
  case gcmon_v1_Request_hello_tag:
    r->call.hello.version = (uint32_t)f[1];
    if (v->token_len > sizeof r->call.hello.token.bytes)
      return -1;
    r->call.hello.token.size = (pb_size_t)v->token_len;
    if (v->token_len > 0)
      memcpy(r->call.hello.token.bytes, v->token, v->token_len);
    return PUT_STR(r->call.hello.client, v->str[2]);
  case gcmon_v1_Request_get_sample_tag:
  case gcmon_v1_Request_collect_tag:
    return 0;
  case gcmon_v1_Request_set_threshold_tag:
    r->call.set_threshold.bytes = (int64_t)f[1];
    return 0;
  case gcmon_v1_Request_set_enabled_tag:
    r->call.set_enabled.enabled = f[1] != 0;
    return 0;
  case gcmon_v1_Request_subscribe_tag:
    r->call.subscribe.interval_ms = (uint32_t)f[1];
    r->call.subscribe.from_seq = f[2];
    return 0;
  case gcmon_v1_Request_unsubscribe_tag:
    r->call.unsubscribe.subscription = (uint32_t)f[1];
    return 0;
  case gcmon_v1_Request_get_history_tag:
    r->call.get_history.from_seq = f[1];
    r->call.get_history.max_count = (uint32_t)f[2];
    return 0;
  }
  return -1;
}

static int response_to_nano(const codec_view *v, gcmon_v1_Response *r) {
  const uint64_t *f = v->num;

  r->id = v->id;
  r->has_status = v->has_status;
  r->status.code = (gcmon_v1_Status_Code)v->status_code;
  if (PUT_STR(r->status.message, v->status_msg) != 0)
    return -1;
  r->which_result = (pb_size_t)v->which;
  switch (v->which) {
  case 0:
    return 0;
  case gcmon_v1_Response_hello_tag: {
    gcmon_v1_HelloResponse *h = &r->result.hello;
    h->version = (uint32_t)f[1];
    h->run_id = f[5];
    h->max_payload = (uint32_t)f[6];
    h->history_capacity = (uint32_t)f[7];
    h->min_interval_ms = (uint32_t)f[8];
    h->control = f[9] != 0;
    h->max_subscriptions = (uint32_t)f[10];
    h->max_sessions = (uint32_t)f[11];
    return PUT_STR(h->daemon, v->str[2]) || PUT_STR(h->source, v->str[3]) ||
                   PUT_STR(h->device_id, v->str[4])
               ? -1
               : 0;
  }
  case gcmon_v1_Response_sample_tag:
    if (v->nsamples != 1)
      return -1;
    sample_to_nano(&v->samples[0], &r->result.sample);
    return 0;
  case gcmon_v1_Response_collect_tag:
    if (v->nsamples > 1)
      return -1;
    r->result.collect.freed_bytes = (int64_t)f[1];
    r->result.collect.duration_us = f[2];
    r->result.collect.has_after = v->nsamples == 1;
    if (v->nsamples == 1)
      sample_to_nano(&v->samples[0], &r->result.collect.after);
    return 0;
  case gcmon_v1_Response_subscribed_tag:
    r->result.subscribed.subscription = (uint32_t)f[1];
    r->result.subscribed.interval_ms = (uint32_t)f[2];
    r->result.subscribed.first_seq = f[3];
    return 0;
  case gcmon_v1_Response_history_tag:
    if (v->nsamples > CODEC_MAX_SAMPLES)
      return -1;
    r->result.history.samples_count = (pb_size_t)v->nsamples;
    for (size_t i = 0; i < v->nsamples; i++)
      sample_to_nano(&v->samples[i], &r->result.history.samples[i]);
    r->result.history.next_seq = f[2];
    r->result.history.oldest_seq = f[3];
    return 0;
  }
  return -1;
}

int codec_view_to_nano(const codec_view *v, gcmon_v1_Packet *p) {
  memset(p, 0, sizeof *p);
  p->which_kind = (pb_size_t)v->kind;
  switch (v->kind) {
  case CODEC_REQUEST:
    return request_to_nano(v, &p->kind.request);
  case CODEC_RESPONSE:
    return response_to_nano(v, &p->kind.response);
  case CODEC_EVENT:
    p->kind.event.subscription = v->id;
    p->kind.event.which_body = (pb_size_t)v->which;
    if (v->which == 0 && v->nsamples == 0)
      return 0;
    if (v->which != gcmon_v1_Event_sample_tag || v->nsamples != 1)
      return -1;
    sample_to_nano(&v->samples[0], &p->kind.event.body.sample);
    return 0;
  }
  return -1;
}

static int request_from_nano(const gcmon_v1_Request *r, codec_view *v) {
  uint64_t *f = v->num;

  v->id = r->id;
  v->which = r->which_call;
  switch (r->which_call) {
  case gcmon_v1_Request_hello_tag:
    f[1] = r->call.hello.version;
    v->str[2] = r->call.hello.client;
    v->token = r->call.hello.token.bytes;
    v->token_len = r->call.hello.token.size;
    return 0;
  case gcmon_v1_Request_get_sample_tag:
  case gcmon_v1_Request_collect_tag:
    return 0;
  case gcmon_v1_Request_set_threshold_tag:
    f[1] = (uint64_t)r->call.set_threshold.bytes;
    return 0;
  case gcmon_v1_Request_set_enabled_tag:
    f[1] = r->call.set_enabled.enabled;
    return 0;
  case gcmon_v1_Request_subscribe_tag:
    f[1] = r->call.subscribe.interval_ms;
    f[2] = r->call.subscribe.from_seq;
    return 0;
  case gcmon_v1_Request_unsubscribe_tag:
    f[1] = r->call.unsubscribe.subscription;
    return 0;
  case gcmon_v1_Request_get_history_tag:
    f[1] = r->call.get_history.from_seq;
    f[2] = r->call.get_history.max_count;
    return 0;
  }
  return -1;
}

static int response_from_nano(const gcmon_v1_Response *r, codec_view *v) {
  uint64_t *f = v->num;

  v->id = r->id;
  v->has_status = r->has_status;
  v->status_code = r->status.code;
  v->status_msg = r->status.message;
  v->which = r->which_result;
  switch (r->which_result) {
  case 0:
    return 0;
  case gcmon_v1_Response_hello_tag: {
    const gcmon_v1_HelloResponse *h = &r->result.hello;
    f[1] = h->version;
    v->str[2] = h->daemon;
    v->str[3] = h->source;
    v->str[4] = h->device_id;
    f[5] = h->run_id;
    f[6] = h->max_payload;
    f[7] = h->history_capacity;
    f[8] = h->min_interval_ms;
    f[9] = h->control;
    f[10] = h->max_subscriptions;
    f[11] = h->max_sessions;
    return 0;
  }
  case gcmon_v1_Response_sample_tag:
    v->nsamples = 1;
    sample_from_nano(&r->result.sample, &v->samples[0]);
    return 0;
  case gcmon_v1_Response_collect_tag:
    f[1] = (uint64_t)r->result.collect.freed_bytes;
    f[2] = r->result.collect.duration_us;
    v->nsamples = r->result.collect.has_after ? 1 : 0;
    if (r->result.collect.has_after)
      sample_from_nano(&r->result.collect.after, &v->samples[0]);
    return 0;
  case gcmon_v1_Response_subscribed_tag:
    f[1] = r->result.subscribed.subscription;
    f[2] = r->result.subscribed.interval_ms;
    f[3] = r->result.subscribed.first_seq;
    return 0;
  case gcmon_v1_Response_history_tag:
    v->nsamples = r->result.history.samples_count;
    for (size_t i = 0; i < v->nsamples; i++)
      sample_from_nano(&r->result.history.samples[i], &v->samples[i]);
    f[2] = r->result.history.next_seq;
    f[3] = r->result.history.oldest_seq;
    return 0;
  }
  return -1;
}

int codec_nano_to_view(const gcmon_v1_Packet *p, codec_view *v) {
  memset(v, 0, sizeof *v);
  v->kind = p->which_kind;
  switch (p->which_kind) {
  case CODEC_REQUEST:
    return request_from_nano(&p->kind.request, v);
  case CODEC_RESPONSE:
    return response_from_nano(&p->kind.response, v);
  case CODEC_EVENT:
    v->id = p->kind.event.subscription;
    v->which = p->kind.event.which_body;
    if (v->which == gcmon_v1_Event_sample_tag) {
      v->nsamples = 1;
      sample_from_nano(&p->kind.event.body.sample, &v->samples[0]);
    }
    return v->which == 0 || v->which == gcmon_v1_Event_sample_tag ? 0 : -1;
  }
  return -1;
}

size_t codec_nano_encode(const codec_view *v, uint8_t *out, size_t cap) {
  gcmon_v1_Packet p;
  if (codec_view_to_nano(v, &p) != 0)
    return 0;
  pb_ostream_t os = pb_ostream_from_buffer(out, cap);
  if (!pb_encode(&os, gcmon_v1_Packet_fields, &p))
    return 0;
  return os.bytes_written;
}
