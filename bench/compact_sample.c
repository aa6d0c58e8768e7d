/* Byte-exact encoders for the proposed compact sample events (see
 * compact_sample.h). Plain protobuf wire format written by hand: tags,
 * varints, zigzag; messages are built inside out so each length is known
 * before it is written. */
#include "compact_sample.h"

#include <stdbool.h>
#include <string.h>

/* Field numbers of the proposed messages. */
#define EVENT_SUBSCRIPTION 1
#define EVENT_FLAT         3 /* Event.body: next free oneof numbers */
#define EVENT_DELTA        4
#define PACKET_EVENT       3

/* Which values are sint64 in gcmon.proto (zigzag in the flat form). */
static const bool value_signed[BENCH_SAMPLE_VALUES] = {
    false, false,               /* seq, uptime_us */
    true,  true,  true,  false, /* mem_alloc, mem_free, threshold, enabled */
    false, true,                /* collections, largest_free */
    false,                      /* sys_total */
    false, false, false, false, false, false, false, false, false};

/* MemInfo.free: total - used, left out of both compact forms. */
static bool value_derived(int i) {
  return i >= 9 && (i - 9) % 3 == 2;
}

void bench_sample_values(const gcmon_v1_Sample *s,
                         uint64_t v[BENCH_SAMPLE_VALUES]) {
  const gcmon_v1_MemInfo *m[3] = {&s->sys_heap, &s->sys_page, &s->sys_mmz};
  v[0] = s->seq;
  v[1] = s->uptime_us;
  v[2] = (uint64_t)s->gc.mem_alloc;
  v[3] = (uint64_t)s->gc.mem_free;
  v[4] = (uint64_t)s->gc.threshold;
  v[5] = s->gc.enabled;
  v[6] = s->gc.collections;
  v[7] = (uint64_t)s->gc.largest_free;
  v[8] = s->sys_total;
  for (int i = 0; i < 3; i++) {
    v[9 + 3 * i] = m[i]->total;
    v[10 + 3 * i] = m[i]->used;
    v[11 + 3 * i] = m[i]->free;
  }
}

typedef struct {
  uint8_t *p;
  size_t len, cap;
  bool ok;
} writer;

static void put_byte(writer *w, uint8_t b) {
  if (w->len < w->cap)
    w->p[w->len++] = b;
  else
    w->ok = false;
}

static void put_varint(writer *w, uint64_t v) {
  while (v >= 0x80) {
    put_byte(w, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  put_byte(w, (uint8_t)v);
}

static uint64_t zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void put_field(writer *w, uint32_t field, uint64_t v) {
  if (v == 0)
    return; /* proto3 omits zero scalars */
  put_varint(w, (uint64_t)field << 3);
  put_varint(w, v);
}

static void put_bytes(writer *w, uint32_t field, const uint8_t *b, size_t n) {
  put_varint(w, (uint64_t)field << 3 | 2u);
  put_varint(w, n);
  for (size_t i = 0; i < n; i++)
    put_byte(w, b[i]);
}

/* Wrap a body as Packet{event{subscription, body}}. */
static size_t wrap_event(uint32_t subscription, uint32_t body_field,
                         const uint8_t *body, size_t n, uint8_t *out,
                         size_t cap) {
  uint8_t ev[512];
  writer e = {ev, 0, sizeof ev, true};
  writer p = {out, 0, cap, true};
  put_field(&e, EVENT_SUBSCRIPTION, subscription);
  put_bytes(&e, body_field, body, n);
  put_bytes(&p, PACKET_EVENT, ev, e.len);
  return e.ok && p.ok ? p.len : 0;
}

size_t bench_flat_event(uint32_t subscription,
                        const uint64_t v[BENCH_SAMPLE_VALUES], uint8_t *out,
                        size_t cap) {
  uint8_t body[256];
  writer w = {body, 0, sizeof body, true};
  uint32_t field = 1;
  for (int i = 0; i < BENCH_SAMPLE_VALUES; i++) {
    if (value_derived(i))
      continue;
    put_field(&w, field++, value_signed[i] ? zigzag((int64_t)v[i]) : v[i]);
  }
  return w.ok ? wrap_event(subscription, EVENT_FLAT, body, w.len, out, cap) : 0;
}

size_t bench_delta_event(uint32_t subscription,
                         const uint64_t v[BENCH_SAMPLE_VALUES],
                         const uint64_t prev[BENCH_SAMPLE_VALUES], uint8_t *out,
                         size_t cap) {
  uint8_t body[256];
  writer w = {body, 0, sizeof body, true};
  uint32_t field = 1;
  put_field(&w, field++, v[0]); /* seq stays absolute */
  for (int i = 1; i < BENCH_SAMPLE_VALUES; i++) {
    if (value_derived(i))
      continue;
    put_field(&w, field++, zigzag((int64_t)(v[i] - prev[i])));
  }
  return w.ok ? wrap_event(subscription, EVENT_DELTA, body, w.len, out, cap)
              : 0;
}
