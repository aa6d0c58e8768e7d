/* What a subscription carries besides samples, insight_stream.c (layer 2:
 * above the output queue). */
#ifndef GCMON_AGENT_INSIGHT_STREAM_H
#define GCMON_AGENT_INSIGHT_STREAM_H

#include "agent_types.h"

/* Take subscribe's 1.1 flags into a new slot. */
void gcmon__insight_subscribe(gcmon_session *s, gcmon__subscription *sub,
                              const gcmon_v1_SubscribeRequest *sr);
/* Records (collections, alarm events) waiting for sub. */
bool gcmon__insight_has_records(const gcmon_session *s,
                                const gcmon__subscription *sub);
/* Send sub's waiting records seen at or before its next sample (all of
 * them when it is live); false when output room ran out first. */
bool gcmon__insight_send_records(gcmon_session *s, gcmon__subscription *sub);
/* Encode the Event for sample seq of sub into a->payload, with its
 * watermarks when sub asked; returns the length. */
size_t gcmon__insight_sample_event(gcmon_session *s, gcmon__subscription *sub,
                                   uint64_t seq);
/* The event for seq was sent: its watermark window is closed. */
void gcmon__insight_sample_sent(gcmon__subscription *sub, uint64_t seq);
/* Output room an event of sub needs, framed. */
size_t gcmon__insight_event_room(const gcmon__subscription *sub);

#endif
