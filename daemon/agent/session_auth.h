/* The challenge-response rules of a session, session_auth.c (layer 2). */
#ifndef GCMON_AGENT_SESSION_AUTH_H
#define GCMON_AGENT_SESSION_AUTH_H

#include "agent_types.h"

/* On hello: control from trust or the cleartext token (never with
 * require_mac), the 1.1 auth fields of the answer; returns control. */
bool gcmon__auth_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                       gcmon_v1_Response *resp);
void gcmon__call_auth(gcmon_session *s, const gcmon_v1_Request *req,
                      gcmon_v1_Response *resp);
/* May this request exercise control (a control call, or a control option
 * such as get_watermarks' reset)? A request with a mac must verify (on any
 * call: dispatch checks it for every request that carries one); one
 * without needs the session's own control. False: resp has
 * PERMISSION_DENIED naming what, and nothing may change. */
bool gcmon__may_control(gcmon_session *s, const gcmon_v1_Request *req,
                        const char *what, gcmon_v1_Response *resp);

#endif
