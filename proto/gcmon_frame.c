/* Frame encoder and the byte-at-a-time frame decoder (see gcmon_frame.h for
 * the wire format and the receiver's states). No I/O, no allocation: every
 * byte written lands inside a caller-provided buffer whose size is checked
 * before the write. */
#include "gcmon_frame.h"

#include "gcmon_crc32.h"

static int needs_escape(uint8_t b) {
  return b == GCMON_FRAME_FLAG || b == GCMON_FRAME_ESC;
}

/* Append src[0..n) escaped at out[*pos..cap); 0 when it does not fit. */
static int put_escaped(uint8_t *out, size_t cap, size_t *pos,
                       const uint8_t *src, size_t n) {
  size_t p = *pos;
  for (size_t i = 0; i < n; i++) {
    uint8_t b = src[i];
    if (needs_escape(b)) {
      if (cap - p < 2)
        return 0;
      out[p++] = GCMON_FRAME_ESC;
      out[p++] = (uint8_t)(b ^ GCMON_FRAME_ESC_XOR);
    } else {
      if (cap - p < 1)
        return 0;
      out[p++] = b;
    }
  }
  *pos = p;
  return 1;
}

size_t gcmon_frame_encode(const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap) {
  if (len == 0 || len > GCMON_MAX_PAYLOAD || cap < 2 + len + 4 + 1)
    return 0;

  uint32_t crc = gcmon_crc32(0, payload, len);
  uint8_t trailer[GCMON_FRAME_CRC_LEN] = {(uint8_t)crc, (uint8_t)(crc >> 8),
                                          (uint8_t)(crc >> 16),
                                          (uint8_t)(crc >> 24)};
  size_t pos = 0;

  out[pos++] = GCMON_FRAME_FLAG;
  if (!put_escaped(out, cap, &pos, payload, len) ||
      !put_escaped(out, cap, &pos, trailer, sizeof trailer) || pos >= cap)
    return 0;
  out[pos++] = GCMON_FRAME_FLAG;
  return pos;
}

void gcmon_frame_decoder_init(gcmon_frame_decoder *d, uint8_t *buf,
                              size_t cap) {
  *d =
      (gcmon_frame_decoder){.buf = buf, .cap = cap, .state = GCMON__FRAME_IDLE};
}

static int crc_matches(const uint8_t *body, size_t len) {
  size_t n = len - GCMON_FRAME_CRC_LEN;
  uint32_t want = (uint32_t)body[n] | (uint32_t)body[n + 1] << 8 |
                  (uint32_t)body[n + 2] << 16 | (uint32_t)body[n + 3] << 24;
  return gcmon_crc32(0, body, n) == want;
}

/* Classify the run that a flag just closed. */
static gcmon_frame_status check_run(const gcmon_frame_decoder *d) {
  if (d->bad_escape)
    return GCMON_FRAME_DROP_BAD_ESCAPE;
  if (d->len > d->cap || d->len > GCMON_FRAME_MAX)
    return GCMON_FRAME_DROP_OVERSIZE;
  if (d->len < GCMON_FRAME_MIN)
    return GCMON_FRAME_DROP_SHORT;
  if (!crc_matches(d->buf, d->len))
    return GCMON_FRAME_DROP_CRC;
  return GCMON_FRAME_READY;
}

static gcmon_frame_status end_run(gcmon_frame_decoder *d) {
  gcmon_frame_status st;

  if (d->raw_len == 0) {
    /* Back-to-back flags: an empty frame, ignored; this flag opens. */
    d->state = GCMON__FRAME_IN_FRAME;
    return GCMON_FRAME_NEED_MORE;
  }

  st = check_run(d);
  if (st == GCMON_FRAME_READY) {
    d->payload_len = d->len - GCMON_FRAME_CRC_LEN;
    d->stats.frames++;
    d->state = GCMON__FRAME_IDLE;
  } else if (d->state == GCMON__FRAME_IDLE) {
    /* Text between frames: not a frame, and this flag opens the next. */
    d->stats.bytes_discarded += d->raw_len;
    d->state = GCMON__FRAME_IN_FRAME;
    st = GCMON_FRAME_NEED_MORE;
  } else {
    switch (st) {
    case GCMON_FRAME_DROP_CRC:
      d->stats.drop_crc++;
      break;
    case GCMON_FRAME_DROP_OVERSIZE:
      d->stats.drop_oversize++;
      break;
    case GCMON_FRAME_DROP_BAD_ESCAPE:
      d->stats.drop_bad_escape++;
      break;
    case GCMON_FRAME_DROP_SHORT:
      d->stats.drop_short++;
      break;
    case GCMON_FRAME_NEED_MORE:
    case GCMON_FRAME_READY:
      break;
    }
    d->state = GCMON__FRAME_IDLE;
  }
  d->len = 0;
  d->raw_len = 0;
  d->escaped = 0;
  d->bad_escape = 0;
  return st;
}

gcmon_frame_status gcmon_frame_decoder_push(gcmon_frame_decoder *d,
                                            uint8_t byte) {
  if (byte == GCMON_FRAME_FLAG) {
    if (d->escaped)
      d->bad_escape = 1;
    return end_run(d);
  }
  d->raw_len++;
  if (byte == GCMON_FRAME_ESC && !d->escaped) {
    d->escaped = 1;
    return GCMON_FRAME_NEED_MORE;
  }
  if (d->escaped) {
    byte ^= GCMON_FRAME_ESC_XOR;
    d->escaped = 0;
  }
  if (d->len < d->cap)
    d->buf[d->len] = byte;
  if (d->len <= d->cap) /* count one past cap: enough to know "too big" */
    d->len++;
  return GCMON_FRAME_NEED_MORE;
}

gcmon_frame_status gcmon_frame_decoder_feed(gcmon_frame_decoder *d,
                                            const uint8_t *data, size_t len,
                                            size_t *consumed) {
  for (size_t i = 0; i < len; i++) {
    gcmon_frame_status st = gcmon_frame_decoder_push(d, data[i]);
    if (st != GCMON_FRAME_NEED_MORE) {
      *consumed = i + 1;
      return st;
    }
  }
  *consumed = len;
  return GCMON_FRAME_NEED_MORE;
}

void gcmon_frame_decoder_reject(gcmon_frame_decoder *d) {
  d->stats.drop_undecodable++;
}

uint64_t gcmon_frame_stats_drops(const gcmon_frame_stats *s) {
  return s->drop_crc + s->drop_oversize + s->drop_bad_escape + s->drop_short +
         s->drop_undecodable;
}

const char *gcmon_frame_status_name(gcmon_frame_status st) {
  switch (st) {
  case GCMON_FRAME_NEED_MORE:
    return "need-more";
  case GCMON_FRAME_READY:
    return "ready";
  case GCMON_FRAME_DROP_CRC:
    return "crc";
  case GCMON_FRAME_DROP_OVERSIZE:
    return "oversize";
  case GCMON_FRAME_DROP_BAD_ESCAPE:
    return "bad-escape";
  case GCMON_FRAME_DROP_SHORT:
    return "short";
  }
  return "unknown";
}
