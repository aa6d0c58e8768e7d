/* The public calls: one asynchronous path (gcmon_call_async) and the
 * blocking typed wrappers over it. Each blocking call is: submit, run the
 * private loop until the completion callback fired (the call's own
 * deadline guarantees it does), copy the result out. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "calls.h"
#include "link.h"
#include "liveness.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

const char *gcmon_call_name(gcmon_call call) {
  switch (call) {
  case GCMON_CALL_HELLO:
    return "hello";
  case GCMON_CALL_GET_SAMPLE:
    return "get_sample";
  case GCMON_CALL_COLLECT:
    return "collect";
  case GCMON_CALL_SET_THRESHOLD:
    return "set_threshold";
  case GCMON_CALL_SET_ENABLED:
    return "set_enabled";
  case GCMON_CALL_SUBSCRIBE:
    return "subscribe";
  case GCMON_CALL_UNSUBSCRIBE:
    return "unsubscribe";
  case GCMON_CALL_GET_HISTORY:
    return "get_history";
  case GCMON_CALL_GET_WATERMARKS:
    return "get_watermarks";
  case GCMON_CALL_GET_COLLECTIONS:
    return "get_collections";
  case GCMON_CALL_ADD_ALARM:
    return "add_alarm";
  case GCMON_CALL_REMOVE_ALARM:
    return "remove_alarm";
  case GCMON_CALL_LIST_ALARMS:
    return "list_alarms";
  }
  return "unknown";
}

void gcmon__note_reply(gcmon_client *c, const gcmon_reply *reply) {
  const char *name = gcmon_call_name(reply->call);

  c->status = reply->status;
  if (reply->err == 0)
    return;
  if (reply->status.code != 0)
    gcmon__set_errmsg(c, "%s: %s%s%s", name, gcmon_strerror(reply->err),
                      reply->status.message[0] ? ": " : "",
                      reply->status.message);
  else if (reply->err == GCMON_ETIMEDOUT)
    gcmon__set_errmsg(c, "%s: %s: no answer within the timeout", c->target,
                      name);
  else if (reply->err == GCMON_ECLOSED && c->errmsg[0])
    ; /* the link's own message says more */
  else
    gcmon__set_errmsg(c, "%s: %s", name, gcmon_strerror(reply->err));
}

static void on_public_done(gcmon__call *call, gcmon_reply *reply) {
  gcmon_client *c = call->owner;
  gcmon_reply_cb cb = call->cb;
  void *data = call->data;

  free(call);
  gcmon__note_reply(c, reply);
  c->dispatching++;
  cb(c, reply, data);
  c->dispatching--;
  gcmon__check_session(c, reply->err);
}

int gcmon_call_async(gcmon_client *c, const gcmon_request *req,
                     unsigned timeout_ms, gcmon_reply_cb cb, void *data) {
  return gcmon__call_async(c, req, false, timeout_ms, cb, data);
}

int gcmon__call_async(gcmon_client *c, const gcmon_request *req, bool compact,
                      unsigned timeout_ms, gcmon_reply_cb cb, void *data) {
  gcmon__call *call;
  int err;

  if (!c || !req || !cb || c->closing)
    return GCMON_EINVAL;
  switch (req->call) {
  case GCMON_CALL_GET_SAMPLE:
  case GCMON_CALL_COLLECT:
  case GCMON_CALL_SET_THRESHOLD:
  case GCMON_CALL_SET_ENABLED:
  case GCMON_CALL_GET_HISTORY:
  case GCMON_CALL_GET_WATERMARKS:
  case GCMON_CALL_GET_COLLECTIONS:
  case GCMON_CALL_ADD_ALARM:
  case GCMON_CALL_REMOVE_ALARM:
  case GCMON_CALL_LIST_ALARMS:
    break;
  default: /* hello, subscribe, unsubscribe have their own functions */
    return GCMON_EINVAL;
  }
  call = gcmon__call_new(c, req->call, timeout_ms, on_public_done, data);
  if (!call)
    return GCMON_ENOMEM;
  call->cb = cb;
  switch (req->call) {
  case GCMON_CALL_SET_THRESHOLD:
    call->req.u.threshold_bytes = req->u.threshold_bytes;
    break;
  case GCMON_CALL_SET_ENABLED:
    call->req.u.enabled = req->u.enabled;
    break;
  case GCMON_CALL_GET_HISTORY:
    call->req.u.history.from_seq = req->u.history.from_seq;
    call->req.u.history.max_count = req->u.history.max_count;
    call->req.u.history.compact = compact;
    break;
  case GCMON_CALL_GET_WATERMARKS:
    call->req.u.reset_watermarks = req->u.reset_watermarks;
    break;
  case GCMON_CALL_GET_COLLECTIONS:
    call->req.u.collections.from_number = req->u.collections.from_number;
    call->req.u.collections.max_count = req->u.collections.max_count;
    break;
  case GCMON_CALL_ADD_ALARM:
    call->req.u.alarm = req->u.alarm;
    break;
  case GCMON_CALL_REMOVE_ALARM:
    call->req.u.alarm_id = req->u.alarm_id;
    break;
  default:
    break;
  }
  err = gcmon__submit(c, call);
  if (err != 0)
    free(call);
  return err;
}

/* ---- blocking wrappers ------------------------------------------------- */

typedef gcmon__waiter waiter;

static void on_sync_reply(gcmon_client *c, const gcmon_reply *reply,
                          void *data) {
  waiter *w = data;
  (void)c;
  w->reply = *reply;
  w->done = true;
}

int gcmon__call_sync(gcmon_client *c, const gcmon_request *req,
                     unsigned timeout_ms, gcmon__waiter *w) {
  int err = gcmon__check_sync(c);
  if (err != 0)
    return err;
  w->done = false;
  err = gcmon_call_async(c, req, timeout_ms, on_sync_reply, w);
  if (err != 0)
    return err;
  gcmon__wait(c, &w->done, 0);
  return w->reply.err;
}

int gcmon_get_sample(gcmon_client *c, gcmon_sample *out, unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_GET_SAMPLE};
  waiter w;
  int err = gcmon__call_sync(c, &req, timeout_ms, &w);
  if (err == 0 && out)
    *out = w.reply.u.sample;
  return err;
}

int gcmon_collect(gcmon_client *c, gcmon_collect_result *out,
                  unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_COLLECT};
  waiter w;
  int err = gcmon__call_sync(c, &req, timeout_ms, &w);
  if (err == 0 && out)
    *out = w.reply.u.collect;
  return err;
}

int gcmon_set_threshold(gcmon_client *c, int64_t bytes, gcmon_sample *after,
                        unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_SET_THRESHOLD};
  waiter w;
  int err;
  req.u.threshold_bytes = bytes;
  err = gcmon__call_sync(c, &req, timeout_ms, &w);
  if (err == 0 && after)
    *after = w.reply.u.sample;
  return err;
}

int gcmon_set_enabled(gcmon_client *c, bool enabled, gcmon_sample *after,
                      unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_SET_ENABLED};
  waiter w;
  int err;
  req.u.enabled = enabled;
  err = gcmon__call_sync(c, &req, timeout_ms, &w);
  if (err == 0 && after)
    *after = w.reply.u.sample;
  return err;
}

int gcmon_get_history(gcmon_client *c, uint64_t from_seq, uint32_t max_count,
                      gcmon_history *out, unsigned timeout_ms) {
  gcmon_request req = {.call = GCMON_CALL_GET_HISTORY};
  waiter *w = malloc(sizeof *w); /* a History is large for a stack */
  int err;
  if (!w)
    return GCMON_ENOMEM;
  req.u.history.from_seq = from_seq;
  req.u.history.max_count = max_count;
  err = gcmon__call_sync(c, &req, timeout_ms, w);
  if (err == 0 && out)
    *out = w->reply.u.history;
  free(w);
  return err;
}

int gcmon_hello(gcmon_client *c, gcmon_info *out, unsigned timeout_ms) {
  waiter w;
  int err = gcmon__check_sync(c);

  if (err != 0)
    return err;
  if (c->state != GCMON_STATE_READY)
    return GCMON_ECLOSED;
  w.done = false;
  err = gcmon__send_hello(c, timeout_ms, on_sync_reply, &w);
  if (err != 0)
    return err;
  gcmon__wait(c, &w.done, 0);
  gcmon__note_reply(c, &w.reply);
  if (w.reply.err == 0 && out)
    *out = w.reply.u.hello;
  return w.reply.err;
}
