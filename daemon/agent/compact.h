/* The compact stream (protocol 1.1), compact.c (layer 2: above the output
 * queue and the lag bound). */
#ifndef GCMON_AGENT_COMPACT_H
#define GCMON_AGENT_COMPACT_H

#include "agent_types.h"

void gcmon__compact_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                          gcmon_v1_HelloResponse *r);
void gcmon__compact_subscribed(gcmon_session *s, gcmon__subscription *sub,
                               const gcmon_v1_SubscribeRequest *sr);
void gcmon__call_keyframe(gcmon_session *s, const gcmon_v1_Request *req,
                          gcmon_v1_Response *resp);
/* Fill r with a compact batch from seq; returns the seq after it. */
uint64_t gcmon__compact_history(gcmon_session *s, uint64_t seq,
                                uint32_t max_count, gcmon_v1_History *r);
/* A compact subscription has a batch to send now (its latency is up, or
 * it is replaying). */
bool gcmon__compact_due(const gcmon_session *s,
                        const gcmon__subscription *sub);
/* Encode and queue sub's next batch; false when it did not fit. */
bool gcmon__compact_send(gcmon_session *s, gcmon__subscription *sub);
/* Seqs a compact subscription may lag beyond queue_events. */
uint64_t gcmon__compact_extra_lag(const gcmon_session *s,
                                  const gcmon__subscription *sub);

#endif
