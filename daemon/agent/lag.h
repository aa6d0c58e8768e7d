/* The time bound of rate-limited links (UART), lag.c (layer 1). */
#ifndef GCMON_AGENT_LAG_H
#define GCMON_AGENT_LAG_H

#include "agent_types.h"

/* Oldest seq a live subscription may still be sent; 0 = no bound. */
uint64_t gcmon__lag_oldest_allowed(gcmon_session *s);
/* False while the link already holds as many bytes as the bound allows. */
bool gcmon__lag_may_fill(gcmon_session *s);
/* n bytes were handed to the transport. */
void gcmon__lag_sent(gcmon_session *s, size_t n);
/* The longest compact latency a session may be granted. */
uint32_t gcmon__lag_latency_cap_ms(const gcmon_session *s);

#endif
