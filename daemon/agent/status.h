/* The Status of a response (layer 1 of the agent core: no calls into any
 * other file of daemon/agent). */
#ifndef GCMON_AGENT_STATUS_H
#define GCMON_AGENT_STATUS_H

#include "agent_types.h"

/* Fill resp->status; message printf-style (truncated at 96 bytes). */
void gcmon__set_status(gcmon_v1_Response *resp, gcmon_v1_Status_Code code,
                       const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
