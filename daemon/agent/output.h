/* A session's output queue, the bottom of the agent core: frames appended
 * to the session's out buffer for the transport to drain (layer 1). */
#ifndef GCMON_AGENT_OUTPUT_H
#define GCMON_AGENT_OUTPUT_H

#include "agent_types.h"

/* Encode a->tx and append it as one frame to s's output.
 * False when it did not fit (the caller checked room first). */
bool gcmon__session_send_packet(gcmon_session *s);
/* Append payload[0..n) as one frame to s's output; false if it does not
 * fit. */
bool gcmon__session_send_payload(gcmon_session *s, const uint8_t *payload,
                                 size_t n);
size_t gcmon__session_out_free(const gcmon_session *s);

#endif
