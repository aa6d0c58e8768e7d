/* Noticing a daemon that vanished behind an open line, liveness.c. */
#ifndef GCMON_CLIENT_LIVENESS_H
#define GCMON_CLIENT_LIVENESS_H

#include "client_types.h"

void gcmon__liveness_start(gcmon_client *c);
void gcmon__liveness_stop(gcmon_client *c);
void gcmon__liveness_event(gcmon_client *c);
/* A call failed with err: FAILED_PRECONDITION means the session is gone. */
void gcmon__check_session(gcmon_client *c, int err);

#endif
