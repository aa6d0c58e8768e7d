/* The memory-insight calls (protocol 1.1): blocking wrappers over
 * gcmon_call_async (gcmon__call_sync, calls.c), as for the v1 calls. A
 * reply is allocated: an AlarmList or Collections is large for a stack. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "calls.h"

#include <stdlib.h>
#include <string.h>

int gcmon_get_watermarks(gcmon_client *c, bool reset,
                         gcmon_watermark_window *out, unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_GET_WATERMARKS};
  gcmon__waiter *w = malloc(sizeof *w);
  int err;
  if (!w)
    return GCMON_ENOMEM;
  req.u.reset_watermarks = reset;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  if (err == 0 && out)
    *out = w->reply.u.watermarks;
  free(w);
  return err;
}

int gcmon_get_collections(gcmon_client *c, uint64_t from_number,
                          uint32_t max_count, gcmon_collections *out,
                          unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_GET_COLLECTIONS};
  gcmon__waiter *w = malloc(sizeof *w);
  int err;
  if (!w)
    return GCMON_ENOMEM;
  req.u.collections.from_number = from_number;
  req.u.collections.max_count = max_count;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  if (err == 0 && out)
    *out = w->reply.u.collections;
  free(w);
  return err;
}

int gcmon_add_alarm(gcmon_client *c, const gcmon_alarm_rule *rule,
                    gcmon_alarm_rule *installed, unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_ADD_ALARM};
  gcmon__waiter *w;
  int err;
  if (!rule)
    return GCMON_EINVAL;
  w = malloc(sizeof *w);
  if (!w)
    return GCMON_ENOMEM;
  req.u.alarm = *rule;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  if (err == 0 && installed)
    *installed = w->reply.u.alarm;
  free(w);
  return err;
}

int gcmon_remove_alarm(gcmon_client *c, uint32_t id, unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_REMOVE_ALARM};
  gcmon__waiter *w = malloc(sizeof *w);
  int err;
  if (!w)
    return GCMON_ENOMEM;
  req.u.alarm_id = id;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  free(w);
  return err;
}

int gcmon_list_alarms(gcmon_client *c, gcmon_alarm_list *out,
                      unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_LIST_ALARMS};
  gcmon__waiter *w = malloc(sizeof *w);
  int err;
  if (!w)
    return GCMON_ENOMEM;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  if (err == 0 && out)
    *out = w->reply.u.alarms;
  free(w);
  return err;
}
