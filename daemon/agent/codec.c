/* nanopb encode/decode for the agent (see codec.h). */
#include "codec.h"

#include "gcmon/error.h"
#include "gcmon_frame.h"
#include "gcmon_pb_limits.h"

#include <pb_decode.h>
#include <pb_encode.h>

/* Every Packet the agent builds must fit one frame (gcmon_pb_limits.h). */
typedef char gcmon__packet_fits_max_payload
    [GCMON_PB_LARGEST_BOUNDED <= GCMON_MAX_PAYLOAD ? 1 : -1];

static void mem_to_pb(const gcmon_mem_info *in, gcmon_v1_MemInfo *out) {
  out->total = in->total;
  out->used = in->used;
  out->free = in->free;
  out->peak_used = in->peak_used;
}

void gcmon__codec_sample_to_pb(const gcmon_sample *in, gcmon_v1_Sample *out) {
  *out = (gcmon_v1_Sample)gcmon_v1_Sample_init_zero;
  out->seq = in->seq;
  out->uptime_us = in->uptime_us;
  out->has_gc = in->has_gc;
  if (in->has_gc) {
    out->gc.mem_alloc = in->gc.mem_alloc;
    out->gc.mem_free = in->gc.mem_free;
    out->gc.threshold = in->gc.threshold;
    out->gc.enabled = in->gc.enabled;
    out->gc.collections = in->gc.collections;
    out->gc.largest_free = in->gc.largest_free;
  }
  out->sys_total = in->sys_total;
  out->has_sys_heap = in->has_sys_heap;
  out->has_sys_page = in->has_sys_page;
  out->has_sys_mmz = in->has_sys_mmz;
  mem_to_pb(&in->sys_heap, &out->sys_heap);
  mem_to_pb(&in->sys_page, &out->sys_page);
  mem_to_pb(&in->sys_mmz, &out->sys_mmz);
}

size_t gcmon__codec_encode_sample(const gcmon_sample *in, uint8_t *out,
                                  size_t cap) {
  gcmon_v1_Sample pb;
  pb_ostream_t os = pb_ostream_from_buffer(out, cap);
  gcmon__codec_sample_to_pb(in, &pb);
  return pb_encode(&os, gcmon_v1_Sample_fields, &pb) ? os.bytes_written : 0;
}

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Field numbers come from the generated header; only the two outer
 * headers are written here, in the order nanopb writes them (fields by
 * number, a zero proto3 scalar omitted, the set oneof member always). */
size_t gcmon__codec_encode_event(uint32_t subscription, const uint8_t *sample,
                                 size_t sample_len, uint8_t *payload,
                                 size_t cap) {
  pb_ostream_t os = pb_ostream_from_buffer(payload, cap);
  size_t event_len = 1 + varint_len(sample_len) + sample_len;
  bool ok;
  if (subscription != 0)
    event_len += 1 + varint_len(subscription);
  ok = pb_encode_tag(&os, PB_WT_STRING, gcmon_v1_Packet_event_tag) &&
       pb_encode_varint(&os, event_len);
  if (ok && subscription != 0)
    ok = pb_encode_tag(&os, PB_WT_VARINT, gcmon_v1_Event_subscription_tag) &&
         pb_encode_varint(&os, subscription);
  ok = ok && pb_encode_tag(&os, PB_WT_STRING, gcmon_v1_Event_sample_tag) &&
       pb_encode_varint(&os, sample_len) && pb_write(&os, sample, sample_len);
  return ok ? os.bytes_written : 0;
}

int gcmon__codec_decode(const uint8_t *payload, size_t len,
                        gcmon_v1_Packet *out) {
  pb_istream_t in = pb_istream_from_buffer(payload, len);
  return pb_decode(&in, gcmon_v1_Packet_fields, out) ? 0 : GCMON_EPARSE;
}

/* Packet{response{id, status, sample}}: the Response without its result
 * and the Sample each through nanopb once, joined under headers written
 * here (the sample field, number 4, comes after id and status, as nanopb
 * orders fields), instead of nanopb encoding the Sample's submessages
 * eight times (see gcmon__codec_encode_event). */
static size_t encode_sample_response(const gcmon_v1_Response *resp,
                                     uint8_t *payload, size_t cap) {
  uint8_t sample[gcmon_v1_Sample_size];
  uint8_t head[gcmon_v1_Status_size + 16]; /* id and status */
  gcmon_v1_Response bare = *resp;
  pb_ostream_t hs = pb_ostream_from_buffer(head, sizeof head);
  pb_ostream_t ss = pb_ostream_from_buffer(sample, sizeof sample);
  pb_ostream_t os = pb_ostream_from_buffer(payload, cap);
  size_t body;

  bare.which_result = 0;
  if (!pb_encode(&hs, gcmon_v1_Response_fields, &bare) ||
      !pb_encode(&ss, gcmon_v1_Sample_fields, &resp->result.sample))
    return 0;
  body = hs.bytes_written + 1 + varint_len(ss.bytes_written) + ss.bytes_written;
  return pb_encode_tag(&os, PB_WT_STRING, gcmon_v1_Packet_response_tag) &&
                 pb_encode_varint(&os, body) &&
                 pb_write(&os, head, hs.bytes_written) &&
                 pb_encode_tag(&os, PB_WT_STRING,
                               gcmon_v1_Response_sample_tag) &&
                 pb_encode_varint(&os, ss.bytes_written) &&
                 pb_write(&os, sample, ss.bytes_written)
             ? os.bytes_written
             : 0;
}

size_t gcmon__codec_encode(const gcmon_v1_Packet *p, uint8_t *payload,
                           size_t cap) {
  pb_ostream_t out = pb_ostream_from_buffer(payload, cap);
  if (p->which_kind == gcmon_v1_Packet_response_tag &&
      p->kind.response.which_result == gcmon_v1_Response_sample_tag)
    return encode_sample_response(&p->kind.response, payload, cap);
  return pb_encode(&out, gcmon_v1_Packet_fields, p) ? out.bytes_written : 0;
}

/* Walk the fields of one message; stop at `field` with wire type `wt`. */
static bool find_field(pb_istream_t *s, uint32_t field, pb_wire_type_t wt) {
  pb_wire_type_t got;
  uint32_t tag;
  bool eof;
  while (pb_decode_tag(s, &got, &tag, &eof)) {
    if (tag == field && got == wt)
      return true;
    if (!pb_skip_field(s, got))
      return false;
  }
  return false;
}

bool gcmon__codec_peek_request_id(const uint8_t *payload, size_t len,
                                  uint32_t *id) {
  pb_istream_t s = pb_istream_from_buffer(payload, len);
  pb_istream_t req;
  uint64_t v;
  bool found;

  if (!find_field(&s, gcmon_v1_Packet_request_tag, PB_WT_STRING) ||
      !pb_make_string_substream(&s, &req))
    return false;
  found = find_field(&req, gcmon_v1_Request_id_tag, PB_WT_VARINT) &&
          pb_decode_varint(&req, &v) && v != 0 && v <= UINT32_MAX;
  pb_close_string_substream(&s, &req);
  if (found)
    *id = (uint32_t)v;
  return found;
}
