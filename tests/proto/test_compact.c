/* The compact sample encoding (proto/gcmon_compact.h), end to end at the
 * codec: what goes in comes back field for field, for 100,000 samples of
 * each workload, across lost batches (the receiver names exactly the seqs
 * it missed and resynchronises at the next keyframe) and across a
 * reconnect that resumes with from_seq; extreme and sentinel values; and
 * the worked example of docs/protocol.md byte for byte. */
#include "compact_traces.h"
#include "gcmon_compact.h"
#include "gcmon_test.h"
#include "test_rand.h"

#include <stdlib.h>

#ifndef GCMON_MP_TRACE
#error "GCMON_MP_TRACE must name fixtures/micropython_trace.csv"
#endif

#define N_SAMPLES_FULL 100000u
/* Under valgrind (scripts/test --valgrind) a fifth, to keep the suite's
 * time; the default suite always runs the full 100,000. */
#define N_SAMPLES                                                              \
  (getenv("GCMON_VALGRIND") && getenv("GCMON_VALGRIND")[0] == '1'              \
       ? N_SAMPLES_FULL / 5                                                    \
       : N_SAMPLES_FULL)
#define BATCH_SAMPLES 10u /* 100 ms at the 10 ms period */

static void expect_same(const gcmon_sample *want_raw, const gcmon_sample *got) {
  gcmon_sample want = *want_raw;
  const gcmon_mem_info *wm[3] = {&want.sys_heap, &want.sys_page,
                                 &want.sys_mmz};
  const gcmon_mem_info *gm[3] = {&got->sys_heap, &got->sys_page,
                                 &got->sys_mmz};
  gcmon_compact_normalize(&want);
  ASSERT_EQ_U64(want.seq, got->seq);
  ASSERT_EQ_U64(want.uptime_us, got->uptime_us);
  ASSERT_EQ(want.has_gc, got->has_gc);
  ASSERT_EQ(want.gc.mem_alloc, got->gc.mem_alloc);
  ASSERT_EQ(want.gc.mem_free, got->gc.mem_free);
  ASSERT_EQ(want.gc.threshold, got->gc.threshold);
  ASSERT_EQ(want.gc.enabled, got->gc.enabled);
  ASSERT_EQ_U64(want.gc.collections, got->gc.collections);
  ASSERT_EQ(want.gc.largest_free, got->gc.largest_free);
  ASSERT_EQ_U64(want.sys_total, got->sys_total);
  ASSERT_EQ(want.has_sys_heap, got->has_sys_heap);
  ASSERT_EQ(want.has_sys_page, got->has_sys_page);
  ASSERT_EQ(want.has_sys_mmz, got->has_sys_mmz);
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ_U64(wm[i]->total, gm[i]->total);
    ASSERT_EQ_U64(wm[i]->used, gm[i]->used);
    ASSERT_EQ_U64(wm[i]->free, gm[i]->free);
    ASSERT_EQ_U64(wm[i]->peak_used, gm[i]->peak_used);
  }
}

/* ---- a sender and a receiver over a lossy "link" ---------------------- */

typedef struct {
  const gcmon_sample *all; /* all[seq - first] */
  uint64_t first;          /* 0 means 1 */
  uint64_t decoded;
  uint64_t expect;         /* next seq due */
  uint64_t reported_lost;  /* seqs named in gaps */
  uint64_t gaps;
  uint8_t *lost_mark;      /* lost_mark[seq]: 1 = reported lost */
} receiver;

static void on_sample(void *ctx, const gcmon_sample *s) {
  receiver *r = ctx;
  ASSERT_TRUE(s->seq >= r->expect);
  for (uint64_t q = r->expect; q < s->seq; q++) { /* a gap, named exactly */
    r->lost_mark[q] = 1;
    r->reported_lost++;
  }
  if (s->seq > r->expect)
    r->gaps++;
  expect_same(&r->all[s->seq - (r->first ? r->first : 1)], s);
  r->expect = s->seq + 1;
  r->decoded++;
}

/* Build the next batch from all[from - 1] (at most max samples). */
static uint64_t build(gcmon_compact_encoder *e, gcmon_compact_batch *b,
                      uint8_t *buf, const gcmon_sample *all, uint64_t n,
                      uint64_t from, unsigned max) {
  uint64_t seq = from;
  gcmon_compact_batch_begin(e, b, buf, GCMON_COMPACT_DATA_MAX);
  while (seq <= n && b->count < max &&
         gcmon_compact_batch_add(e, b, &all[seq - 1]) == 0)
    seq++;
  ASSERT_TRUE(b->count > 0);
  ASSERT_TRUE(b->len <= GCMON_COMPACT_DATA_MAX);
  return seq;
}

static gcmon_sample *collect(trace_kind kind, uint64_t n) {
  gcmon_sample *all = calloc(n, sizeof *all);
  trace t;
  ASSERT_TRUE(all != NULL);
  ASSERT_EQ(0, trace_open(&t, kind, GCMON_MP_TRACE));
  for (uint64_t i = 0; i < n; i++)
    trace_next(&t, &all[i]);
  trace_close(&t);
  return all;
}

static void round_trip(trace_kind kind) {
  gcmon_sample *all = collect(kind, N_SAMPLES);
  uint8_t *lost = calloc(N_SAMPLES + 2, 1);
  receiver r = {.all = all, .expect = 1, .lost_mark = lost};
  gcmon_compact_encoder enc;
  gcmon_compact_decoder dec;
  uint8_t buf[GCMON_COMPACT_DATA_MAX];
  uint64_t seq = 1, bytes = 0, batches = 0;

  gcmon_compact_encoder_init(&enc, 1, TRACE_PERIOD_US, 0);
  gcmon_compact_decoder_init(&dec);
  while (seq <= N_SAMPLES) {
    gcmon_compact_batch b;
    seq = build(&enc, &b, buf, all, N_SAMPLES, seq, BATCH_SAMPLES);
    gcmon_compact_batch_commit(&enc, &b);
    ASSERT_EQ((int)b.count, gcmon_compact_decode(&dec, b.first_seq, b.count,
                                                 buf, b.len, on_sample, &r));
    bytes += b.len;
    batches++;
  }
  ASSERT_EQ_U64(N_SAMPLES, r.decoded);
  ASSERT_EQ_U64(0, r.reported_lost);
  printf("  %s: %" PRIu64 " samples in %" PRIu64 " batches, %.2f data bytes "
         "per sample\n",
         trace_names[kind], r.decoded, batches, (double)bytes / N_SAMPLES);
  free(lost);
  free(all);
}

TEST(compact_round_trip_100k_sim_default) { round_trip(TRACE_SIM); }
TEST(compact_round_trip_100k_sim_heavy) { round_trip(TRACE_HEAVY); }
TEST(compact_round_trip_100k_micropython) { round_trip(TRACE_MICROPYTHON); }

/* Batches are lost on the way (one in seven, and every tenth keyframe
 * batch). The receiver names exactly the seqs of the lost batches and of
 * those it could not decode for want of their keyframe, asks for a
 * keyframe (the sender sees the request one batch later), and decodes
 * again from the next keyframe on. */
TEST(compact_lost_batches_named_exactly_then_resync) {
  const uint64_t n = 20000;
  gcmon_sample *all = collect(TRACE_SIM, n);
  uint8_t *lost = calloc(n + 2, 1), *truly_lost = calloc(n + 2, 1);
  receiver r = {.all = all, .expect = 1, .lost_mark = lost};
  gcmon_compact_encoder enc;
  gcmon_compact_decoder dec;
  uint8_t buf[GCMON_COMPACT_DATA_MAX];
  uint64_t seq = 1, index = 0, keyframes = 0, undecodable = 0, want_lost = 0;
  uint64_t lost_keys = 0;
  int request_in_flight = 0;

  gcmon_compact_encoder_init(&enc, 1, TRACE_PERIOD_US, 64);
  gcmon_compact_decoder_init(&dec);
  while (seq <= n) {
    gcmon_compact_batch b;
    bool drop;
    int got;
    if (request_in_flight && --request_in_flight == 0)
      gcmon_compact_encoder_force_key(&enc); /* the request arrives */
    seq = build(&enc, &b, buf, all, n, seq, BATCH_SAMPLES);
    gcmon_compact_batch_commit(&enc, &b);
    index++;
    keyframes += b.has_key;
    drop = index % 7 == 3 || (b.has_key && keyframes % 10 == 5);
    if (drop) {
      lost_keys += b.has_key;
      for (uint32_t i = 0; i < b.count; i++)
        truly_lost[b.first_seq + i] = 1;
      continue;
    }
    got = gcmon_compact_decode(&dec, b.first_seq, b.count, buf, b.len,
                               on_sample, &r);
    if (got == GCMON_EPROTO) {
      undecodable++;
      for (uint32_t i = 0; i < b.count; i++)
        truly_lost[b.first_seq + i] = 1;
      if (!request_in_flight)
        request_in_flight = 2; /* keyframe request, one batch in flight */
      continue;
    }
    ASSERT_EQ((int)b.count, got);
  }
  /* The end of the stream closes the last gap. */
  for (uint64_t q = r.expect; q <= n; q++)
    lost[q] = 1, r.reported_lost++;
  for (uint64_t q = 1; q <= n; q++) {
    ASSERT_EQ(truly_lost[q], lost[q]);
    want_lost += truly_lost[q];
  }
  ASSERT_EQ_U64(want_lost, r.reported_lost);
  ASSERT_EQ_U64(n, r.decoded + r.reported_lost);
  /* Keyframes were lost, and decoding resumed with the requested one: at
   * most the batches already on their way when the request went out. */
  ASSERT_TRUE(undecodable > 0);
  ASSERT_TRUE(undecodable <= 2 * lost_keys);
  printf("  %" PRIu64 " decoded, %" PRIu64 " lost in %" PRIu64
         " gaps (%" PRIu64 " undecodable batches)\n",
         r.decoded, r.reported_lost, r.gaps, undecodable);
  free(truly_lost);
  free(lost);
  free(all);
}

/* The link drops with batches in flight; the new session subscribes again
 * from the seq after the last one decoded (from_seq): a fresh encoder and
 * decoder, and the series continues with nothing missing or repeated. */
TEST(compact_reconnect_with_from_seq_is_seamless) {
  const uint64_t n = 6000;
  gcmon_sample *all = collect(TRACE_HEAVY, n);
  uint8_t *lost = calloc(n + 2, 1);
  receiver r = {.all = all, .expect = 1, .lost_mark = lost};
  uint8_t buf[GCMON_COMPACT_DATA_MAX];
  uint64_t seq = 1;

  for (int session = 0; session < 3; session++) {
    gcmon_compact_encoder enc;
    gcmon_compact_decoder dec;
    uint64_t cut = session < 2 ? (uint64_t)(session + 1) * 2003 : n;
    gcmon_compact_encoder_init(&enc, 1, TRACE_PERIOD_US, 64);
    gcmon_compact_decoder_init(&dec);
    seq = r.expect; /* subscribe from_seq = last + 1 */
    while (seq <= n) {
      gcmon_compact_batch b;
      uint64_t from = seq;
      seq = build(&enc, &b, buf, all, n, seq, BATCH_SAMPLES);
      gcmon_compact_batch_commit(&enc, &b);
      if (from > cut)
        break; /* the link is gone: these never arrive */
      ASSERT_EQ((int)b.count, gcmon_compact_decode(&dec, b.first_seq, b.count,
                                                   buf, b.len, on_sample, &r));
    }
  }
  ASSERT_EQ_U64(n, r.decoded);
  ASSERT_EQ_U64(0, r.reported_lost);
  free(lost);
  free(all);
}

/* Sentinels, negatives, sizes with odd low bits and values at 2^64 - 1:
 * random samples, each field drawn from a mix of edge cases. */
static uint64_t edge(test_rand *rnd) {
  static const uint64_t cases[] = {0,          1,         UINT64_MAX,
                                   UINT64_MAX - 1, 1ull << 63, (1ull << 63) - 1,
                                   4096,       65536 + 16, 123457};
  uint64_t r = test_rand_next(rnd);
  if (r % 3 == 0)
    return test_rand_next(rnd);
  return cases[(r >> 8) % (sizeof cases / sizeof cases[0])];
}

TEST(compact_edge_values_round_trip) {
  enum { N = 5000 };
  gcmon_sample *all = calloc(N, sizeof *all);
  uint8_t *lost = calloc(N + 2, 1);
  receiver r = {.all = all, .expect = 1, .lost_mark = lost};
  gcmon_compact_encoder enc;
  gcmon_compact_decoder dec;
  uint8_t buf[GCMON_COMPACT_DATA_MAX];
  test_rand rnd;
  uint64_t seq = 1;

  test_rand_seed(&rnd, 99);
  for (unsigned i = 0; i < N; i++) {
    gcmon_sample *s = &all[i];
    gcmon_mem_info *m[3] = {&s->sys_heap, &s->sys_page, &s->sys_mmz};
    s->seq = i + 1;
    s->uptime_us = i % 50 == 0 ? edge(&rnd) : i * 10000u;
    s->has_gc = (i / 300) % 4 != 3;
    s->gc.mem_alloc = (int64_t)edge(&rnd);
    s->gc.mem_free = i % 7 ? -1 : (int64_t)edge(&rnd);
    s->gc.threshold = (int64_t)edge(&rnd);
    s->gc.enabled = edge(&rnd) & 1;
    s->gc.collections = edge(&rnd);
    s->gc.largest_free = (int64_t)edge(&rnd);
    s->sys_total = edge(&rnd);
    s->has_sys_heap = (i / 200) % 3 != 0;
    s->has_sys_page = true;
    s->has_sys_mmz = (i / 500) % 2 == 0;
    for (int k = 0; k < 3; k++) {
      m[k]->total = edge(&rnd);
      m[k]->used = edge(&rnd);
      m[k]->free = edge(&rnd);
      m[k]->peak_used = edge(&rnd);
    }
  }
  gcmon_compact_encoder_init(&enc, 1, 10000, 0);
  gcmon_compact_decoder_init(&dec);
  while (seq <= N) {
    gcmon_compact_batch b;
    seq = build(&enc, &b, buf, all, N, seq, 40);
    gcmon_compact_batch_commit(&enc, &b);
    ASSERT_EQ((int)b.count, gcmon_compact_decode(&dec, b.first_seq, b.count,
                                                 buf, b.len, on_sample, &r));
  }
  ASSERT_EQ_U64(N, r.decoded);
  free(lost);
  free(all);
}

/* docs/protocol.md's worked example, byte for byte. */
static void example_sample(gcmon_sample *s, uint64_t seq, uint64_t up,
                           int64_t alloc, int64_t largest, uint64_t heap_used) {
  memset(s, 0, sizeof *s);
  s->seq = seq;
  s->uptime_us = up;
  s->has_gc = true;
  s->gc.mem_alloc = alloc;
  s->gc.mem_free = largest;
  s->gc.threshold = -1;
  s->gc.enabled = true;
  s->gc.collections = 3;
  s->gc.largest_free = largest;
  s->sys_total = 536870912;
  s->has_sys_heap = true;
  s->sys_heap.total = 33554432;
  s->sys_heap.used = heap_used;
  s->sys_heap.free = 33554432 - heap_used;
}

TEST(compact_worked_example_of_the_spec) {
  static const uint8_t batch1[] = {
      0x00, 0x03, 0x01, 0x90, 0x4e, 0x05, 0x06, 0x80, 0xb6, 0xdc, 0x05, 0xd6,
      0xdc, 0x03, 0xaa, 0x9b, 0x0c, 0xaa, 0x9b, 0x0c, 0x8d, 0x8b, 0x09, 0x03,
      0xf3, 0xf4, 0x16, 0x01, 0x01, 0x00, 0x80, 0x80, 0x20, 0x80, 0x80, 0x80,
      0x80, 0x02, 0x07, 0x0e, 0x10, 0x0f, 0x21, 0x11, 0x68};
  static const uint8_t batch2[] = {0x03, 0x27, 0x02, 0x12, 0x11, 0x68};
  gcmon_sample all[4];
  static uint8_t lost[1010];
  receiver r = {.all = all, .first = 1000, .expect = 1000, .lost_mark = lost};
  gcmon_compact_encoder enc;
  gcmon_compact_decoder dec;
  gcmon_compact_batch b;
  uint8_t buf[GCMON_COMPACT_DATA_MAX];

  example_sample(&all[0], 1000, 12000000, 976224, 3201696, 9528128);
  example_sample(&all[1], 1001, 12010007, 976480, 3201440, 9528128);
  example_sample(&all[2], 1002, 12019998, 976480, 3201440, 9531456);
  example_sample(&all[3], 1003, 12030001, 976512, 3201408, 9531456);
  gcmon_compact_encoder_init(&enc, 1, 10000, 64);
  gcmon_compact_decoder_init(&dec);
  gcmon_compact_batch_begin(&enc, &b, buf, sizeof buf);
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(0, gcmon_compact_batch_add(&enc, &b, &all[i]));
  ASSERT_EQ(sizeof batch1, b.len);
  ASSERT_EQ(0, memcmp(batch1, buf, sizeof batch1));
  gcmon_compact_batch_commit(&enc, &b);
  ASSERT_EQ(3, gcmon_compact_decode(&dec, 1000, 3, batch1, sizeof batch1,
                                    on_sample, &r));
  gcmon_compact_batch_begin(&enc, &b, buf, sizeof buf);
  ASSERT_EQ(0, gcmon_compact_batch_add(&enc, &b, &all[3]));
  ASSERT_EQ(sizeof batch2, b.len);
  ASSERT_EQ(0, memcmp(batch2, buf, sizeof batch2));
  ASSERT_EQ(1, gcmon_compact_decode(&dec, 1003, 1, batch2, sizeof batch2,
                                    on_sample, &r));
  ASSERT_EQ_U64(4, r.decoded);
}

/* With GCMON_COMPACT_CORPUS set to a directory, writes the seed corpus of
 * tests/fuzz/fuzz_compact_decoder: pairs of real batches (a keyframe batch
 * and the delta batch after it) from each workload, in the target's input
 * format. Otherwise does nothing. */
static size_t put_uvarint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  do {
    p[n++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return n;
}

TEST(compact_write_fuzz_seeds) {
  const char *dir = getenv("GCMON_COMPACT_CORPUS");
  if (!dir)
    return;
  for (int kind = 0; kind < 3; kind++) {
    gcmon_sample *all = collect((trace_kind)kind, 400);
    gcmon_compact_encoder enc;
    uint8_t buf[GCMON_COMPACT_DATA_MAX], out[2 * (GCMON_COMPACT_DATA_MAX + 24)];
    size_t len = 0;
    uint64_t seq = 1 + 200;
    char path[512];
    FILE *f;
    gcmon_compact_encoder_init(&enc, 1, TRACE_PERIOD_US, 0);
    for (int b = 0; b < 2; b++) {
      gcmon_compact_batch batch;
      seq = build(&enc, &batch, buf, all, 400, seq, b ? 30 : 8);
      gcmon_compact_batch_commit(&enc, &batch);
      len += put_uvarint(out + len, batch.first_seq);
      len += put_uvarint(out + len, batch.count);
      out[len++] = (uint8_t)(batch.len > 255 ? 255 : batch.len);
      memcpy(out + len, buf, batch.len > 255 ? 255 : batch.len);
      len += batch.len > 255 ? 255 : batch.len;
    }
    snprintf(path, sizeof path, "%s/%s-key-then-delta", dir, trace_names[kind]);
    f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(len, fwrite(out, 1, len, f));
    fclose(f);
    free(all);
  }
}

#define GCMON_TESTS(X)                                                         \
  X(compact_round_trip_100k_sim_default)                                       \
  X(compact_round_trip_100k_sim_heavy)                                         \
  X(compact_round_trip_100k_micropython)                                       \
  X(compact_lost_batches_named_exactly_then_resync)                            \
  X(compact_reconnect_with_from_seq_is_seamless)                               \
  X(compact_edge_values_round_trip)                                            \
  X(compact_worked_example_of_the_spec)                                        \
  X(compact_write_fuzz_seeds)
#include "gcmon_test_main.h"
