/* Fuzz target: the framing receiver (proto/gcmon_frame.c) on arbitrary
 * wire bytes.
 *
 * Input: byte 0 picks the decoder's buffer (odd: the real GCMON_FRAME_MAX;
 * even: a small one, 5 to 132 bytes, so oversize frames are common), byte 1
 * seeds the chunk sizes, the rest is what arrives on the wire.
 *
 * For any input:
 *   - feed() in arbitrary chunks and push() one byte at a time report the
 *     same statuses at the same bytes and the same payloads;
 *   - nothing is written past the buffer (canary bytes after it);
 *   - every delivered payload fits its bounds, carries a matching CRC, and
 *     re-encodes to a frame that decodes back to itself;
 *   - the counters equal the statuses returned, one for one;
 *   - after the input, a flag and one good frame are delivered intact
 *     (recovery at the next good frame, whatever came before). */
#include "fuzz_check.h"
#include "gcmon_crc32.h"
#include "gcmon_frame.h"

#include <string.h>

#define CANARY 0xA5u
#define SLACK  32u

typedef struct {
  uint8_t mem[GCMON_FRAME_MAX + SLACK];
  size_t cap;
  gcmon_frame_decoder dec;
  uint64_t seen[GCMON_FRAME_DROP_SHORT + 1]; /* statuses returned */
} receiver;

static void receiver_init(receiver *r, size_t cap) {
  memset(r, 0, sizeof *r);
  memset(r->mem, CANARY, sizeof r->mem);
  r->cap = cap;
  gcmon_frame_decoder_init(&r->dec, r->mem, cap);
}

static void check_canary(const receiver *r) {
  for (size_t i = r->cap; i < sizeof r->mem; i++)
    FUZZ_CHECK(r->mem[i] == CANARY);
}

static void check_counters(const receiver *r) {
  const gcmon_frame_stats *s = &r->dec.stats;
  FUZZ_CHECK(s->frames == r->seen[GCMON_FRAME_READY]);
  FUZZ_CHECK(s->drop_crc == r->seen[GCMON_FRAME_DROP_CRC]);
  FUZZ_CHECK(s->drop_oversize == r->seen[GCMON_FRAME_DROP_OVERSIZE]);
  FUZZ_CHECK(s->drop_bad_escape == r->seen[GCMON_FRAME_DROP_BAD_ESCAPE]);
  FUZZ_CHECK(s->drop_short == r->seen[GCMON_FRAME_DROP_SHORT]);
  FUZZ_CHECK(s->drop_undecodable == 0);
}

/* A delivered payload: in bounds, CRC right, and it survives a round trip
 * through the encoder and a fresh decoder. */
static void check_payload(const receiver *r) {
  static uint8_t wire[GCMON_FRAME_WIRE_MAX];
  static uint8_t buf[GCMON_FRAME_MAX];
  const uint8_t *p = r->dec.buf;
  size_t n = r->dec.payload_len;
  gcmon_frame_decoder fresh;
  gcmon_frame_status st = GCMON_FRAME_NEED_MORE;
  uint32_t crc;
  size_t w, used = 0;

  FUZZ_CHECK(n >= 1 && n <= GCMON_MAX_PAYLOAD);
  FUZZ_CHECK(n + GCMON_FRAME_CRC_LEN <= r->cap);
  crc = gcmon_crc32(0, p, n);
  FUZZ_CHECK(p[n] == (uint8_t)crc && p[n + 1] == (uint8_t)(crc >> 8) &&
             p[n + 2] == (uint8_t)(crc >> 16) &&
             p[n + 3] == (uint8_t)(crc >> 24));

  w = gcmon_frame_encode(p, n, wire, sizeof wire);
  FUZZ_CHECK(w >= n + 6 && w <= GCMON_FRAME_WIRE_SIZE(n));
  gcmon_frame_decoder_init(&fresh, buf, sizeof buf);
  st = gcmon_frame_decoder_feed(&fresh, wire, w, &used);
  FUZZ_CHECK(st == GCMON_FRAME_READY && used == w);
  FUZZ_CHECK(fresh.payload_len == n && memcmp(buf, p, n) == 0);
}

/* xorshift32, seeded from the input: chunk sizes 1..64. */
static size_t next_chunk(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return 1u + (*s & 63u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static receiver chunked, bytewise;
  static const uint8_t good_payload[] = {0x2A};
  uint8_t good[16];
  size_t cap, pos = 0, good_len;
  uint32_t seed;
  gcmon_frame_status st = GCMON_FRAME_NEED_MORE;

  if (size < 2)
    return 0;
  cap = (data[0] & 1u) ? GCMON_FRAME_MAX : GCMON_FRAME_MIN + (data[0] >> 1);
  seed = 0x9E3779B9u ^ data[1];
  data += 2;
  size -= 2;
  receiver_init(&chunked, cap);
  receiver_init(&bytewise, cap);

  while (pos < size) {
    size_t want = next_chunk(&seed), used = 0;
    if (want > size - pos)
      want = size - pos;
    st = gcmon_frame_decoder_feed(&chunked.dec, data + pos, want, &used);
    FUZZ_CHECK(used >= 1 && used <= want);
    /* Only a flag ends a frame; without one the whole chunk is taken. */
    FUZZ_CHECK(st == GCMON_FRAME_NEED_MORE
                   ? used == want
                   : data[pos + used - 1] == GCMON_FRAME_FLAG);
    chunked.seen[st]++;
    /* The byte-at-a-time decoder must agree at every byte. */
    for (size_t i = 0; i < used; i++) {
      gcmon_frame_status b =
          gcmon_frame_decoder_push(&bytewise.dec, data[pos + i]);
      FUZZ_CHECK(b == (i + 1 == used ? st : GCMON_FRAME_NEED_MORE));
      bytewise.seen[b]++;
    }
    if (st == GCMON_FRAME_READY) {
      FUZZ_CHECK(bytewise.dec.payload_len == chunked.dec.payload_len);
      FUZZ_CHECK(memcmp(bytewise.dec.buf, chunked.dec.buf,
                        chunked.dec.payload_len) == 0);
      check_payload(&chunked);
    }
    check_canary(&chunked);
    check_canary(&bytewise);
    pos += used;
  }
  check_counters(&chunked);
  check_counters(&bytewise);
  FUZZ_CHECK(chunked.dec.stats.bytes_discarded ==
             bytewise.dec.stats.bytes_discarded);
  FUZZ_CHECK(chunked.dec.stats.bytes_discarded <= size);

  /* Recovery: one flag ends whatever run the input left open, then a good
   * frame must come through. */
  good[0] = GCMON_FRAME_FLAG;
  good_len = 1 + gcmon_frame_encode(good_payload, sizeof good_payload, good + 1,
                                    sizeof good - 1);
  FUZZ_CHECK(good_len > 1);
  for (size_t i = 0; i < good_len; i++)
    st = gcmon_frame_decoder_push(&chunked.dec, good[i]);
  FUZZ_CHECK(st == GCMON_FRAME_READY);
  FUZZ_CHECK(chunked.dec.payload_len == 1 && chunked.dec.buf[0] == 0x2A);
  check_canary(&chunked);
  return 0;
}
