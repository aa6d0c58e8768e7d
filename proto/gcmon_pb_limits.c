/* Compile-time proof that the nanopb bounds in gcmon.options keep every
 * Packet a sender builds within one frame (see gcmon_pb_limits.h for what
 * is proved per shape, and why not nanopb's gcmon_v1_Packet_size as a
 * whole since protocol 1.1). If a schema or options change ever lets one
 * exceed GCMON_MAX_PAYLOAD, this file stops compiling, and with it
 * gcmon_pb_nano and everything that links it (the daemon). C99 has no
 * _Static_assert, hence the negative array size. */
#include "gcmon_pb_limits.h"
#include "gcmon_frame.h"

#define GCMON__STATIC_ASSERT(cond, name) typedef char name[(cond) ? 1 : -1]

#ifndef gcmon_v1_Packet_size
#error "nanopb did not bound gcmon.v1.Packet: a field lacks max_size/max_count"
#endif

GCMON__STATIC_ASSERT(GCMON_PB_LARGEST_BOUNDED <= GCMON_MAX_PAYLOAD,
                     gcmon__largest_packet_exceeds_max_payload);
