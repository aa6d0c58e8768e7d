/* The compact sample encoding (see gcmon_compact.h; the normative text is
 * docs/protocol.md, "Compact sample stream").
 *
 * Every field is first turned into its transmitted value t (a uint64): byte
 * sizes divided by their group's unit, -1 sentinels kept as all-ones.
 * Keyframes carry t; deltas carry t minus a prediction from the reference
 * sample, all arithmetic modulo 2^64, so any value round-trips exactly.
 * One table describes the fields; nothing below is per field. */
#include "gcmon_compact.h"

#include <string.h>

#define ALL_ONES UINT64_MAX
#define NO_GROUP 0xFF

enum kind {
  RAW,        /* uint64, no unit */
  FLAG,       /* bool, 0 or 1 */
  SIZE,       /* uint64 bytes, in the group's unit */
  SIGNED_SIZE /* int64 bytes or -1, in the group's unit */
};

enum predict {
  SAME,     /* the reference's value */
  UPTIME,   /* reference + seq steps x period */
  GC_FREE,  /* reference - (mem_alloc change); all-ones stays */
  MEM_FREE, /* reference + (total change) - (used change) */
  PEAK      /* max(reference, used now); 0 stays */
};

typedef struct {
  size_t offset;   /* in gcmon_sample */
  uint8_t group;   /* 0 gc, 1 sys_heap, 2 sys_page, 3 sys_mmz, or NO_GROUP */
  uint8_t kind;
  uint8_t predict;
  uint8_t partner; /* the field a prediction uses (used, mem_alloc) */
  uint8_t total;   /* MEM_FREE: the pool's total */
} field;

#define GC(m)      offsetof(gcmon_sample, gc.m)
#define MEM(p, m)  offsetof(gcmon_sample, p.m)

/* Bit i of a delta's bitmap is fields[i]; the order puts the fields that
 * change most into the bitmap's first byte. */
static const field fields[GCMON_COMPACT_FIELDS] = {
    {offsetof(gcmon_sample, uptime_us), NO_GROUP, RAW, UPTIME, 0, 0},
    {GC(mem_alloc), 0, SIGNED_SIZE, SAME, 0, 0},
    {GC(largest_free), 0, SIGNED_SIZE, SAME, 0, 0},
    {GC(mem_free), 0, SIGNED_SIZE, GC_FREE, 1, 0},
    {MEM(sys_page, used), 2, SIZE, SAME, 0, 0},
    {MEM(sys_heap, used), 1, SIZE, SAME, 0, 0},
    {MEM(sys_mmz, used), 3, SIZE, SAME, 0, 0},
    {GC(collections), 0, RAW, SAME, 0, 0},
    {MEM(sys_heap, free), 1, SIZE, MEM_FREE, 5, 16},
    {MEM(sys_page, free), 2, SIZE, MEM_FREE, 4, 17},
    {MEM(sys_mmz, free), 3, SIZE, MEM_FREE, 6, 18},
    {GC(enabled), 0, FLAG, SAME, 0, 0},
    {GC(threshold), 0, SIGNED_SIZE, SAME, 0, 0},
    {MEM(sys_heap, peak_used), 1, SIZE, PEAK, 5, 0},
    {MEM(sys_page, peak_used), 2, SIZE, PEAK, 4, 0},
    {MEM(sys_mmz, peak_used), 3, SIZE, PEAK, 6, 0},
    {MEM(sys_heap, total), 1, SIZE, SAME, 0, 0},
    {MEM(sys_page, total), 2, SIZE, SAME, 0, 0},
    {MEM(sys_mmz, total), 3, SIZE, SAME, 0, 0},
    {offsetof(gcmon_sample, sys_total), NO_GROUP, RAW, SAME, 0, 0},
};

typedef uint64_t values[GCMON_COMPACT_FIELDS];

/* ---- varints -------------------------------------------------------- */

static bool put_varint(uint8_t *buf, size_t cap, size_t *len, uint64_t v) {
  do {
    if (*len >= cap)
      return false;
    buf[(*len)++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
    v >>= 7;
  } while (v);
  return true;
}

static bool get_varint(const uint8_t *buf, size_t len, size_t *pos,
                       uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    uint8_t byte;
    if (*pos >= len)
      return false;
    byte = buf[(*pos)++];
    if (shift == 63 && byte > 1)
      return false; /* more than 64 bits */
    v |= (uint64_t)(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

static uint64_t zigzag(uint64_t r) {
  return (r << 1) ^ (0 - (r >> 63));
}

static uint64_t unzigzag(uint64_t z) {
  return (z >> 1) ^ (0 - (z & 1));
}

/* ---- sample <-> transmitted values ------------------------------------ */

static const bool *group_flag(const gcmon_sample *s, unsigned g) {
  const bool *flags[GCMON_COMPACT_GROUPS] = {&s->has_gc, &s->has_sys_heap,
                                             &s->has_sys_page, &s->has_sys_mmz};
  return flags[g];
}

static uint8_t presence_of(const gcmon_sample *s) {
  uint8_t p = 0;
  for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++)
    p |= (uint8_t)(*group_flag(s, g) << g);
  return p;
}

static bool field_present(const field *f, uint8_t presence) {
  return f->group == NO_GROUP || (presence >> f->group) & 1;
}

static uint64_t raw_of(const gcmon_sample *s, const field *f) {
  const char *p = (const char *)s + f->offset;
  uint64_t u;
  int64_t i;
  bool b;
  switch (f->kind) {
  case FLAG:
    memcpy(&b, p, sizeof b);
    return b;
  case SIGNED_SIZE:
    memcpy(&i, p, sizeof i);
    return (uint64_t)i;
  default:
    memcpy(&u, p, sizeof u);
    return u;
  }
}

static void set_raw(gcmon_sample *s, const field *f, uint64_t v) {
  char *p = (char *)s + f->offset;
  if (f->kind == FLAG) {
    bool b = v != 0;
    memcpy(p, &b, sizeof b);
  } else {
    memcpy(p, &v, sizeof v); /* int64 and uint64 share the representation */
  }
}

static unsigned unit_of(const field *f, const gcmon_compact_key *k) {
  return f->kind == SIZE || f->kind == SIGNED_SIZE ? k->units[f->group] : 0;
}

/* False when v cannot be sent in unit u (low bits set). */
static bool to_t(const field *f, uint64_t v, unsigned u, uint64_t *t) {
  uint64_t low = u ? (1ull << u) - 1 : 0;
  if (f->kind == SIGNED_SIZE && v == ALL_ONES) {
    *t = ALL_ONES;
    return true;
  }
  if (u && (v & low || (f->kind == SIGNED_SIZE && (v >> 63))))
    return false;
  *t = v >> u;
  return true;
}

static uint64_t from_t(const field *f, uint64_t t, unsigned u) {
  if (f->kind == SIGNED_SIZE && t == ALL_ONES)
    return ALL_ONES;
  return t << u;
}

/* Transmitted values of s under key k; false if one does not fit k. */
static bool sample_to_t(const gcmon_sample *s, const gcmon_compact_key *k,
                        values t) {
  if (presence_of(s) != k->presence)
    return false;
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++) {
    const field *f = &fields[i];
    t[i] = 0;
    if (field_present(f, k->presence) &&
        !to_t(f, raw_of(s, f), unit_of(f, k), &t[i]))
      return false;
  }
  return true;
}

static void t_to_sample(const values t, const gcmon_compact_key *k,
                        uint64_t seq, gcmon_sample *s) {
  memset(s, 0, sizeof *s);
  s->seq = seq;
  s->has_gc = k->presence & 1;
  s->has_sys_heap = (k->presence >> 1) & 1;
  s->has_sys_page = (k->presence >> 2) & 1;
  s->has_sys_mmz = (k->presence >> 3) & 1;
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++)
    if (field_present(&fields[i], k->presence))
      set_raw(s, &fields[i], from_t(&fields[i], t[i], unit_of(&fields[i], k)));
}

void gcmon_compact_normalize(gcmon_sample *s) {
  values t;
  gcmon_compact_key k = {.presence = presence_of(s)};
  sample_to_t(s, &k, t); /* units 0: always fits */
  t_to_sample(t, &k, s->seq, s);
}

/* ---- prediction ------------------------------------------------------- */

/* The prediction of field i for a sample at seq, from the reference ref
 * (at ref_seq) and the fields of now already known (see decode order). */
static uint64_t predict(unsigned i, const values ref, uint64_t ref_seq,
                        const values now, uint64_t seq,
                        const gcmon_compact_key *k) {
  const field *f = &fields[i];
  switch (f->predict) {
  case UPTIME:
    return ref[i] + (seq - ref_seq) * k->period_us;
  case GC_FREE:
    return ref[i] == ALL_ONES ? ALL_ONES
                              : ref[i] - (now[f->partner] - ref[f->partner]);
  case MEM_FREE:
    return ref[i] + (now[f->total] - ref[f->total]) -
           (now[f->partner] - ref[f->partner]);
  case PEAK:
    if (ref[i] == 0)
      return 0;
    return now[f->partner] > ref[i] ? now[f->partner] : ref[i];
  default:
    return ref[i];
  }
}

/* Fields are reconstructed in two passes: those predicted from the
 * reference alone, then those whose prediction uses a field of now. */
static bool derived(unsigned i) {
  uint8_t p = fields[i].predict;
  return p == GC_FREE || p == MEM_FREE || p == PEAK;
}

/* ---- encoder ---------------------------------------------------------- */

void gcmon_compact_encoder_init(gcmon_compact_encoder *e, uint32_t stride,
                                uint64_t period_us, uint32_t keyframe_every) {
  memset(e, 0, sizeof *e);
  e->stride = stride ? stride : 1;
  e->period_us = period_us;
  e->keyframe_every =
      keyframe_every ? keyframe_every : GCMON_COMPACT_DEFAULT_KEYFRAME_EVERY;
  for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++)
    e->unit_cap[g] = GCMON_COMPACT_UNIT_CAP;
}

static void choose_key(const gcmon_compact_encoder *e, const gcmon_sample *s,
                       gcmon_compact_key *k);

void gcmon_compact_encoder_learn(gcmon_compact_encoder *e,
                                 const gcmon_sample *s) {
  gcmon_compact_key k;
  choose_key(e, s, &k);
  for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++)
    if ((k.presence >> g) & 1)
      e->unit_cap[g] = k.units[g];
}

void gcmon_compact_encoder_force_key(gcmon_compact_encoder *e) {
  e->force_key = true;
}

void gcmon_compact_batch_begin(const gcmon_compact_encoder *e,
                               gcmon_compact_batch *b, uint8_t *buf,
                               size_t cap) {
  memset(b, 0, sizeof *b);
  b->data = buf;
  b->cap = cap;
  b->since_key = e->since_key;
}

static unsigned trailing_zeros(uint64_t v) {
  unsigned n = 0;
  while (n < 63 && !((v >> n) & 1))
    n++;
  return n;
}

/* The key a keyframe of s declares: units as coarse as every size of the
 * group allows, never coarser than the stream has needed so far. */
static void choose_key(const gcmon_compact_encoder *e, const gcmon_sample *s,
                       gcmon_compact_key *k) {
  memset(k, 0, sizeof *k);
  k->presence = presence_of(s);
  k->stride = e->stride;
  k->period_us = e->period_us;
  for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++)
    k->units[g] = e->unit_cap[g];
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++) {
    const field *f = &fields[i];
    uint64_t v = raw_of(s, f);
    unsigned tz;
    if (f->kind != SIZE && f->kind != SIGNED_SIZE)
      continue;
    if (f->kind == SIGNED_SIZE && v == ALL_ONES)
      continue;
    tz = f->kind == SIGNED_SIZE && (v >> 63) ? 0 : trailing_zeros(v);
    if (v != 0 && tz < k->units[f->group])
      k->units[f->group] = (uint8_t)tz;
  }
}

static bool put_keyframe(uint8_t *rec, size_t *len, const gcmon_compact_key *k,
                         const values t) {
  bool ok = put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, k->presence) &&
            put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, k->stride) &&
            put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, k->period_us);
  for (unsigned g = 0; ok && g < GCMON_COMPACT_GROUPS; g++)
    if ((k->presence >> g) & 1)
      ok = put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, k->units[g]);
  for (unsigned i = 0; ok && i < GCMON_COMPACT_FIELDS; i++) {
    if (!field_present(&fields[i], k->presence))
      continue;
    ok = put_varint(rec, GCMON_COMPACT_RECORD_MAX, len,
                    fields[i].kind == SIGNED_SIZE ? zigzag(t[i]) : t[i]);
  }
  return ok;
}

static bool put_delta(uint8_t *rec, size_t *len, const values ref,
                      uint64_t ref_seq, const values now, uint64_t seq,
                      const gcmon_compact_key *k) {
  uint64_t resid[GCMON_COMPACT_FIELDS];
  uint64_t bitmap = 0;
  bool ok;
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++) {
    resid[i] = now[i] - predict(i, ref, ref_seq, now, seq, k);
    if (resid[i])
      bitmap |= 1ull << i;
  }
  ok = put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, bitmap);
  for (unsigned i = 0; ok && i < GCMON_COMPACT_FIELDS; i++)
    if (resid[i])
      ok = put_varint(rec, GCMON_COMPACT_RECORD_MAX, len, zigzag(resid[i]));
  return ok;
}

int gcmon_compact_batch_add(const gcmon_compact_encoder *e,
                            gcmon_compact_batch *b, const gcmon_sample *s) {
  uint8_t rec[GCMON_COMPACT_RECORD_MAX];
  size_t rlen = 0, hlen = 0;
  uint8_t head[10];
  values now, ref;
  const gcmon_compact_key *k = b->has_key ? &b->key : &e->key;
  gcmon_compact_key nk;
  bool key_needed;

  if (b->count > 0 && s->seq != b->first_seq + (uint64_t)b->count * e->stride)
    return GCMON_ENOSPC;
  /* A batch opens with a keyframe when none was sent, one was asked for,
   * or keyframe_every samples have gone since the last; any sample the
   * current key cannot carry (units, pools present) needs one too. */
  key_needed = !sample_to_t(s, k, now);
  if (b->count == 0)
    key_needed = key_needed || !e->have_key || e->force_key ||
                 b->since_key >= e->keyframe_every ||
                 s->seq <= e->key_sample.seq;
  if (key_needed && b->count > 0)
    return GCMON_ENOSPC;

  if (key_needed) {
    choose_key(e, s, &nk);
    sample_to_t(s, &nk, now); /* fits: units come from s itself */
    put_varint(head, sizeof head, &hlen, 0);
    put_keyframe(rec, &rlen, &nk, now); /* fits GCMON_COMPACT_RECORD_MAX */
  } else if (b->count == 0) {
    sample_to_t(&e->key_sample, &e->key, ref);
    put_varint(head, sizeof head, &hlen, s->seq - e->key_sample.seq);
    put_delta(rec, &rlen, ref, e->key_sample.seq, now, s->seq, &e->key);
  } else {
    sample_to_t(&b->prev, k, ref);
    put_delta(rec, &rlen, ref, b->prev.seq, now, s->seq, k);
  }
  if (b->len + hlen + rlen > b->cap)
    return GCMON_ENOSPC;
  memcpy(b->data + b->len, head, hlen);
  memcpy(b->data + b->len + hlen, rec, rlen);
  b->len += hlen + rlen;
  if (key_needed) {
    b->has_key = true;
    b->key = nk;
    b->key_sample = *s;
    b->since_key = 0;
  }
  if (b->count++ == 0)
    b->first_seq = s->seq;
  b->prev = *s;
  b->since_key++;
  return 0;
}

void gcmon_compact_batch_commit(gcmon_compact_encoder *e,
                                const gcmon_compact_batch *b) {
  if (b->count == 0)
    return;
  if (b->has_key) {
    e->have_key = true;
    e->force_key = false;
    e->key = b->key;
    for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++)
      if ((b->key.presence >> g) & 1)
        e->unit_cap[g] = b->key.units[g];
    e->key_sample = b->key_sample;
  }
  e->since_key = b->since_key;
}

/* ---- decoder ---------------------------------------------------------- */

void gcmon_compact_decoder_init(gcmon_compact_decoder *d) {
  memset(d, 0, sizeof *d);
}

uint64_t gcmon_compact_decoder_key_seq(const gcmon_compact_decoder *d) {
  return d->have_key ? d->key_sample.seq : 0;
}

static bool get_keyframe(const uint8_t *data, size_t len, size_t *pos,
                         gcmon_compact_key *k, values t) {
  uint64_t v;
  memset(k, 0, sizeof *k);
  if (!get_varint(data, len, pos, &v) || v > 0xF)
    return false;
  k->presence = (uint8_t)v;
  if (!get_varint(data, len, pos, &v) || v == 0 || v > UINT32_MAX)
    return false;
  k->stride = (uint32_t)v;
  if (!get_varint(data, len, pos, &k->period_us))
    return false;
  for (unsigned g = 0; g < GCMON_COMPACT_GROUPS; g++) {
    if (!((k->presence >> g) & 1))
      continue;
    if (!get_varint(data, len, pos, &v) || v > 63)
      return false;
    k->units[g] = (uint8_t)v;
  }
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++) {
    const field *f = &fields[i];
    t[i] = 0;
    if (!field_present(f, k->presence))
      continue;
    if (!get_varint(data, len, pos, &t[i]))
      return false;
    if (f->kind == SIGNED_SIZE)
      t[i] = unzigzag(t[i]);
    if (f->kind == FLAG && t[i] > 1)
      return false;
  }
  return true;
}

static bool get_delta(const uint8_t *data, size_t len, size_t *pos,
                      const values ref, uint64_t ref_seq, uint64_t seq,
                      const gcmon_compact_key *k, values now) {
  uint64_t bitmap, resid[GCMON_COMPACT_FIELDS] = {0};
  if (!get_varint(data, len, pos, &bitmap) ||
      bitmap >> GCMON_COMPACT_FIELDS)
    return false;
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++) {
    if (!((bitmap >> i) & 1))
      continue;
    if (!field_present(&fields[i], k->presence) ||
        !get_varint(data, len, pos, &resid[i]) || resid[i] == 0)
      return false;
    resid[i] = unzigzag(resid[i]);
  }
  for (int pass = 0; pass < 2; pass++)
    for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++)
      if (derived(i) == (pass == 1))
        now[i] = predict(i, ref, ref_seq, now, seq, k) + resid[i];
  for (unsigned i = 0; i < GCMON_COMPACT_FIELDS; i++)
    if (fields[i].kind == FLAG && now[i] > 1)
      return false;
  return true;
}

/* One pass over the batch; emits only when emit is not NULL. */
static int walk(gcmon_compact_decoder *d, uint64_t first_seq, uint32_t count,
                const uint8_t *data, size_t len,
                void (*emit)(void *ctx, const gcmon_sample *s), void *ctx) {
  gcmon_compact_key key = d->key;
  gcmon_sample out;
  values ref_t, now;
  uint64_t ref_seq = d->key_sample.seq, seq = first_seq, back;
  size_t pos = 0;
  bool have_key = d->have_key;

  if (count == 0 || first_seq == 0 || !get_varint(data, len, &pos, &back))
    return GCMON_EPARSE;
  for (uint32_t n = 0; n < count; n++) {
    if (n == 0 && back == 0) {
      if (!get_keyframe(data, len, &pos, &key, now))
        return GCMON_EPARSE;
      have_key = true;
      t_to_sample(now, &key, seq, &out);
      if (emit) {
        d->key_sample = out;
        d->key = key;
        d->have_key = true;
        memcpy(d->key_t, now, sizeof now);
      }
    } else {
      if (n == 0) {
        if (!have_key || back > first_seq || first_seq - back != ref_seq)
          return GCMON_EPROTO; /* its keyframe was lost */
        memcpy(ref_t, d->key_t, sizeof ref_t);
      }
      if (!get_delta(data, len, &pos, ref_t, ref_seq, seq, &key, now))
        return GCMON_EPARSE;
      t_to_sample(now, &key, seq, &out);
    }
    if (emit)
      emit(ctx, &out);
    memcpy(ref_t, now, sizeof ref_t);
    ref_seq = seq;
    if (n + 1 < count) {
      if (seq > UINT64_MAX - key.stride)
        return GCMON_EPARSE;
      seq += key.stride;
    }
  }
  return pos == len ? (int)count : GCMON_EPARSE;
}

int gcmon_compact_decode(gcmon_compact_decoder *d, uint64_t first_seq,
                         uint32_t count, const uint8_t *data, size_t len,
                         void (*emit)(void *ctx, const gcmon_sample *s),
                         void *ctx) {
  int n;
  if (count > len) /* every record is at least one byte */
    return GCMON_EPARSE;
  n = walk(d, first_seq, count, data, len, NULL, NULL);
  if (n < 0)
    return n;
  return walk(d, first_seq, count, data, len, emit, ctx);
}
