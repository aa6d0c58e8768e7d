/* Compact streams (1.1), subs_compact.c (above subs.c). */
#ifndef GCMON_CLIENT_SUBS_COMPACT_H
#define GCMON_CLIENT_SUBS_COMPACT_H

#include "client_types.h"

/* A compact batch for stream id: decoded into subs_on_event calls. */
void gcmon__subs_on_batch(gcmon_client *c, uint32_t id,
                          const gcmon__incoming *in);
/* Whether this client's hello asks for the compact stream. */
bool gcmon__want_compact(const gcmon_client *c);

#endif
