/* Request dispatch, dispatch.c (layer 4: above the streams and the calls'
 * owners; below the session that feeds it). */
#ifndef GCMON_AGENT_DISPATCH_H
#define GCMON_AGENT_DISPATCH_H

#include "agent_types.h"

/* Handle one decoded request into a->tx (a response). */
void gcmon__dispatch_request(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp);

#endif
