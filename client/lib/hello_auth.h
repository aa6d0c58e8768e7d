/* The hello/auth sequence of challenge-response, hello_auth.c (above
 * link.c, which calls it through its hooks). */
#ifndef GCMON_CLIENT_HELLO_AUTH_H
#define GCMON_CLIENT_HELLO_AUTH_H

#include "client_types.h"

/* A hello's 1.1 part (minor, client nonce, no token) when a token
 * is configured; after its answer, 1 when the hello goes on (auth, or a v1
 * hello with the token, sent; gcmon__hello_complete follows), 0 when it
 * is complete, or GCMON_E*. */
void gcmon__auth_prepare_hello(gcmon_client *c, gcmon__wire_request *r);
int gcmon__auth_after_hello(gcmon_client *c, gcmon_reply *reply,
                            gcmon_reply_cb cb, void *data);

#endif
