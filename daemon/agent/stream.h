/* Subscriptions, stream.c (layer 3: above the compact stream, what
 * insight adds to it, the lag bound and the output queue). */
#ifndef GCMON_AGENT_STREAM_H
#define GCMON_AGENT_STREAM_H

#include "agent_types.h"

void gcmon__stream_reset(gcmon_session *s);
void gcmon__stream_bound_lag(gcmon_session *s);
bool gcmon__stream_has_pending(const gcmon_session *s);
void gcmon__stream_fill(gcmon_session *s);

#endif
