/* Cross-codec agreement: for every Packet in the shared case table
 * (codec_cases.c), nanopb (daemon) and protobuf-c (host) produce the same
 * bytes, and each decodes the other's bytes to the same values. Also proves
 * the nanopb size bound is exact and that nanopb refuses, rather than
 * truncates, fields beyond the bounds in gcmon.options. */
#include "codec_nano.h"
#include "codec_pbc.h"
#include "gcmon_frame.h"
#include "gcmon_pb_limits.h"
#include "gcmon_test.h"

#include <pb_decode.h>
#include <pb_encode.h>
#include <stdlib.h>

/* ---- the one comparator: first difference between two views ---------- */

#define DIFF(what, want, got)                                                  \
  do {                                                                         \
    uint64_t w_ = (uint64_t)(want), g_ = (uint64_t)(got);                      \
    if (w_ != g_) {                                                            \
      snprintf(why, cap,                                                       \
               "%s%s: want %" PRIu64 " (0x%" PRIx64 "), got %" PRIu64          \
               " (0x%" PRIx64 ")",                                             \
               where, what, w_, w_, g_, g_);                                   \
      return 1;                                                                \
    }                                                                          \
  } while (0)

static int mem_diff(const char *where, const gcmon_mem_info *a,
                    const gcmon_mem_info *b, char *why, size_t cap) {
  DIFF(".total", a->total, b->total);
  DIFF(".used", a->used, b->used);
  DIFF(".free", a->free, b->free);
  return 0;
}

static int sample_diff(size_t i, const gcmon_sample *a, const gcmon_sample *b,
                       char *why, size_t cap) {
  char where[48];
  snprintf(where, sizeof where, "samples[%zu]", i);
  DIFF(".seq", a->seq, b->seq);
  DIFF(".uptime_us", a->uptime_us, b->uptime_us);
  DIFF(".sys_total", a->sys_total, b->sys_total);
  DIFF(".has_gc", a->has_gc, b->has_gc);
  if (a->has_gc) {
    DIFF(".gc.mem_alloc", a->gc.mem_alloc, b->gc.mem_alloc);
    DIFF(".gc.mem_free", a->gc.mem_free, b->gc.mem_free);
    DIFF(".gc.threshold", a->gc.threshold, b->gc.threshold);
    DIFF(".gc.enabled", a->gc.enabled, b->gc.enabled);
    DIFF(".gc.collections", a->gc.collections, b->gc.collections);
    DIFF(".gc.largest_free", a->gc.largest_free, b->gc.largest_free);
  }
  const struct {
    const char *name;
    bool has_a, has_b;
    const gcmon_mem_info *a, *b;
  } mems[] = {
      {".sys_heap", a->has_sys_heap, b->has_sys_heap, &a->sys_heap,
       &b->sys_heap},
      {".sys_page", a->has_sys_page, b->has_sys_page, &a->sys_page,
       &b->sys_page},
      {".sys_mmz", a->has_sys_mmz, b->has_sys_mmz, &a->sys_mmz, &b->sys_mmz},
  };
  for (size_t m = 0; m < sizeof mems / sizeof mems[0]; m++) {
    char mwhere[64];
    snprintf(mwhere, sizeof mwhere, "%s%s", where, mems[m].name);
    if (mems[m].has_a != mems[m].has_b) {
      snprintf(why, cap, "%s present: want %d, got %d", mwhere, mems[m].has_a,
               mems[m].has_b);
      return 1;
    }
    if (mems[m].has_a && mem_diff(mwhere, mems[m].a, mems[m].b, why, cap))
      return 1;
  }
  return 0;
}

static const char *or_empty(const char *s) {
  return s ? s : "";
}

/* 0 when a and b describe the same Packet; else 1 with the first
 * difference in why. */
static int view_diff(const codec_view *a, const codec_view *b, char *why,
                     size_t cap) {
  const char *where = "";
  DIFF("kind", a->kind, b->kind);
  DIFF("id", a->id, b->id);
  DIFF("which", a->which, b->which);
  DIFF("has_status", a->has_status, b->has_status);
  DIFF("status.code", a->status_code, b->status_code);
  if (strcmp(or_empty(a->status_msg), or_empty(b->status_msg)) != 0) {
    snprintf(why, cap, "status.message: want \"%s\", got \"%s\"",
             or_empty(a->status_msg), or_empty(b->status_msg));
    return 1;
  }
  for (int f = 0; f < CODEC_MAX_FIELD; f++) {
    char what[24];
    snprintf(what, sizeof what, "field %d", f);
    DIFF(what, a->num[f], b->num[f]);
    if (strcmp(or_empty(a->str[f]), or_empty(b->str[f])) != 0) {
      snprintf(why, cap, "string field %d: want \"%s\", got \"%s\"", f,
               or_empty(a->str[f]), or_empty(b->str[f]));
      return 1;
    }
  }
  DIFF("token length", a->token_len, b->token_len);
  if (a->token_len > 0 && memcmp(a->token, b->token, a->token_len) != 0) {
    snprintf(why, cap, "token bytes differ");
    return 1;
  }
  DIFF("sample count", a->nsamples, b->nsamples);
  for (size_t i = 0; i < a->nsamples; i++)
    if (sample_diff(i, &a->samples[i], &b->samples[i], why, cap))
      return 1;
  return 0;
}

#define ASSERT_SAME_VIEW(c, got)                                               \
  do {                                                                         \
    char why_[256];                                                            \
    if (view_diff(&(c)->view, (got), why_, sizeof why_))                       \
      GCMON_TEST_FAIL("case %s: %s", (c)->name, why_);                         \
  } while (0)

/* ---- codec helpers ---------------------------------------------------- */

static size_t pbc_encode(const codec_view *v, uint8_t *out, size_t cap) {
  codec_pbc *s = malloc(sizeof *s);
  size_t n = 0;
  if (s && codec_view_to_pbc(v, s) == 0) {
    n = gcmon__v1__packet__get_packed_size(&s->packet);
    if (n <= cap)
      gcmon__v1__packet__pack(&s->packet, out);
    else
      n = 0;
  }
  free(s);
  return n;
}

static bool nano_decode(const uint8_t *buf, size_t len, gcmon_v1_Packet *p) {
  pb_istream_t is = pb_istream_from_buffer(buf, len);
  return pb_decode(&is, gcmon_v1_Packet_fields, p);
}

#define BUF_CAP (2 * GCMON_MAX_PAYLOAD)

/* ---- tests ------------------------------------------------------------ */

TEST(every_case_encodes_to_the_same_bytes_with_nanopb_and_protobuf_c) {
  for (size_t i = 0; i < codec_ncases; i++) {
    const codec_case *c = &codec_cases[i];
    uint8_t a[BUF_CAP], b[BUF_CAP];
    size_t na = codec_nano_encode(&c->view, a, sizeof a);
    size_t nb = pbc_encode(&c->view, b, sizeof b);
    if (na == 0 || nb == 0)
      GCMON_TEST_FAIL("case %s: encode failed (nanopb %zu, protobuf-c %zu)",
                      c->name, na, nb);
    size_t at = 0;
    while (at < na && at < nb && a[at] == b[at])
      at++;
    if (na != nb || at != na)
      GCMON_TEST_FAIL("case %s: nanopb %zu bytes, protobuf-c %zu bytes, "
                      "first difference at offset %zu",
                      c->name, na, nb, at);
  }
}

TEST(protobuf_c_decodes_what_nanopb_encodes) {
  for (size_t i = 0; i < codec_ncases; i++) {
    const codec_case *c = &codec_cases[i];
    uint8_t a[BUF_CAP], again[BUF_CAP];
    size_t na = codec_nano_encode(&c->view, a, sizeof a);
    ASSERT_TRUE(na > 0);

    Gcmon__V1__Packet *p = gcmon__v1__packet__unpack(NULL, na, a);
    if (!p)
      GCMON_TEST_FAIL("case %s: protobuf-c cannot unpack", c->name);
    codec_view got;
    int rc = codec_pbc_to_view(p, &got);
    char why[256] = "";
    int differs = rc == 0 && view_diff(&c->view, &got, why, sizeof why);
    /* protobuf-c re-encoding what it decoded must give nanopb's bytes. */
    size_t n2 = gcmon__v1__packet__get_packed_size(p);
    int repacked = n2 == na && gcmon__v1__packet__pack(p, again) == na &&
                   memcmp(a, again, na) == 0;
    gcmon__v1__packet__free_unpacked(p, NULL);
    ASSERT_EQ(0, rc);
    if (differs)
      GCMON_TEST_FAIL("case %s: %s", c->name, why);
    if (!repacked)
      GCMON_TEST_FAIL("case %s: protobuf-c re-encodes to other bytes", c->name);
  }
}

TEST(nanopb_decodes_what_protobuf_c_encodes) {
  for (size_t i = 0; i < codec_ncases; i++) {
    const codec_case *c = &codec_cases[i];
    uint8_t b[BUF_CAP], again[BUF_CAP];
    size_t nb = pbc_encode(&c->view, b, sizeof b);
    ASSERT_TRUE(nb > 0);

    gcmon_v1_Packet p;
    if (!nano_decode(b, nb, &p))
      GCMON_TEST_FAIL("case %s: nanopb cannot decode", c->name);
    codec_view got;
    ASSERT_EQ(0, codec_nano_to_view(&p, &got));
    ASSERT_SAME_VIEW(c, &got);

    pb_ostream_t os = pb_ostream_from_buffer(again, sizeof again);
    ASSERT_TRUE(pb_encode(&os, gcmon_v1_Packet_fields, &p));
    ASSERT_EQ(nb, os.bytes_written);
    ASSERT_MEMEQ(b, again, nb);
  }
}

TEST(every_case_fits_one_frame_within_the_nanopb_bound) {
  for (size_t i = 0; i < codec_ncases; i++) {
    const codec_case *c = &codec_cases[i];
    gcmon_v1_Packet p;
    size_t size = 0;
    ASSERT_EQ(0, codec_view_to_nano(&c->view, &p));
    ASSERT_TRUE(pb_get_encoded_size(&size, gcmon_v1_Packet_fields, &p));
    if (size == 0 || size > GCMON_MAX_PAYLOAD)
      GCMON_TEST_FAIL("case %s: %zu bytes, frame %d", c->name, size,
                      GCMON_MAX_PAYLOAD);
  }
  ASSERT_TRUE(GCMON_PB_LARGEST_BOUNDED <= GCMON_MAX_PAYLOAD);
}

#define GCMON_V1_WIDEST_HISTORY_PACKET 936u

TEST(a_packet_at_every_bound_encodes_to_exactly_the_nanopb_size) {
  const codec_case *widest = NULL;
  for (size_t i = 0; i < codec_ncases; i++)
    if (strcmp(codec_cases[i].name, codec_widest_case) == 0)
      widest = &codec_cases[i];
  ASSERT_TRUE(widest != NULL);
  uint8_t a[BUF_CAP];
  /* The widest v1 History response (four samples, every v1 varint at its
   * widest, no 1.1 field): nanopb's whole-Packet bound before protocol 1.1,
   * which the daemon's v1 answers still meet. */
  ASSERT_EQ(GCMON_V1_WIDEST_HISTORY_PACKET,
            codec_nano_encode(&widest->view, a, sizeof a));
}

/* One field one byte past its bound, encoded by protobuf-c (a careless or
 * hostile client): nanopb must fail the decode, not truncate. */
TEST(nanopb_refuses_strings_and_tokens_past_their_bounds) {
  static const uint8_t token_65[65] = {0};
  static const struct {
    const char *name;
    codec_view v;
  } over[] = {
      {"client 33 bytes",
       {.kind = CODEC_REQUEST,
        .id = 1,
        .which = 2,
        .str = {[2] = "0123456789abcdef0123456789abcdef!"}}},
      {"token 65 bytes",
       {.kind = CODEC_REQUEST,
        .id = 1,
        .which = 2,
        .token = token_65,
        .token_len = sizeof token_65}},
      {"source 17 bytes",
       {.kind = CODEC_RESPONSE,
        .id = 1,
        .which = 3,
        .str = {[3] = "micropython-k230!"}}},
      {"status message 97 bytes",
       {.kind = CODEC_RESPONSE,
        .id = 1,
        .has_status = true,
        .status_code = 1,
        .status_msg = "0123456789abcdef0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef0123456789abcdef!"}},
  };
  for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
    uint8_t b[BUF_CAP];
    size_t nb = pbc_encode(&over[i].v, b, sizeof b);
    ASSERT_TRUE(nb > 0);
    gcmon_v1_Packet p;
    if (nano_decode(b, nb, &p))
      GCMON_TEST_FAIL("%s: nanopb decoded it", over[i].name);
  }
}

#define GCMON_TESTS(X)                                                         \
  X(every_case_encodes_to_the_same_bytes_with_nanopb_and_protobuf_c)           \
  X(protobuf_c_decodes_what_nanopb_encodes)                                    \
  X(nanopb_decodes_what_protobuf_c_encodes)                                    \
  X(every_case_fits_one_frame_within_the_nanopb_bound)                         \
  X(a_packet_at_every_bound_encodes_to_exactly_the_nanopb_size)                \
  X(nanopb_refuses_strings_and_tokens_past_their_bounds)
#include "gcmon_test_main.h"
