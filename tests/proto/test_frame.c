/* Framing layer: PROTOCOL.md test vectors in both directions, every drop kind
 * followed by a good frame, buffer canaries, noise between frames, chunking
 * independence, and a randomized round trip. */
#include "gcmon_crc32.h"
#include "gcmon_frame.h"
#include "gcmon_test.h"
#include "test_rand.h"

#include <stdlib.h>

typedef struct {
  const char *name;
  uint8_t payload[8];
  size_t payload_len;
  uint8_t wire[16];
  size_t wire_len;
} vector;

/* PROTOCOL.md section 1, verbatim. */
static const vector vectors[] = {
    {"01", {0x01}, 1, {0x7e, 0x01, 0x1b, 0xdf, 0x05, 0xa5, 0x7e}, 7},
    {"hello",
     {0x68, 0x65, 0x6c, 0x6c, 0x6f},
     5,
     {0x7e, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x86, 0xa6, 0x10, 0x36, 0x7e},
     11},
    {"7e 7d 00 ff",
     {0x7e, 0x7d, 0x00, 0xff},
     4,
     {0x7e, 0x7d, 0x5e, 0x7d, 0x5d, 0x00, 0xff, 0x3d, 0x1c, 0x8f, 0xdb, 0x7e},
     12},
    {"7b..7f",
     {0x7b, 0x7c, 0x7d, 0x7e, 0x7f},
     5,
     {0x7e, 0x7b, 0x7c, 0x7d, 0x5d, 0x7d, 0x5e, 0x7f, 0x31, 0xfa, 0xe6, 0x44,
      0x7e},
     13},
    {"k230-14 (escaped CRC)",
     {0x6b, 0x32, 0x33, 0x30, 0x2d, 0x31, 0x34},
     7,
     {0x7e, 0x6b, 0x32, 0x33, 0x30, 0x2d, 0x31, 0x34, 0x84, 0x7d, 0x5d, 0xb9,
      0x9c, 0x7e},
     14},
};
#define N_VECTORS (sizeof vectors / sizeof vectors[0])

/* Collects every frame a decoder yields from a byte stream. */
typedef struct {
  uint8_t buf[GCMON_FRAME_MAX];
  gcmon_frame_decoder dec;
  size_t nframes;
  size_t total_len;
  uint32_t digest; /* crc32 over all frames, in order, with their lengths */
  int drops[6];
} collector;

static void collector_init(collector *c) {
  memset(c, 0, sizeof *c);
  gcmon_frame_decoder_init(&c->dec, c->buf, sizeof c->buf);
}

static void collector_feed(collector *c, const uint8_t *p, size_t n) {
  while (n > 0) {
    size_t used;
    gcmon_frame_status st = gcmon_frame_decoder_feed(&c->dec, p, n, &used);
    p += used;
    n -= used;
    if (st == GCMON_FRAME_READY) {
      uint8_t len_le[2] = {(uint8_t)c->dec.payload_len,
                           (uint8_t)(c->dec.payload_len >> 8)};
      c->digest = gcmon_crc32(c->digest, len_le, 2);
      c->digest = gcmon_crc32(c->digest, c->dec.buf, c->dec.payload_len);
      c->nframes++;
      c->total_len += c->dec.payload_len;
    } else if (st != GCMON_FRAME_NEED_MORE) {
      c->drops[st]++;
    }
  }
}

TEST(crc32_check_value_is_cbf43926) {
  ASSERT_EQ_U64(0xCBF43926u, gcmon_crc32(0, "123456789", 9));
  /* incremental equals one-shot */
  ASSERT_EQ_U64(0xCBF43926u,
                gcmon_crc32(gcmon_crc32(0, "1234", 4), "56789", 5));
}

TEST(encoder_produces_every_protocol_vector) {
  for (size_t i = 0; i < N_VECTORS; i++) {
    uint8_t out[64];
    size_t n = gcmon_frame_encode(vectors[i].payload, vectors[i].payload_len,
                                  out, sizeof out);
    if (n != vectors[i].wire_len || memcmp(out, vectors[i].wire, n) != 0)
      GCMON_TEST_FAIL("vector %s encodes wrong (%zu bytes)", vectors[i].name,
                      n);
  }
}

TEST(decoder_accepts_every_protocol_vector) {
  for (size_t i = 0; i < N_VECTORS; i++) {
    collector c;
    collector_init(&c);
    size_t used;
    gcmon_frame_status st = gcmon_frame_decoder_feed(
        &c.dec, vectors[i].wire, vectors[i].wire_len, &used);
    if (st != GCMON_FRAME_READY)
      GCMON_TEST_FAIL("vector %s: status %s", vectors[i].name,
                      gcmon_frame_status_name(st));
    ASSERT_EQ(vectors[i].wire_len, used);
    ASSERT_EQ(vectors[i].payload_len, c.dec.payload_len);
    ASSERT_MEMEQ(vectors[i].payload, c.dec.buf, c.dec.payload_len);
  }
}

TEST(encoder_refuses_empty_oversize_and_small_buffers) {
  static uint8_t big[GCMON_MAX_PAYLOAD + 1];
  static uint8_t out[GCMON_FRAME_WIRE_MAX + 8];
  uint8_t small[8];
  ASSERT_EQ(0, gcmon_frame_encode(big, 0, out, sizeof out));
  ASSERT_EQ(0, gcmon_frame_encode(big, sizeof big, out, sizeof out));
  ASSERT_TRUE(gcmon_frame_encode(big, GCMON_MAX_PAYLOAD, out, sizeof out) > 0);
  /* "hello" needs 11 bytes on the wire; 10 is refused without overflow */
  memset(small, 0xAA, sizeof small);
  ASSERT_EQ(0, gcmon_frame_encode(vectors[1].payload, 5, small, sizeof small));
  /* worst case: every byte escaped */
  memset(big, 0x7E, GCMON_MAX_PAYLOAD);
  ASSERT_TRUE(gcmon_frame_encode(big, GCMON_MAX_PAYLOAD, out,
                                 GCMON_FRAME_WIRE_MAX) > 0);
}

/* Feeds wire, expects exactly one event of kind want, then a good "hello"
 * frame to decode right after it. */
static void expect_drop_then_recover(const uint8_t *wire, size_t n,
                                     gcmon_frame_status want) {
  collector c;
  collector_init(&c);
  collector_feed(&c, wire, n);
  ASSERT_EQ(1, c.drops[want]);
  ASSERT_EQ(0, c.nframes);
  collector_feed(&c, vectors[1].wire, vectors[1].wire_len);
  ASSERT_EQ(1, c.nframes);
  ASSERT_MEMEQ("hello", c.dec.buf, 5);
  ASSERT_EQ(1, gcmon_frame_stats_drops(&c.dec.stats));
}

TEST(crc_mismatch_is_dropped_and_next_frame_decodes) {
  uint8_t w[16];
  memcpy(w, vectors[1].wire, vectors[1].wire_len);
  w[3] ^= 0x01; /* one bit flipped in the payload */
  expect_drop_then_recover(w, vectors[1].wire_len, GCMON_FRAME_DROP_CRC);
}

TEST(oversize_frame_is_dropped_and_next_frame_decodes) {
  static uint8_t w[3000];
  size_t n = 0;
  w[n++] = 0x7E;
  for (int i = 0; i < 2000; i++)
    w[n++] = (uint8_t)(i % 100);
  w[n++] = 0x7E;
  expect_drop_then_recover(w, n, GCMON_FRAME_DROP_OVERSIZE);
}

TEST(bad_escape_is_dropped_and_next_frame_decodes) {
  const uint8_t w[] = {0x7E, 0x01, 0x02, 0x03, 0x7D, 0x7E};
  expect_drop_then_recover(w, sizeof w, GCMON_FRAME_DROP_BAD_ESCAPE);
}

TEST(short_frame_is_dropped_and_next_frame_decodes) {
  const uint8_t w[] = {0x7E, 0x01, 0x02, 0x03, 0x04, 0x7E};
  expect_drop_then_recover(w, sizeof w, GCMON_FRAME_DROP_SHORT);
}

TEST(oversize_frame_never_writes_past_the_buffer) {
  struct {
    uint8_t buf[GCMON_FRAME_MAX];
    uint8_t canary[64];
  } mem;
  gcmon_frame_decoder d;
  memset(mem.canary, 0xC5, sizeof mem.canary);
  gcmon_frame_decoder_init(&d, mem.buf, sizeof mem.buf);
  ASSERT_EQ(GCMON_FRAME_NEED_MORE, gcmon_frame_decoder_push(&d, 0x7E));
  for (int i = 0; i < 5000; i++)
    ASSERT_EQ(GCMON_FRAME_NEED_MORE, gcmon_frame_decoder_push(&d, 0x11));
  ASSERT_EQ(GCMON_FRAME_DROP_OVERSIZE, gcmon_frame_decoder_push(&d, 0x7E));
  for (size_t i = 0; i < sizeof mem.canary; i++)
    ASSERT_EQ(0xC5, mem.canary[i]);
  ASSERT_EQ(1, d.stats.drop_oversize);
}

TEST(exactly_max_payload_decodes_and_one_more_byte_is_oversize) {
  static uint8_t payload[GCMON_MAX_PAYLOAD + 1];
  static uint8_t wire[GCMON_FRAME_WIRE_MAX + 16];
  collector c;
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 7);
  size_t n = gcmon_frame_encode(payload, GCMON_MAX_PAYLOAD, wire, sizeof wire);
  collector_init(&c);
  collector_feed(&c, wire, n);
  ASSERT_EQ(1, c.nframes);
  ASSERT_EQ(GCMON_MAX_PAYLOAD, c.dec.payload_len);

  /* hand-build a frame one payload byte too long: 1029 body bytes */
  size_t m = 0;
  wire[m++] = 0x7E;
  for (size_t i = 0; i < GCMON_FRAME_MAX + 1; i++)
    wire[m++] = 0x11;
  wire[m++] = 0x7E;
  collector_feed(&c, wire, m);
  ASSERT_EQ(1, c.drops[GCMON_FRAME_DROP_OVERSIZE]);
}

TEST(empty_frames_between_flags_are_ignored) {
  collector c;
  const uint8_t flags[] = {0x7E, 0x7E, 0x7E, 0x7E};
  collector_init(&c);
  collector_feed(&c, flags, sizeof flags);
  collector_feed(&c, vectors[0].wire, vectors[0].wire_len);
  collector_feed(&c, flags, sizeof flags);
  ASSERT_EQ(1, c.nframes);
  ASSERT_EQ(0, gcmon_frame_stats_drops(&c.dec.stats));
  ASSERT_EQ(0, c.dec.stats.bytes_discarded);
}

TEST(console_text_between_frames_is_discarded_and_counted) {
  const char *text = "MicroPython v1.22 on 2026-11-25; k230 with C908\r\n"
                     ">>> print('hi')\r\nhi\r\n";
  collector c;
  collector_init(&c);
  collector_feed(&c, (const uint8_t *)text, strlen(text));
  collector_feed(&c, vectors[1].wire, vectors[1].wire_len);
  collector_feed(&c, (const uint8_t *)text, strlen(text));
  collector_feed(&c, vectors[4].wire, vectors[4].wire_len);
  collector_feed(&c, (const uint8_t *)text, strlen(text));
  /* trailing text is only known to be noise once a flag ends it */
  ASSERT_EQ(2 * strlen(text), c.dec.stats.bytes_discarded);
  collector_feed(&c, vectors[0].wire, vectors[0].wire_len);
  ASSERT_EQ(3, c.nframes);
  ASSERT_EQ(0, gcmon_frame_stats_drops(&c.dec.stats));
  ASSERT_EQ(3 * strlen(text), c.dec.stats.bytes_discarded);
}

TEST(frame_without_its_opening_flag_after_a_cut_is_recovered) {
  /* A frame cut mid-way (link dropped) is closed by the next frame's opening
   * flag: the cut frame is dropped, the next frame (now without an opening
   * flag of its own) still decodes, and so does one after it that lost its
   * opening flag too. */
  collector c;
  collector_init(&c);
  collector_feed(&c, vectors[1].wire, 6);  /* 7e 68 65 6c 6c 6f */
  collector_feed(&c, vectors[4].wire, 14); /* its 7e closes the cut */
  ASSERT_EQ(1, c.drops[GCMON_FRAME_DROP_CRC]);
  ASSERT_EQ(1, c.nframes);
  ASSERT_MEMEQ("k230-14", c.dec.buf, 7);
  collector_feed(&c, vectors[1].wire + 1, 10); /* no opening flag */
  ASSERT_EQ(2, c.nframes);
  ASSERT_MEMEQ("hello", c.dec.buf, 5);
  ASSERT_EQ(1, gcmon_frame_stats_drops(&c.dec.stats));
}

static size_t build_noisy_stream(uint8_t *out, size_t cap, test_rand *r,
                                 size_t *nframes) {
  static uint8_t payload[GCMON_MAX_PAYLOAD];
  size_t n = 0;
  *nframes = 0;
  while (n + GCMON_FRAME_WIRE_MAX + 64 < cap) {
    size_t len = (size_t)test_rand_range(r, 1, 300);
    for (size_t i = 0; i < len; i++)
      payload[i] = (uint8_t)test_rand_next(r);
    n += gcmon_frame_encode(payload, len, out + n, cap - n);
    (*nframes)++;
    /* garbage between frames: any bytes but the flag */
    size_t g = (size_t)test_rand_range(r, 0, 40);
    for (size_t i = 0; i < g; i++) {
      uint8_t b = (uint8_t)test_rand_next(r);
      out[n++] = b == 0x7E ? 0x20 : b;
    }
  }
  return n;
}

TEST(random_garbage_between_frames_does_not_disturb_decoding) {
  static uint8_t stream[200000];
  test_rand r;
  size_t want;
  collector c;
  test_rand_seed(&r, 230);
  size_t n = build_noisy_stream(stream, sizeof stream, &r, &want);
  collector_init(&c);
  collector_feed(&c, stream, n);
  ASSERT_EQ(want, c.nframes);
  ASSERT_EQ(0, gcmon_frame_stats_drops(&c.dec.stats));
  ASSERT_TRUE(c.dec.stats.bytes_discarded > 0);
}

TEST(chunking_one_byte_all_at_once_and_random_give_identical_frames) {
  static uint8_t stream[120000];
  test_rand r;
  size_t want;
  collector whole, bytewise, chunked;
  test_rand_seed(&r, 7230);
  size_t n = build_noisy_stream(stream, sizeof stream, &r, &want);

  collector_init(&whole);
  collector_feed(&whole, stream, n);

  collector_init(&bytewise);
  for (size_t i = 0; i < n; i++)
    collector_feed(&bytewise, stream + i, 1);

  collector_init(&chunked);
  for (size_t i = 0; i < n;) {
    size_t k = (size_t)test_rand_range(&r, 1, 700);
    if (k > n - i)
      k = n - i;
    collector_feed(&chunked, stream + i, k);
    i += k;
  }

  ASSERT_EQ(want, whole.nframes);
  ASSERT_EQ(whole.nframes, bytewise.nframes);
  ASSERT_EQ(whole.nframes, chunked.nframes);
  ASSERT_EQ_U64(whole.digest, bytewise.digest);
  ASSERT_EQ_U64(whole.digest, chunked.digest);
  ASSERT_EQ_U64(whole.dec.stats.bytes_discarded,
                chunked.dec.stats.bytes_discarded);
}

TEST(ten_thousand_random_payloads_round_trip) {
  static uint8_t payload[GCMON_MAX_PAYLOAD];
  static uint8_t wire[GCMON_FRAME_WIRE_MAX];
  test_rand r;
  collector c;
  test_rand_seed(&r, 20261125);
  collector_init(&c);
  for (int i = 0; i < 10000; i++) {
    size_t len = (size_t)test_rand_range(&r, 1, GCMON_MAX_PAYLOAD);
    /* bias some payloads toward bytes that need escaping */
    int stuffed = i % 5 == 0;
    for (size_t k = 0; k < len; k++) {
      uint8_t b = (uint8_t)test_rand_next(&r);
      payload[k] = stuffed && (b & 1) ? (uint8_t)(0x7D + (b >> 7)) : b;
    }
    size_t n = gcmon_frame_encode(payload, len, wire, sizeof wire);
    ASSERT_TRUE(n >= len + 6);
    size_t used;
    ASSERT_EQ(GCMON_FRAME_READY,
              gcmon_frame_decoder_feed(&c.dec, wire, n, &used));
    ASSERT_EQ(n, used);
    ASSERT_EQ(len, c.dec.payload_len);
    ASSERT_MEMEQ(payload, c.dec.buf, len);
  }
  ASSERT_EQ(10000, c.dec.stats.frames);
}

TEST(rejected_payload_is_counted_as_a_drop) {
  collector c;
  collector_init(&c);
  collector_feed(&c, vectors[0].wire, vectors[0].wire_len);
  gcmon_frame_decoder_reject(&c.dec);
  ASSERT_EQ(1, c.dec.stats.drop_undecodable);
  ASSERT_EQ(1, gcmon_frame_stats_drops(&c.dec.stats));
}

#define GCMON_TESTS(X)                                                         \
  X(crc32_check_value_is_cbf43926)                                             \
  X(encoder_produces_every_protocol_vector)                                    \
  X(decoder_accepts_every_protocol_vector)                                     \
  X(encoder_refuses_empty_oversize_and_small_buffers)                          \
  X(crc_mismatch_is_dropped_and_next_frame_decodes)                            \
  X(oversize_frame_is_dropped_and_next_frame_decodes)                          \
  X(bad_escape_is_dropped_and_next_frame_decodes)                              \
  X(short_frame_is_dropped_and_next_frame_decodes)                             \
  X(oversize_frame_never_writes_past_the_buffer)                               \
  X(exactly_max_payload_decodes_and_one_more_byte_is_oversize)                 \
  X(empty_frames_between_flags_are_ignored)                                    \
  X(console_text_between_frames_is_discarded_and_counted)                      \
  X(frame_without_its_opening_flag_after_a_cut_is_recovered)                   \
  X(random_garbage_between_frames_does_not_disturb_decoding)                   \
  X(chunking_one_byte_all_at_once_and_random_give_identical_frames)            \
  X(ten_thousand_random_payloads_round_trip)                                   \
  X(rejected_payload_is_counted_as_a_drop)
#include "gcmon_test_main.h"
