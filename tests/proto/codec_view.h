/* A codec-neutral picture of one gcmon.v1.Packet, so that the nanopb and the
 * protobuf-c forms of a message can be built from the same data and compared
 * by one comparator instead of one per message type.
 *
 * A view names the Packet's kind, the field number of the call / result /
 * body inside it, and the scalar, string and Sample fields of that inner
 * message by their field numbers in proto/gcmon.proto. Samples use the
 * library's own gcmon_sample. Converters to and from each codec live in
 * codec_nano.c and codec_pbc.c; the shared cases are in codec_cases.c. */
#ifndef CODEC_VIEW_H
#define CODEC_VIEW_H

#include "gcmon/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet.kind field numbers. */
enum { CODEC_REQUEST = 1, CODEC_RESPONSE = 2, CODEC_EVENT = 3 };

#define CODEC_MAX_FIELD   12 /* above the highest field number of any call */
#define CODEC_MAX_SAMPLES 4  /* History.samples max_count */

typedef struct codec_view {
  int kind;        /* CODEC_REQUEST, CODEC_RESPONSE or CODEC_EVENT */
  uint32_t id;     /* Request.id, Response.id or Event.subscription */
  int which;       /* field number of the call / result / body; 0 = none */
  bool has_status; /* Response.status present */
  int status_code; /* Status.code */
  const char *status_msg; /* Status.message; NULL reads as "" */
  /* Scalar fields of the inner message by field number: unsigned as is,
   * sint64 as its two's complement bits, bool as 0 or 1. */
  uint64_t num[CODEC_MAX_FIELD];
  /* String fields of the inner message by field number; NULL reads as "". */
  const char *str[CODEC_MAX_FIELD];
  const uint8_t *token; /* HelloRequest.token */
  size_t token_len;
  /* Sample results, the Event body, CollectResult.after (0 or 1 sample) and
   * History.samples, in order. */
  size_t nsamples;
  gcmon_sample samples[CODEC_MAX_SAMPLES];
} codec_view;

typedef struct codec_case {
  const char *name;
  codec_view view;
} codec_case;

/* The shared case table: every call, every result, a failed response and
 * an event, each with its fields at telling values (see codec_cases.c). */
extern const codec_case codec_cases[];
extern const size_t codec_ncases;

/* The widest v1 Packet: a History response of four samples with every v1
 * varint at its widest (936 bytes, nanopb's v1 bound). */
extern const char codec_widest_case[];

#endif
