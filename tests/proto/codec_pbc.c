/* codec_view <-> protobuf-c Gcmon__V1__Packet. Building points every
 * sub-message into one caller-owned codec_pbc, so a view packs without any
 * allocation; reading takes whatever protobuf-c unpacked. */
#include "codec_pbc.h"

#include <string.h>

static void mem_to_pbc(const gcmon_mem_info *m, Gcmon__V1__MemInfo *p) {
  gcmon__v1__mem_info__init(p);
  p->total = m->total;
  p->used = m->used;
  p->free = m->free;
}

static void mem_from_pbc(const Gcmon__V1__MemInfo *p, gcmon_mem_info *m) {
  m->total = p->total;
  m->used = p->used;
  m->free = p->free;
}

/* Build storage slot i of s from sample x. */
static Gcmon__V1__Sample *sample_to_pbc(const gcmon_sample *x, codec_pbc *s,
                                        size_t i) {
  Gcmon__V1__Sample *p = &s->samples[i];

  gcmon__v1__sample__init(p);
  p->seq = x->seq;
  p->uptime_us = x->uptime_us;
  if (x->has_gc) {
    Gcmon__V1__GcInfo *g = &s->gc[i];
    gcmon__v1__gc_info__init(g);
    g->mem_alloc = x->gc.mem_alloc;
    g->mem_free = x->gc.mem_free;
    g->threshold = x->gc.threshold;
    g->enabled = x->gc.enabled;
    g->collections = x->gc.collections;
    g->largest_free = x->gc.largest_free;
    p->gc = g;
  }
  p->sys_total = x->sys_total;
  if (x->has_sys_heap) {
    mem_to_pbc(&x->sys_heap, &s->mem[i][0]);
    p->sys_heap = &s->mem[i][0];
  }
  if (x->has_sys_page) {
    mem_to_pbc(&x->sys_page, &s->mem[i][1]);
    p->sys_page = &s->mem[i][1];
  }
  if (x->has_sys_mmz) {
    mem_to_pbc(&x->sys_mmz, &s->mem[i][2]);
    p->sys_mmz = &s->mem[i][2];
  }
  return p;
}

static void sample_from_pbc(const Gcmon__V1__Sample *p, gcmon_sample *x) {
  x->seq = p->seq;
  x->uptime_us = p->uptime_us;
  x->has_gc = p->gc != NULL;
  if (p->gc) {
    x->gc.mem_alloc = p->gc->mem_alloc;
    x->gc.mem_free = p->gc->mem_free;
    x->gc.threshold = p->gc->threshold;
    x->gc.enabled = p->gc->enabled != 0;
    x->gc.collections = p->gc->collections;
    x->gc.largest_free = p->gc->largest_free;
  }
  x->sys_total = p->sys_total;
  x->has_sys_heap = p->sys_heap != NULL;
  x->has_sys_page = p->sys_page != NULL;
  x->has_sys_mmz = p->sys_mmz != NULL;
  if (p->sys_heap)
    mem_from_pbc(p->sys_heap, &x->sys_heap);
  if (p->sys_page)
    mem_from_pbc(p->sys_page, &x->sys_page);
  if (p->sys_mmz)
    mem_from_pbc(p->sys_mmz, &x->sys_mmz);
}

/* Copy src into dst (CODEC_PBC_STR_CAP bytes); NULL when it does not fit. */
static char *put_str(char *dst, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n >= CODEC_PBC_STR_CAP)
    return NULL;
  memcpy(dst, src ? src : "", n + 1);
  return dst;
}

static int request_to_pbc(const codec_view *v, codec_pbc *s) {
  Gcmon__V1__Request *r = &s->request;
  const uint64_t *f = v->num;

  r->id = v->id;
  r->call_case = (Gcmon__V1__Request__CallCase)v->which;
  switch (v->which) {
  case GCMON__V1__REQUEST__CALL_HELLO:
    gcmon__v1__hello_request__init(&s->hello_req);
    s->hello_req.version = (uint32_t)f[1];
    s->hello_req.client = put_str(s->str[2], v->str[2]);
    if (!s->hello_req.client || v->token_len > sizeof s->token)
      return -1;
    if (v->token_len > 0)
      memcpy(s->token, v->token, v->token_len);
    s->hello_req.token.data = s->token;
    s->hello_req.token.len = v->token_len;
    r->hello = &s->hello_req;
    return 0;
  case GCMON__V1__REQUEST__CALL_GET_SAMPLE:
    gcmon__v1__get_sample_request__init(&s->get_sample);
    r->get_sample = &s->get_sample;
    return 0;
  case GCMON__V1__REQUEST__CALL_COLLECT:
    gcmon__v1__collect_request__init(&s->collect_req);
    r->collect = &s->collect_req;
    return 0;
  case GCMON__V1__REQUEST__CALL_SET_THRESHOLD:
    gcmon__v1__set_threshold_request__init(&s->set_threshold);
    s->set_threshold.bytes = (int64_t)f[1];
    r->set_threshold = &s->set_threshold;
    return 0;
  case GCMON__V1__REQUEST__CALL_SET_ENABLED:
    gcmon__v1__set_enabled_request__init(&s->set_enabled);
    s->set_enabled.enabled = f[1] != 0;
    r->set_enabled = &s->set_enabled;
    return 0;
  case GCMON__V1__REQUEST__CALL_SUBSCRIBE:
    gcmon__v1__subscribe_request__init(&s->subscribe);
    s->subscribe.interval_ms = (uint32_t)f[1];
    s->subscribe.from_seq = f[2];
    r->subscribe = &s->subscribe;
    return 0;
  case GCMON__V1__REQUEST__CALL_UNSUBSCRIBE:
    gcmon__v1__unsubscribe_request__init(&s->unsubscribe);
    s->unsubscribe.subscription = (uint32_t)f[1];
    r->unsubscribe = &s->unsubscribe;
    return 0;
  case GCMON__V1__REQUEST__CALL_GET_HISTORY:
    gcmon__v1__get_history_request__init(&s->get_history);
    s->get_history.from_seq = f[1];
    s->get_history.max_count = (uint32_t)f[2];
    r->get_history = &s->get_history;
    return 0;
  }
  return -1;
}

static int hello_to_pbc(const codec_view *v, codec_pbc *s) {
  Gcmon__V1__HelloResponse *h = &s->hello;
  const uint64_t *f = v->num;

  gcmon__v1__hello_response__init(h);
  h->version = (uint32_t)f[1];
  h->daemon = put_str(s->str[2], v->str[2]);
  h->source = put_str(s->str[3], v->str[3]);
  h->device_id = put_str(s->str[4], v->str[4]);
  h->run_id = f[5];
  h->max_payload = (uint32_t)f[6];
  h->history_capacity = (uint32_t)f[7];
  h->min_interval_ms = (uint32_t)f[8];
  h->control = f[9] != 0;
  h->max_subscriptions = (uint32_t)f[10];
  h->max_sessions = (uint32_t)f[11];
  s->response.hello = h;
  return h->daemon && h->source && h->device_id ? 0 : -1;
}

static int response_to_pbc(const codec_view *v, codec_pbc *s) {
  Gcmon__V1__Response *r = &s->response;
  const uint64_t *f = v->num;

  r->id = v->id;
  if (v->has_status) {
    gcmon__v1__status__init(&s->status);
    s->status.code = (Gcmon__V1__Status__Code)v->status_code;
    s->status.message = put_str(s->status_msg, v->status_msg);
    if (!s->status.message)
      return -1;
    r->status = &s->status;
  }
  r->result_case = (Gcmon__V1__Response__ResultCase)v->which;
  switch (v->which) {
  case GCMON__V1__RESPONSE__RESULT__NOT_SET:
    return 0;
  case GCMON__V1__RESPONSE__RESULT_HELLO:
    return hello_to_pbc(v, s);
  case GCMON__V1__RESPONSE__RESULT_SAMPLE:
    if (v->nsamples != 1)
      return -1;
    r->sample = sample_to_pbc(&v->samples[0], s, 0);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_COLLECT:
    if (v->nsamples > 1)
      return -1;
    gcmon__v1__collect_result__init(&s->collect);
    s->collect.freed_bytes = (int64_t)f[1];
    s->collect.duration_us = f[2];
    if (v->nsamples == 1)
      s->collect.after = sample_to_pbc(&v->samples[0], s, 0);
    r->collect = &s->collect;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_SUBSCRIBED:
    gcmon__v1__subscribed__init(&s->subscribed);
    s->subscribed.subscription = (uint32_t)f[1];
    s->subscribed.interval_ms = (uint32_t)f[2];
    s->subscribed.first_seq = f[3];
    r->subscribed = &s->subscribed;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_HISTORY:
    if (v->nsamples > CODEC_MAX_SAMPLES)
      return -1;
    gcmon__v1__history__init(&s->history);
    for (size_t i = 0; i < v->nsamples; i++)
      s->sample_ptrs[i] = sample_to_pbc(&v->samples[i], s, i);
    s->history.n_samples = v->nsamples;
    s->history.samples = s->sample_ptrs;
    s->history.next_seq = f[2];
    s->history.oldest_seq = f[3];
    r->history = &s->history;
    return 0;
  }
  return -1;
}

int codec_view_to_pbc(const codec_view *v, codec_pbc *s) {
  memset(s, 0, sizeof *s);
  gcmon__v1__packet__init(&s->packet);
  gcmon__v1__request__init(&s->request);
  gcmon__v1__response__init(&s->response);
  gcmon__v1__event__init(&s->event);
  s->packet.kind_case = (Gcmon__V1__Packet__KindCase)v->kind;
  switch (v->kind) {
  case CODEC_REQUEST:
    s->packet.request = &s->request;
    return request_to_pbc(v, s);
  case CODEC_RESPONSE:
    s->packet.response = &s->response;
    return response_to_pbc(v, s);
  case CODEC_EVENT:
    s->packet.event = &s->event;
    s->event.subscription = v->id;
    s->event.body_case = (Gcmon__V1__Event__BodyCase)v->which;
    if (v->which == GCMON__V1__EVENT__BODY__NOT_SET && v->nsamples == 0)
      return 0;
    if (v->which != GCMON__V1__EVENT__BODY_SAMPLE || v->nsamples != 1)
      return -1;
    s->event.sample = sample_to_pbc(&v->samples[0], s, 0);
    return 0;
  }
  return -1;
}

static int request_from_pbc(const Gcmon__V1__Request *r, codec_view *v) {
  uint64_t *f = v->num;

  v->id = r->id;
  v->which = (int)r->call_case;
  switch (v->which) {
  case GCMON__V1__REQUEST__CALL_HELLO:
    f[1] = r->hello->version;
    v->str[2] = r->hello->client;
    v->token = r->hello->token.data;
    v->token_len = r->hello->token.len;
    return 0;
  case GCMON__V1__REQUEST__CALL_GET_SAMPLE:
  case GCMON__V1__REQUEST__CALL_COLLECT:
    return 0;
  case GCMON__V1__REQUEST__CALL_SET_THRESHOLD:
    f[1] = (uint64_t)r->set_threshold->bytes;
    return 0;
  case GCMON__V1__REQUEST__CALL_SET_ENABLED:
    f[1] = r->set_enabled->enabled != 0;
    return 0;
  case GCMON__V1__REQUEST__CALL_SUBSCRIBE:
    f[1] = r->subscribe->interval_ms;
    f[2] = r->subscribe->from_seq;
    return 0;
  case GCMON__V1__REQUEST__CALL_UNSUBSCRIBE:
    f[1] = r->unsubscribe->subscription;
    return 0;
  case GCMON__V1__REQUEST__CALL_GET_HISTORY:
    f[1] = r->get_history->from_seq;
    f[2] = r->get_history->max_count;
    return 0;
  }
  return -1;
}

static int response_from_pbc(const Gcmon__V1__Response *r, codec_view *v) {
  uint64_t *f = v->num;

  v->id = r->id;
  v->has_status = r->status != NULL;
  if (r->status) {
    v->status_code = (int)r->status->code;
    v->status_msg = r->status->message;
  }
  v->which = (int)r->result_case;
  switch (v->which) {
  case GCMON__V1__RESPONSE__RESULT__NOT_SET:
    return 0;
  case GCMON__V1__RESPONSE__RESULT_HELLO:
    f[1] = r->hello->version;
    v->str[2] = r->hello->daemon;
    v->str[3] = r->hello->source;
    v->str[4] = r->hello->device_id;
    f[5] = r->hello->run_id;
    f[6] = r->hello->max_payload;
    f[7] = r->hello->history_capacity;
    f[8] = r->hello->min_interval_ms;
    f[9] = r->hello->control != 0;
    f[10] = r->hello->max_subscriptions;
    f[11] = r->hello->max_sessions;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_SAMPLE:
    v->nsamples = 1;
    sample_from_pbc(r->sample, &v->samples[0]);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_COLLECT:
    f[1] = (uint64_t)r->collect->freed_bytes;
    f[2] = r->collect->duration_us;
    v->nsamples = r->collect->after ? 1 : 0;
    if (r->collect->after)
      sample_from_pbc(r->collect->after, &v->samples[0]);
    return 0;
  case GCMON__V1__RESPONSE__RESULT_SUBSCRIBED:
    f[1] = r->subscribed->subscription;
    f[2] = r->subscribed->interval_ms;
    f[3] = r->subscribed->first_seq;
    return 0;
  case GCMON__V1__RESPONSE__RESULT_HISTORY:
    if (r->history->n_samples > CODEC_MAX_SAMPLES)
      return -1;
    v->nsamples = r->history->n_samples;
    for (size_t i = 0; i < v->nsamples; i++)
      sample_from_pbc(r->history->samples[i], &v->samples[i]);
    f[2] = r->history->next_seq;
    f[3] = r->history->oldest_seq;
    return 0;
  }
  return -1;
}

int codec_pbc_to_view(const Gcmon__V1__Packet *p, codec_view *v) {
  memset(v, 0, sizeof *v);
  v->kind = (int)p->kind_case;
  switch (v->kind) {
  case CODEC_REQUEST:
    return request_from_pbc(p->request, v);
  case CODEC_RESPONSE:
    return response_from_pbc(p->response, v);
  case CODEC_EVENT:
    v->id = p->event->subscription;
    v->which = (int)p->event->body_case;
    if (v->which == GCMON__V1__EVENT__BODY_SAMPLE) {
      v->nsamples = 1;
      sample_from_pbc(p->event->sample, &v->samples[0]);
    }
    return v->which == GCMON__V1__EVENT__BODY__NOT_SET ||
                   v->which == GCMON__V1__EVENT__BODY_SAMPLE
               ? 0
               : -1;
  }
  return -1;
}
