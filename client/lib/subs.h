/* Subscriptions, subs.c (above link.c, liveness.c and sync.c). */
#ifndef GCMON_CLIENT_SUBS_H
#define GCMON_CLIENT_SUBS_H

#include "client_types.h"

void gcmon__subs_session_ended(gcmon_client *c, int err);
void gcmon__subs_forget_ids(gcmon_client *c);
void gcmon__subs_resume(gcmon_client *c, bool restarted, uint64_t prev_run);
void gcmon__subs_on_event(gcmon_client *c, uint32_t id, const gcmon_sample *s);
void gcmon__subs_on_record(gcmon_client *c, const gcmon__incoming *in);
void gcmon__subs_sweep(gcmon_client *c);
void gcmon__subs_free_all(gcmon_client *c);

#endif
