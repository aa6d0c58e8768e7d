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
 * GCMON_MAX_PAYLOAD: the schema's bounds are static-asserted to fit).
 * The bytes are nanopb's for the Packet; a Response carrying a Sample is
 * assembled from two shallower encodings, which nanopb's sizing passes
 * make several times cheaper (see gcmon__codec_encode_event). */
size_t gcmon__codec_encode(const gcmon_v1_Packet *p, uint8_t *payload,
                           size_t cap);

/* Encode one Sample on its own: the bytes an Event or Response embeds.
 * Returns its length (0 if cap is below gcmon_v1_Sample_size and it does
 * not fit). */
size_t gcmon__codec_encode_sample(const gcmon_sample *in, uint8_t *out,
                                  size_t cap);

/* Packet{event{subscription, sample}} around a Sample already encoded by
 * gcmon__codec_encode_sample: the same bytes gcmon__codec_encode gives for
 * that Packet. nanopb sizes each submessage by encoding it first, so a
 * Sample nested three deep (Packet > Event > Sample > GcInfo) is encoded
 * eight times per event; wrapping pre-encoded bytes lets the sampler encode
 * each sample once however many subscriptions send it. Returns the payload
 * length, or 0 when it does not fit cap. */
size_t gcmon__codec_encode_event(uint32_t subscription, const uint8_t *sample,
                                 size_t sample_len, uint8_t *payload,
                                 size_t cap);

/* The same with Event.watermarks (1.1) after the sample. */
size_t gcmon__codec_encode_event_wm(uint32_t subscription,
                                    const uint8_t *sample, size_t sample_len,
                                    const gcmon_v1_Watermarks *wm,
                                    uint8_t *payload, size_t cap);

/* Packet{event{subscription, <body_tag>: body}} around a body message
 * already encoded (a CollectionRecord, an AlarmEvent): encoded once, sent
 * to every subscription that wants it. */
size_t gcmon__codec_encode_event_body(uint32_t subscription, pb_size_t body_tag,
                                      const uint8_t *body, size_t body_len,
                                      uint8_t *payload, size_t cap);

/* An AlarmEvent{alarm, raised, value, sample}: the bytes nanopb gives,
 * with the Sample encoded once instead of once per nesting level. Returns
 * its length, or 0 when it does not fit cap. */
size_t gcmon__codec_encode_alarm_event(uint32_t alarm, bool raised,
                                       int64_t value, const gcmon_sample *s,
                                       uint8_t *out, size_t cap);

/* Find Packet.request.id in a payload that failed to decode as a whole, so
 * a malformed request can still be answered. False when there is none. */
bool gcmon__codec_peek_request_id(const uint8_t *payload, size_t len,
                                  uint32_t *id);

/* Whether such a payload is a Request carrying the call field `call` (a
 * gcmon_v1_Request_*_tag), however malformed the call itself is. */
bool gcmon__codec_peek_request_call(const uint8_t *payload, size_t len,
                                    uint32_t call);

#endif
