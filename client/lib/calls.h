/* The public calls' one async path and its blocking form, calls.c. */
#ifndef GCMON_CLIENT_CALLS_H
#define GCMON_CLIENT_CALLS_H

#include "client_types.h"

/* gcmon_call_async, with get_history answered compact (History.batch,
 * which the callback finds still encoded in c->conn.in: history.c). */
int gcmon__call_async(gcmon_client *c, const gcmon_request *req, bool compact,
                      unsigned timeout_ms, gcmon_reply_cb cb, void *data);
/* A blocking call's reply (large: allocate it when it holds a History). */
typedef struct gcmon__waiter {
  bool done;
  gcmon_reply reply;
} gcmon__waiter;
/* Run req to completion on the private loop; w->reply holds the answer.
 * Returns its err. */
int gcmon__call_sync(gcmon_client *c, const gcmon_request *req,
                     unsigned timeout_ms, gcmon__waiter *w);
/* Record a finished call's status and, on failure, a message. */
void gcmon__note_reply(gcmon_client *c, const gcmon_reply *reply);

#endif
