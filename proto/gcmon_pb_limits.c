/* Compile-time proof that the nanopb bounds in gcmon.options keep every
 * Packet within one frame.
 *
 * gcmon_v1_Packet_size is nanopb's worst case for an encoded Packet: every
 * string and bytes field full, History at max_count, every varint at its
 * widest. If a schema or options change ever lets it exceed
 * GCMON_MAX_PAYLOAD, this file stops compiling, and with it gcmon_pb_nano and
 * everything that links it (the daemon). C99 has no _Static_assert, hence the
 * negative array size. tests/proto/test_codec.c checks that a Packet built
 * at these bounds really encodes to exactly gcmon_v1_Packet_size bytes. */
#include "gcmon.pb.h"
#include "gcmon_frame.h"

#define GCMON__STATIC_ASSERT(cond, name) typedef char name[(cond) ? 1 : -1]

#ifndef gcmon_v1_Packet_size
#error "nanopb did not bound gcmon.v1.Packet: a field lacks max_size/max_count"
#endif

GCMON__STATIC_ASSERT(gcmon_v1_Packet_size <= GCMON_MAX_PAYLOAD,
                     gcmon__largest_packet_exceeds_max_payload);
