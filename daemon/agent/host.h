/* What the agent asks of its host, host.c (layer 1): a reading of the
 * source now, for the sampler tick and on-demand calls. (The log line,
 * gcmon_agent_log, is declared in agent.h.) */
#ifndef GCMON_AGENT_HOST_H
#define GCMON_AGENT_HOST_H

#include "agent_types.h"

/* Read the source now into out, whose seq is set first: the series number
 * this reading will take, or 0 for an on-demand reading (see source.h).
 * 0 or a GCMON_E* with a message in the source's error. */
int gcmon__agent_read_now(gcmon_agent *a, uint64_t seq, gcmon_sample *out);

#endif
