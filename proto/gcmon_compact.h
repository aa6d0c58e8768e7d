/* The compact sample encoding of protocol 1.1 (docs/protocol.md, "Compact
 * sample stream"): the bytes of SampleBatch.data, shared by the daemon
 * (nanopb side) and libgcmon (protobuf-c side). It works on plain
 * gcmon_sample structs, does no I/O and never allocates: every state lives
 * in a struct the caller owns.
 *
 * A stream is a keyframe (one whole sample, sizes in the units its pools
 * count in) followed by deltas: a bitmap of the fields that differ from
 * their prediction, then each difference as a zigzag varint. The first
 * sample of a batch is a keyframe or a delta against the stream's last
 * keyframe; later samples in the batch are deltas against the one before.
 * So a lost batch costs only its own samples, unless it carried the
 * keyframe the next batches refer to: the decoder then reports those
 * batches as undecodable until the next keyframe.
 *
 * Encoder, per stream (a subscription, or one get_history answer):
 *
 *     gcmon_compact_encoder enc;
 *     gcmon_compact_batch b;
 *     gcmon_compact_encoder_init(&enc, stride, period_us, keyframe_every);
 *     gcmon_compact_batch_begin(&enc, &b, buf, sizeof buf);
 *     while (have_sample && gcmon_compact_batch_add(&enc, &b, &s) == 0)
 *       next sample...
 *     send SampleBatch{b.first_seq, b.count, buf[0..b.len)};
 *     gcmon_compact_batch_commit(&enc, &b);   // only once it was sent
 *
 * Decoder, per stream:
 *
 *     gcmon_compact_decoder dec;
 *     gcmon_compact_decoder_init(&dec);
 *     n = gcmon_compact_decode(&dec, first_seq, count, data, len, emit, ctx);
 */
#ifndef GCMON_COMPACT_H
#define GCMON_COMPACT_H

#include "gcmon/error.h"
#include "gcmon/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SampleBatch.data bound (gcmon.options). */
#define GCMON_COMPACT_DATA_MAX 512u
/* CompactParams defaults (a 0 in the message means these). */
#define GCMON_COMPACT_DEFAULT_LATENCY_MS     100u
#define GCMON_COMPACT_DEFAULT_KEYFRAME_EVERY 64u
/* The encoder never declares a unit above 2^16 bytes. */
#define GCMON_COMPACT_UNIT_CAP 16u
/* Fields of the delta bitmap (docs/protocol.md lists them in order). */
#define GCMON_COMPACT_FIELDS 20u
/* Pools with a unit and a presence bit: gc, sys_heap, sys_page, sys_mmz. */
#define GCMON_COMPACT_GROUPS 4u
/* Largest encoded record: a keyframe with every field at 10 bytes. */
#define GCMON_COMPACT_RECORD_MAX 232u

/* What a keyframe declares for the deltas that follow it. */
typedef struct gcmon_compact_key {
  uint8_t presence;                    /* bit g: group g present */
  uint8_t units[GCMON_COMPACT_GROUPS]; /* log2 of each group's byte unit */
  uint32_t stride;                     /* seq distance between samples */
  uint64_t period_us;                  /* predicted uptime per seq */
} gcmon_compact_key;

typedef struct gcmon_compact_encoder {
  uint32_t stride;
  uint64_t period_us;
  uint32_t keyframe_every;
  bool have_key;                /* a keyframe was sent on this stream */
  bool force_key;               /* the next sample is a keyframe */
  gcmon_compact_key key;        /* the last keyframe sent */
  gcmon_sample key_sample;
  uint32_t since_key;           /* samples sent since (keyframe included) */
  uint8_t unit_cap[GCMON_COMPACT_GROUPS]; /* units only ever shrink */
} gcmon_compact_encoder;

/* One batch being built; committed to its encoder once sent. */
typedef struct gcmon_compact_batch {
  uint8_t *data;
  size_t cap, len;
  uint64_t first_seq; /* valid once count > 0 */
  uint32_t count;
  gcmon_sample prev; /* the last sample added */
  bool has_key;      /* the batch opens with a keyframe */
  gcmon_compact_key key;
  gcmon_sample key_sample; /* its first sample, when has_key */
  uint32_t since_key;
} gcmon_compact_batch;

typedef struct gcmon_compact_decoder {
  bool have_key;
  gcmon_compact_key key;
  gcmon_sample key_sample;
  uint64_t key_t[GCMON_COMPACT_FIELDS]; /* its transmitted values */
} gcmon_compact_decoder;

/* stride >= 1 (seqs between samples); period_us: the sampler period (the
 * uptime a seq step predicts); keyframe_every 0 = the default (64). */
void gcmon_compact_encoder_init(gcmon_compact_encoder *e, uint32_t stride,
                                uint64_t period_us, uint32_t keyframe_every);

/* Let s narrow the units later keyframes declare to what s needs, so that
 * samples like it do not force a keyframe each (one sample's sizes may be
 * multiples of a coarser unit by chance). Call with recent samples before
 * the first batch. */
void gcmon_compact_encoder_learn(gcmon_compact_encoder *e,
                                 const gcmon_sample *s);

/* The next batch opens with a keyframe (asked for, or after a gap). */
void gcmon_compact_encoder_force_key(gcmon_compact_encoder *e);

/* Start a batch in buf (cap <= GCMON_COMPACT_DATA_MAX; at least
 * GCMON_COMPACT_RECORD_MAX + 10, so one sample always fits). */
void gcmon_compact_batch_begin(const gcmon_compact_encoder *e,
                               gcmon_compact_batch *b, uint8_t *buf,
                               size_t cap);

/* Append s. 0, or GCMON_ENOSPC when s belongs in the next batch: it does
 * not fit, its seq is not the next one of this batch (first_seq +
 * count x stride), or it needs a keyframe and the batch is not empty. The
 * first sample of a batch is always taken (a keyframe when needed). */
int gcmon_compact_batch_add(const gcmon_compact_encoder *e,
                            gcmon_compact_batch *b, const gcmon_sample *s);

/* The batch was sent: later batches refer to its keyframe, if it had one. */
void gcmon_compact_batch_commit(gcmon_compact_encoder *e,
                                const gcmon_compact_batch *b);

void gcmon_compact_decoder_init(gcmon_compact_decoder *d);

/* Decode one SampleBatch, calling emit (may be NULL) for each of its count
 * samples in order. The batch is checked whole before anything is
 * emitted. Returns count, GCMON_EPARSE when the bytes break the encoding,
 * or GCMON_EPROTO when the batch refers to a keyframe this decoder does
 * not hold (it was lost): nothing is emitted and the stream needs a new
 * keyframe. A keyframe in the batch becomes the decoder's reference. */
int gcmon_compact_decode(gcmon_compact_decoder *d, uint64_t first_seq,
                         uint32_t count, const uint8_t *data, size_t len,
                         void (*emit)(void *ctx, const gcmon_sample *s),
                         void *ctx);

/* The seq of the keyframe the decoder holds, 0 when none. */
uint64_t gcmon_compact_decoder_key_seq(const gcmon_compact_decoder *d);

/* s with absent pools zeroed: what a decoder gives back for s. */
void gcmon_compact_normalize(gcmon_sample *s);

#endif
