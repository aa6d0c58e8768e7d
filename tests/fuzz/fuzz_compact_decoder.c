/* Fuzz target: the compact sample decoder (proto/gcmon_compact.c), the
 * one piece of 1.1 that parses bytes a daemon chose.
 *
 * Input: two SampleBatches back to back, each as
 *   first_seq (varint) | count (varint) | length (1 byte) | data[length]
 * decoded in order by one decoder, so the second may refer to a keyframe
 * the first carried (the delta-against-keyframe path) or to one it never
 * got. The seed corpus is real batches from the encoder.
 *
 * For any input:
 *   - decode returns count, GCMON_EPARSE or GCMON_EPROTO, and emits exactly
 *     count samples on success and none on failure;
 *   - the samples' seqs are first_seq, first_seq + stride, ... ascending;
 *   - every sample it gives back survives the encoder and decoder again
 *     unchanged (what decodes is something the encoding can say). */
#include "fuzz_check.h"
#include "gcmon_compact.h"

#include <string.h>

typedef struct {
  gcmon_sample samples[GCMON_COMPACT_DATA_MAX];
  uint32_t n;
} sink;

static void collect(void *ctx, const gcmon_sample *s) {
  sink *k = ctx;
  FUZZ_CHECK(k->n < GCMON_COMPACT_DATA_MAX);
  k->samples[k->n++] = *s;
}

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80))
      return true;
  }
  return false;
}

static void same(const gcmon_sample *a, const gcmon_sample *b) {
  const gcmon_mem_info *ma[3] = {&a->sys_heap, &a->sys_page, &a->sys_mmz};
  const gcmon_mem_info *mb[3] = {&b->sys_heap, &b->sys_page, &b->sys_mmz};
  FUZZ_CHECK(a->seq == b->seq && a->uptime_us == b->uptime_us);
  FUZZ_CHECK(a->has_gc == b->has_gc && a->sys_total == b->sys_total);
  FUZZ_CHECK(a->gc.mem_alloc == b->gc.mem_alloc &&
             a->gc.mem_free == b->gc.mem_free &&
             a->gc.threshold == b->gc.threshold &&
             a->gc.enabled == b->gc.enabled &&
             a->gc.collections == b->gc.collections &&
             a->gc.largest_free == b->gc.largest_free);
  FUZZ_CHECK(a->has_sys_heap == b->has_sys_heap &&
             a->has_sys_page == b->has_sys_page &&
             a->has_sys_mmz == b->has_sys_mmz);
  for (int i = 0; i < 3; i++)
    FUZZ_CHECK(ma[i]->total == mb[i]->total && ma[i]->used == mb[i]->used &&
               ma[i]->free == mb[i]->free &&
               ma[i]->peak_used == mb[i]->peak_used);
}

/* Encode the decoded samples afresh and decode them again. */
static void re_encode(const sink *k, uint32_t stride) {
  static sink again;
  gcmon_compact_encoder enc;
  gcmon_compact_decoder dec;
  uint8_t buf[GCMON_COMPACT_DATA_MAX];
  uint32_t i = 0;
  again.n = 0;
  gcmon_compact_encoder_init(&enc, stride, 10000, 0);
  gcmon_compact_decoder_init(&dec);
  while (i < k->n) {
    gcmon_compact_batch b;
    gcmon_compact_batch_begin(&enc, &b, buf, sizeof buf);
    while (i < k->n && gcmon_compact_batch_add(&enc, &b, &k->samples[i]) == 0)
      i++;
    FUZZ_CHECK(b.count > 0);
    gcmon_compact_batch_commit(&enc, &b);
    FUZZ_CHECK(gcmon_compact_decode(&dec, b.first_seq, b.count, buf, b.len,
                                    collect, &again) == (int)b.count);
  }
  FUZZ_CHECK(again.n == k->n);
  for (i = 0; i < k->n; i++)
    same(&k->samples[i], &again.samples[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sink k;
  gcmon_compact_decoder dec;
  const uint8_t *p = data, *end = data + size;

  gcmon_compact_decoder_init(&dec);
  for (int batch = 0; batch < 2; batch++) {
    uint64_t first, count;
    size_t len;
    int n;
    if (!read_varint(&p, end, &first) || !read_varint(&p, end, &count) ||
        p >= end)
      return 0;
    len = *p++;
    if ((size_t)(end - p) < len)
      len = (size_t)(end - p);
    if (count > GCMON_COMPACT_DATA_MAX)
      count = GCMON_COMPACT_DATA_MAX;
    k.n = 0;
    n = gcmon_compact_decode(&dec, first, (uint32_t)count, p, len, collect,
                             &k);
    p += len;
    if (n < 0) {
      FUZZ_CHECK(n == GCMON_EPARSE || n == GCMON_EPROTO);
      FUZZ_CHECK(k.n == 0);
      continue;
    }
    FUZZ_CHECK((uint64_t)n == count && k.n == count);
    for (uint32_t i = 1; i < k.n; i++)
      FUZZ_CHECK(k.samples[i].seq > k.samples[i - 1].seq);
    FUZZ_CHECK(k.samples[0].seq == first);
    if (k.n > 1)
      re_encode(&k, (uint32_t)(k.samples[1].seq - k.samples[0].seq));
    else
      re_encode(&k, 1);
  }
  return 0;
}
