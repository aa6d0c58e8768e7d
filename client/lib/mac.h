/* Challenge-response, the client's side (docs/protocol.md, "Challenge-
 * response control"): the MAC state of one session and the bytes of a
 * MAC'd request. The construction itself (key, proof, tag) is shared with
 * the daemon in proto/gcmon_mac.h; the hello/auth sequence is in link.c's
 * hello, through gcmon__auth_after_hello (hello_auth.c); the bytes of a
 * MAC'd request are codec.c's gcmon__mac_payload. No protobuf-c types. */
#ifndef GCMON_CLIENT_MAC_H
#define GCMON_CLIENT_MAC_H

#include "gcmon/client.h"
#include "gcmon_mac.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gcmon__wire_request;

typedef struct gcmon__mac_state {
  bool on;          /* auth granted: control calls carry a mac */
  uint32_t counter; /* last counter used */
  uint8_t key[GCMON_MAC_KEY_SIZE];
} gcmon__mac_state;

/* Forget the session's key (wiped). */
void gcmon__mac_reset(gcmon__mac_state *m);

/* A control call of a MAC session gets the key and the next counter; any
 * other request none. Called as the request is sent. */
void gcmon__mac_sign(gcmon__mac_state *m, struct gcmon__wire_request *r);

#endif
