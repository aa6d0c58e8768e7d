/* The worst-case encoded sizes that keep every Packet within one frame.
 *
 * nanopb's gcmon_v1_Packet_size counts every field of every message at its
 * widest at once, including combinations no sender builds (a History with
 * four samples, every MemInfo.peak_used set, and a compact batch). Since
 * protocol 1.1 that sum exceeds GCMON_MAX_PAYLOAD, so the bound is proved
 * per shape instead:
 *
 *   - every Request, every Event, and every Response except a History one
 *     fits at its widest (GCMON_PB_LARGEST_BOUNDED);
 *   - a History response with one sample at its widest fits; the daemon
 *     adds further samples only while the encoded Packet stays within
 *     GCMON_MAX_PAYLOAD (daemon/agent/dispatch.c), so with real values
 *     (below 2^35 bytes) four samples go in one frame, as in v1.
 *
 * Lengths: a Packet field is a 1-byte tag and a 2-byte length (bodies up to
 * 16383 bytes); Response.id 1 + 5; Response.status 1 + 1 + Status. */
#ifndef GCMON_PB_LIMITS_H
#define GCMON_PB_LIMITS_H

#include "gcmon.pb.h"

#define GCMON__PB_MAX(a, b) ((a) > (b) ? (a) : (b))

/* A Response around a result of `size` bytes (field tag < 16). */
#define GCMON__PB_RESPONSE_WITH(size) \
  (3 + 6 + 2 + gcmon_v1_Status_size + 3 + (size))

#define GCMON__PB_LARGEST_RESULT                                              \
  GCMON__PB_MAX(                                                              \
      GCMON__PB_MAX(                                                          \
          GCMON__PB_MAX(gcmon_v1_HelloResponse_size, gcmon_v1_Sample_size),   \
          GCMON__PB_MAX(gcmon_v1_CollectResult_size, gcmon_v1_Subscribed_size)), \
      GCMON__PB_MAX(                                                          \
          GCMON__PB_MAX(gcmon_v1_AuthResult_size,                             \
                        gcmon_v1_WatermarkWindow_size),                       \
          GCMON__PB_MAX(gcmon_v1_Collections_size,                            \
                        GCMON__PB_MAX(gcmon_v1_AlarmRule_size,                \
                                      gcmon_v1_AlarmList_size))))

/* A History result with one sample and its two seqs, no batch. */
#define GCMON__PB_HISTORY_ONE_SAMPLE (3 + gcmon_v1_Sample_size + 11 + 11)
/* A History result with a full compact batch and no samples. */
#define GCMON__PB_HISTORY_BATCH (3 + gcmon_v1_SampleBatch_size + 11 + 11)

/* The largest Packet any sender builds, History aside. */
#define GCMON_PB_LARGEST_BOUNDED                                              \
  GCMON__PB_MAX(                                                              \
      GCMON__PB_MAX(3 + gcmon_v1_Request_size, 3 + gcmon_v1_Event_size),      \
      GCMON__PB_MAX(                                                          \
          GCMON__PB_RESPONSE_WITH(GCMON__PB_LARGEST_RESULT),                  \
          GCMON__PB_MAX(                                                      \
              GCMON__PB_RESPONSE_WITH(GCMON__PB_HISTORY_ONE_SAMPLE),          \
              GCMON__PB_RESPONSE_WITH(GCMON__PB_HISTORY_BATCH))))

#endif
