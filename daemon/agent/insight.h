/* Memory insight at the tick and its calls, insight.c (layer 2): watermarks,
 * collections and alarms at each tick, and their calls (rows in
 * dispatch.c). */
#ifndef GCMON_AGENT_INSIGHT_H
#define GCMON_AGENT_INSIGHT_H

#include "agent_types.h"

void gcmon__insight_init(gcmon_agent *a);
/* Before a tick's sample is appended: fold the sample it evicts into the
 * windows of subscriptions that still need it. */
void gcmon__insight_before_append(gcmon_agent *a);
void gcmon__insight_tick(gcmon_agent *a, const gcmon_sample *s);
/* The agent's own collect: started at start_us, after = the reading
 * that followed it. */
void gcmon__insight_remote_collect(gcmon_agent *a, uint64_t start_us,
                                   int64_t freed, uint64_t duration_us,
                                   const gcmon_v1_Sample *after);
/* True when this call needs control: collect-like calls, and
 * get_watermarks with reset. */
bool gcmon__insight_needs_control(const gcmon_v1_Request *req);
void gcmon__call_get_watermarks(gcmon_session *s, const gcmon_v1_Request *req,
                                gcmon_v1_Response *resp);
void gcmon__call_get_collections(gcmon_session *s, const gcmon_v1_Request *req,
                                 gcmon_v1_Response *resp);
void gcmon__call_add_alarm(gcmon_session *s, const gcmon_v1_Request *req,
                           gcmon_v1_Response *resp);
void gcmon__call_remove_alarm(gcmon_session *s, const gcmon_v1_Request *req,
                              gcmon_v1_Response *resp);
void gcmon__call_list_alarms(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp);

#endif
