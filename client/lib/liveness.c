/* Liveness: noticing a daemon that went away without the link saying so.
 *
 * A TCP peer that dies closes its socket (or keep-alive notices), but on a
 * serial line a board that reboots leaves the line open: the host only
 * sees its subscription go quiet, and the new daemon answers anything but
 * hello with FAILED_PRECONDITION. So while a subscription is active and no
 * event has arrived for 3 intervals plus a second, one get_sample probe is
 * sent: FAILED_PRECONDITION (the daemon forgot this session) or no answer
 * drops the link, and the usual reconnect says hello, sees the new run_id
 * and resumes. Any call answered FAILED_PRECONDITION does the same. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "liveness.h"
#include "link.h"

#include <stdlib.h>

#define TICK_MS       250
#define QUIET_BASE_MS 1000

void gcmon__liveness_event(gcmon_client *c) {
  c->last_event_ms = uv_now(c->loop);
}

void gcmon__check_session(gcmon_client *c, int err) {
  if (err == GCMON_EPRECOND && c->state == GCMON_STATE_READY)
    gcmon__link_lost(c, err,
                     "the daemon no longer knows this session (restarted?)");
}

static void on_probe(gcmon__call *call, gcmon_reply *reply) {
  gcmon_client *c = call->owner;
  free(call);
  c->probe = NULL;
  if (reply->err == GCMON_ETIMEDOUT)
    gcmon__link_lost(c, reply->err, "the daemon stopped answering");
  else
    gcmon__check_session(c, reply->err);
  c->last_event_ms = uv_now(c->loop); /* alive: wait a full period again */
}

static void on_tick(uv_timer_t *t) {
  gcmon_client *c = t->data;
  uint64_t quiet = 0, now;
  bool any = false;

  if (c->state != GCMON_STATE_READY || c->probe)
    return;
  for (gcmon_subscription *s = c->subs; s; s = s->next)
    if (!s->closed && s->state == GCMON__SUB_ACTIVE) {
      any = true;
      if (s->granted_ms > quiet)
        quiet = s->granted_ms;
    }
  now = gcmon__now(c);
  if (!any || now - c->last_event_ms < 3 * quiet + QUIET_BASE_MS)
    return;
  c->probe = gcmon__call_new(c, GCMON_CALL_GET_SAMPLE, 0, on_probe, NULL);
  if (c->probe && gcmon__conn_send(&c->conn, c->probe) != 0) {
    free(c->probe);
    c->probe = NULL;
  }
  gcmon__arm_deadlines(c);
}

void gcmon__liveness_start(gcmon_client *c) {
  c->last_event_ms = gcmon__now(c);
  uv_timer_start(&c->alive_timer, on_tick, TICK_MS, TICK_MS);
}

void gcmon__liveness_stop(gcmon_client *c) {
  c->probe = NULL; /* failed with the rest of the calls in flight */
  uv_timer_stop(&c->alive_timer);
}
