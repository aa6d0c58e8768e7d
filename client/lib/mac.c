/* Challenge-response, client side (see mac.h): the MAC state of a session
 * and which requests carry a mac. The bytes of a MAC'd request are built
 * by codec.c (gcmon__mac_payload), the hello/auth sequence is
 * hello_auth.c. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "mac.h"

#include "codec.h"

#include <mbedtls/platform_util.h>

#include <stdlib.h>
#include <string.h>

void gcmon__mac_reset(gcmon__mac_state *m) {
  mbedtls_platform_zeroize(m, sizeof *m);
}

/* The requests that may change the board: every one carries a mac in a MAC
 * session. A newer control call is added here; one that controls only with
 * an argument (get_watermarks with reset) can look at r. A mac on any other
 * request would be checked too, so erring towards one is safe. */
static bool is_control(const gcmon__wire_request *r) {
  switch (r->call) {
  case GCMON_CALL_COLLECT:
  case GCMON_CALL_SET_THRESHOLD:
  case GCMON_CALL_SET_ENABLED:
  case GCMON_CALL_ADD_ALARM:
  case GCMON_CALL_REMOVE_ALARM:
    return true;
  case GCMON_CALL_GET_WATERMARKS:
    return r->u.reset_watermarks;
  case GCMON_CALL_HELLO:
  case GCMON_CALL_GET_SAMPLE:
  case GCMON_CALL_SUBSCRIBE:
  case GCMON_CALL_UNSUBSCRIBE:
  case GCMON_CALL_GET_HISTORY:
  case GCMON_CALL_GET_COLLECTIONS:
  case GCMON_CALL_LIST_ALARMS:
    return false;
  }
  return false;
}

void gcmon__mac_sign(gcmon__mac_state *m, gcmon__wire_request *r) {
  r->mac_key = NULL;
  r->mac_counter = 0;
  if (!m->on || !is_control(r) || m->counter == UINT32_MAX)
    return;
  r->mac_key = m->key;
  r->mac_counter = ++m->counter;
}
