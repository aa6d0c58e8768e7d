/* gcmon byte-stream framing: HDLC-style flags, byte stuffing and CRC-32.
 *
 *     0x7E  escape( payload || CRC32LE(payload) )  0x7E
 *
 * Identical on UART and TCP (docs/protocol.md, Framing). This layer knows
 * nothing of protobuf and does no I/O and no allocation: the encoder writes
 * into a caller buffer, the decoder into a buffer it is given at init.
 *
 * Usage:
 *
 *     uint8_t buf[GCMON_FRAME_MAX];
 *     gcmon_frame_decoder dec;
 *     gcmon_frame_decoder_init(&dec, buf, sizeof buf);
 *     while (len > 0) {
 *       size_t used;
 *       gcmon_frame_status st = gcmon_frame_decoder_feed(&dec, p, len, &used);
 *       p += used, len -= used;
 *       if (st == GCMON_FRAME_READY)
 *         handle(dec.buf, dec.payload_len);  // valid until the next feed
 *     }
 *
 * Receiver states (see docs/protocol.md for the diagram):
 *   IDLE   between frames. Bytes here are line noise or console text; they
 *          are kept (up to the buffer) only so that a sender that shares one
 *          flag between two frames is still understood. At the next flag the
 *          run is accepted if it is a valid frame, else counted as discarded.
 *   FRAME  after an opening flag: bytes are unescaped into the buffer; at the
 *          closing flag the frame is checked and either ready or dropped with
 *          its reason. Past the buffer, bytes are counted, never stored.
 *   ESCAPE after 0x7D inside FRAME or IDLE.
 * After any non-empty run the decoder returns to IDLE, so a frame that was
 * cut short can never swallow the frame after it.
 */
#ifndef GCMON_FRAME_H
#define GCMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GCMON_FRAME_FLAG    0x7Eu
#define GCMON_FRAME_ESC     0x7Du
#define GCMON_FRAME_ESC_XOR 0x20u

/* Largest payload (one encoded Packet) a frame may carry. */
#define GCMON_MAX_PAYLOAD        1024u
/* CRC bytes appended to the payload. */
#define GCMON_FRAME_CRC_LEN      4u
/* Largest unescaped frame body: the decoder buffer size to use. */
#define GCMON_FRAME_MAX          (GCMON_MAX_PAYLOAD + GCMON_FRAME_CRC_LEN)
/* Smallest valid unescaped frame body: one payload byte plus CRC. */
#define GCMON_FRAME_MIN          (1u + GCMON_FRAME_CRC_LEN)
/* Worst-case bytes on the wire for a payload of n bytes (every byte escaped).
 */
#define GCMON_FRAME_WIRE_SIZE(n) (2u * ((n) + GCMON_FRAME_CRC_LEN) + 2u)
/* Worst-case wire size of any frame. */
#define GCMON_FRAME_WIRE_MAX     GCMON_FRAME_WIRE_SIZE(GCMON_MAX_PAYLOAD)

/* Encode one frame into out[0..cap). Returns the number of bytes written, or
 * 0 when len is 0 or above GCMON_MAX_PAYLOAD, or out is too small (nothing
 * useful is written then). Cost: O(len). */
size_t gcmon_frame_encode(const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap);

typedef enum {
  GCMON_FRAME_NEED_MORE = 0,   /* input consumed, no frame completed */
  GCMON_FRAME_READY,           /* a valid payload is in buf[0..payload_len) */
  GCMON_FRAME_DROP_CRC,        /* frame closed with a CRC mismatch */
  GCMON_FRAME_DROP_OVERSIZE,   /* frame longer than the buffer */
  GCMON_FRAME_DROP_BAD_ESCAPE, /* 0x7D followed by 0x7E */
  GCMON_FRAME_DROP_SHORT       /* fewer than GCMON_FRAME_MIN bytes */
} gcmon_frame_status;

/* Counters a decoder keeps from init; never reset by the decoder itself. */
typedef struct {
  uint64_t frames;           /* valid frames delivered */
  uint64_t drop_crc;         /* frames dropped for a CRC mismatch */
  uint64_t drop_oversize;    /* frames dropped for exceeding the buffer */
  uint64_t drop_bad_escape;  /* frames dropped for 0x7D 0x7E */
  uint64_t drop_short;       /* frames dropped for being too short */
  uint64_t drop_undecodable; /* valid frames the layer above rejected */
  uint64_t bytes_discarded;  /* noise bytes seen between frames */
} gcmon_frame_stats;

typedef enum {
  GCMON__FRAME_IDLE = 0,
  GCMON__FRAME_IN_FRAME,
} gcmon__frame_state;

typedef struct {
  uint8_t *buf;       /* caller-owned, cap bytes */
  size_t cap;         /* frames longer than this are dropped as oversize */
  size_t len;         /* unescaped bytes in the current run (may exceed cap) */
  size_t payload_len; /* after READY: payload bytes in buf */
  size_t raw_len;     /* wire bytes in the current run (for noise counts) */
  uint8_t state;      /* gcmon__frame_state */
  uint8_t escaped;    /* previous byte was 0x7D */
  uint8_t bad_escape; /* the run contained 0x7D 0x7E */
  gcmon_frame_stats stats;
} gcmon_frame_decoder;

/* Attach a decoder to buf (cap bytes, normally GCMON_FRAME_MAX). The decoder
 * starts between frames. Never fails. */
void gcmon_frame_decoder_init(gcmon_frame_decoder *d, uint8_t *buf, size_t cap);

/* Feed bytes, stopping right after the first byte that ends a frame (valid
 * or dropped). *consumed tells how many bytes were used; feed the rest
 * again. On GCMON_FRAME_READY the payload is d->buf[0..d->payload_len),
 * valid until the next call. */
gcmon_frame_status gcmon_frame_decoder_feed(gcmon_frame_decoder *d,
                                            const uint8_t *data, size_t len,
                                            size_t *consumed);

/* One byte at a time; same result as feed() with len 1. */
gcmon_frame_status gcmon_frame_decoder_push(gcmon_frame_decoder *d,
                                            uint8_t byte);

/* The layer above calls this when a READY payload does not decode as a
 * Packet, so that the drop is counted with the others. */
void gcmon_frame_decoder_reject(gcmon_frame_decoder *d);

/* Total frames dropped for any reason (including rejected payloads). */
uint64_t gcmon_frame_stats_drops(const gcmon_frame_stats *s);

/* Human name of a status ("crc", "oversize", ...), for logs. */
const char *gcmon_frame_status_name(gcmon_frame_status st);

#ifdef __cplusplus
}
#endif
#endif
