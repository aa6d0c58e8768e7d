/* The agent's side of the wire codec: nanopb Packets <-> payload bytes, and
 * the plain gcmon_sample <-> gcmon_v1_Sample mapping. One generic encode and
 * decode driven by nanopb's descriptors; nothing here is per message. */
#ifndef GCMON_CODEC_H
#define GCMON_CODEC_H

#include "gcmon.pb.h"
#include "gcmon/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void gcmon__codec_sample_to_pb(const gcmon_sample *in, gcmon_v1_Sample *out);

/* 0, or GCMON_EPARSE when payload is not a Packet (bounds included). */
int gcmon__codec_decode(const uint8_t *payload, size_t len,
                        gcmon_v1_Packet *out);

/* Payload length, or 0 when it does not fit cap (cannot happen for cap ==
 * GCMON_MAX_PAYLOAD: the schema's bounds are static-asserted to fit). */
size_t gcmon__codec_encode(const gcmon_v1_Packet *p, uint8_t *payload,
                           size_t cap);

/* Find Packet.request.id in a payload that failed to decode as a whole, so
 * a malformed request can still be answered. False when there is none. */
bool gcmon__codec_peek_request_id(const uint8_t *payload, size_t len,
                                  uint32_t *id);

#endif
