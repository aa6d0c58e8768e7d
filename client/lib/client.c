/* The client object's public life cycle (init, start, connect, stop,
 * close) and accessors. The state machine itself is link.c; this file, at
 * the top of the layers, gives it the hooks into the layers above it. */
#define _POSIX_C_SOURCE 200809L
#include "client_types.h"
#include "hello_auth.h"
#include "link.h"
#include "liveness.h"
#include "repl.h"
#include "subs.h"
#include "subs_compact.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void maybe_free(gcmon_client *c);

/* What link.c calls up into (link.h). */
static const gcmon__link_hooks link_hooks = {
    .subs_on_event = gcmon__subs_on_event,
    .subs_on_batch = gcmon__subs_on_batch,
    .subs_on_record = gcmon__subs_on_record,
    .subs_sweep = gcmon__subs_sweep,
    .subs_resume = gcmon__subs_resume,
    .subs_forget_ids = gcmon__subs_forget_ids,
    .subs_session_ended = gcmon__subs_session_ended,
    .want_compact = gcmon__want_compact,
    .liveness_start = gcmon__liveness_start,
    .liveness_stop = gcmon__liveness_stop,
    .auth_prepare_hello = gcmon__auth_prepare_hello,
    .auth_after_hello = gcmon__auth_after_hello,
    .maybe_free = maybe_free,
};

/* ---- public life cycle ------------------------------------------------- */

static int copy_options(gcmon_client *c, const gcmon_client_options *o) {
  const char *name = o && o->client_name ? o->client_name : "libgcmon";

  if (strlen(name) > GCMON_CLIENT_NAME_MAX)
    return GCMON_EINVAL;
  memcpy(c->client_name, name, strlen(name) + 1);
  c->timeout_ms = GCMON_DEFAULT_TIMEOUT_MS;
  c->backoff_min_ms = 100;
  c->backoff_max_ms = 5000;
  if (!o)
    return 0;
  if (o->token_len > GCMON_TOKEN_MAX || (o->token_len && !o->token))
    return GCMON_EINVAL;
  memcpy(c->token, o->token ? o->token : c->token, o->token_len);
  c->token_len = o->token_len;
  if (o->timeout_ms)
    c->timeout_ms = o->timeout_ms;
  if (o->backoff_min_ms)
    c->backoff_min_ms = o->backoff_min_ms;
  if (o->backoff_max_ms)
    c->backoff_max_ms = o->backoff_max_ms;
  if (c->backoff_max_ms < c->backoff_min_ms)
    return GCMON_EINVAL;
  if (o->compact < GCMON_COMPACT_AUTO || o->compact > GCMON_COMPACT_OFF)
    return GCMON_EINVAL;
  c->compact_opt = o->compact;
  c->compact_latency_ms = o->compact_latency_ms;
  c->reconnect = o->reconnect;
  c->require_mac = o->require_mac;
  c->on_state = o->on_state;
  c->data = o->data;
  return 0;
}

int gcmon_uri_check(const char *target, char *msg, size_t len) {
  gcmon__uri uri;
  return gcmon__uri_parse(target, &uri, msg, len);
}

int gcmon_client_init(gcmon_client **out, uv_loop_t *loop, const char *target,
                      const gcmon_client_options *opts) {
  gcmon_client *c;
  int err;

  if (!out)
    return GCMON_EINVAL;
  *out = NULL;
  c = calloc(1, sizeof *c);
  if (!c)
    return GCMON_ENOMEM;
  err = gcmon__uri_parse(target, &c->uri, NULL, 0);
  if (err == 0)
    err = copy_options(c, opts);
  if (err == 0 && !(c->target = strdup(target)))
    err = GCMON_ENOMEM;
  if (err == 0 && !loop) {
    if (uv_loop_init(&c->own_loop) != 0)
      err = GCMON_ENOMEM;
    c->own = err == 0;
    loop = &c->own_loop;
  }
  if (err != 0) {
    free(c->target);
    free(c);
    return err;
  }
  c->loop = loop;
  c->hooks = &link_hooks;
  c->backoff_ms = c->backoff_min_ms;
  uv_timer_init(loop, &c->deadline_timer);
  uv_timer_init(loop, &c->retry_timer);
  uv_timer_init(loop, &c->wait_timer);
  uv_timer_init(loop, &c->alive_timer);
  c->deadline_timer.data = c->retry_timer.data = c->wait_timer.data = c;
  c->alive_timer.data = c;
  c->live_handles = 4;
  /* Ids start somewhere unpredictable: after a host restart on a serial
   * line, late answers to the previous process must not match ours. */
  gcmon__conn_init(&c->conn, &gcmon__link_conn_ops, c,
                   (uint32_t)(uv_hrtime() ^ ((uint64_t)getpid() << 16)));
  *out = c;
  return 0;
}

int gcmon_client_start(gcmon_client *c) {
  if (!c || c->closing)
    return GCMON_EINVAL;
  if (c->state == GCMON_STATE_CONNECTING || c->state == GCMON_STATE_READY)
    return 0;
  uv_timer_stop(&c->retry_timer);
  c->run_err = 0;
  gcmon__begin_connect(c, c->timeout_ms);
  return 0;
}

int gcmon_client_connect(gcmon_client *c, unsigned timeout_ms) {
  int err = gcmon__check_sync(c);
  if (err != 0)
    return err;
  if (c->state == GCMON_STATE_READY)
    return 0;
  uv_timer_stop(&c->retry_timer);
  c->run_err = 0;
  gcmon__begin_connect(c, timeout_ms);
  while (c->state == GCMON_STATE_CONNECTING)
    uv_run(c->loop, UV_RUN_ONCE);
  return c->state == GCMON_STATE_READY ? 0
         : c->run_err                  ? c->run_err
                                       : GCMON_ECONNECT;
}

/* Unsubscribe what is active, best effort, before the link goes: on a
 * UART the daemon's session outlives us and would stream to nobody. */
static void say_goodbye(gcmon_client *c) {
  uint8_t frame[GCMON_FRAME_WIRE_MAX];
  for (gcmon_subscription *s = c->subs; s; s = s->next) {
    gcmon__wire_request r;
    long n;
    if (s->state != GCMON__SUB_ACTIVE || !s->daemon_id)
      continue;
    memset(&r, 0, sizeof r);
    r.id = c->conn.next_id++;
    if (r.id == 0)
      r.id = c->conn.next_id++;
    r.call = GCMON_CALL_UNSUBSCRIBE;
    r.u.subscription = s->daemon_id;
    n = gcmon__encode_request(&r, frame, sizeof frame);
    if (n > 0)
      (void)gcmon__transport_write_now(c->link, frame, (size_t)n);
  }
}

void gcmon_client_stop(gcmon_client *c) {
  if (!c)
    return;
  if (c->state == GCMON_STATE_READY)
    say_goodbye(c);
  uv_timer_stop(&c->retry_timer);
  c->stopping = true;
  if (c->state == GCMON_STATE_CONNECTING || c->state == GCMON_STATE_READY ||
      c->state == GCMON_STATE_BACKOFF) {
    if (c->state == GCMON_STATE_BACKOFF)
      c->state = GCMON_STATE_FAILED; /* nothing to drop but the queue */
    gcmon__drop_link(c, GCMON_STATE_IDLE, GCMON_ECANCELED);
    c->dispatching++;
    gcmon__fail_queue(c, GCMON_ECANCELED);
    c->dispatching--;
    gcmon__set_state(c, GCMON_STATE_IDLE, 0);
  }
  c->stopping = false;
  c->breaking = true;
  if (!c->closing)
    gcmon__arm_deadlines(c);
}

static void on_handle_closed(uv_handle_t *h) {
  gcmon_client *c = h->data;
  c->live_handles--;
  maybe_free(c);
}

static void maybe_free(gcmon_client *c) {
  if (!c->closing || c->own || c->live_handles > 0 || c->dispatching > 0)
    return;
  gcmon__subs_free_all(c);
  free(c->target);
  free(c);
}

void gcmon_client_close(gcmon_client *c) {
  if (!c || c->closing)
    return;
  gcmon_client_stop(c);
  c->closing = true;
  gcmon__subs_free_all(c);
  uv_close((uv_handle_t *)&c->deadline_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->retry_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->wait_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->alive_timer, on_handle_closed);
  if (!c->own)
    return; /* freed from the caller's loop, once the handles are closed */
  while (uv_run(c->loop, UV_RUN_DEFAULT) != 0)
    ;
  uv_loop_close(c->loop);
  gcmon__subs_free_all(c);
  free(c->target);
  free(c);
}

void gcmon_client_break(gcmon_client *c) {
  if (c)
    c->breaking = true;
}

gcmon_state gcmon_client_state(const gcmon_client *c) {
  return c->state;
}

void *gcmon_client_data(const gcmon_client *c) {
  return c->data;
}

const gcmon_info *gcmon_client_info(const gcmon_client *c) {
  return &c->info;
}

const gcmon_status *gcmon_client_status(const gcmon_client *c) {
  return &c->status;
}

const char *gcmon_client_errmsg(const gcmon_client *c) {
  return c->errmsg;
}

int gcmon_client_console_info(const gcmon_client *c, gcmon_console_info *out) {
  memset(out, 0, sizeof *out);
  if (!c->link || !c->link->repl)
    return GCMON_ENODEV;
  return gcmon__repl_console_info(c->link->repl, out);
}

const char *gcmon_client_target(const gcmon_client *c) {
  return c->target;
}

void gcmon_client_link_stats(const gcmon_client *c, gcmon_link_stats *out) {
  gcmon__conn_stats(&c->conn, out);
  out->unmatched += c->unmatched_events;
  out->seq_gaps = c->seq_gaps;
  out->seq_missing = c->seq_missing;
  out->connects = c->connects;
  out->disconnects = c->disconnects;
  out->batches_undecodable = c->undecodable_batches;
}

const char *gcmon_version(void) {
  return GCMON_VERSION_STRING;
}
