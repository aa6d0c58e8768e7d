/* Blocking wrappers: the private loop run until done, sync.c. */
#ifndef GCMON_CLIENT_SYNC_H
#define GCMON_CLIENT_SYNC_H

#include "client_types.h"

int gcmon__check_sync(gcmon_client *c);
/* Run the private loop until *done, or timeout_ms passes (0 = no bound;
 * the call being waited for has its own deadline), or the client fails. */
int gcmon__wait(gcmon_client *c, const bool *done, unsigned timeout_ms);

#endif
