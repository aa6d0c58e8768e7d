/* The link state machine of a client: connecting, hello, ready, lost,
 * backoff; the call queue and its deadlines.
 *
 *   IDLE --start--> CONNECTING --hello answered--> READY
 *                      |  ^                          |
 *         open/hello   |  | retry timer              | link lost
 *         failed       v  |                          v
 *                    FAILED <--(no reconnect)-- BACKOFF
 *
 * The first connection is never retried: an unreachable target is the
 * caller's error to see. Once a hello has succeeded, a lost link with
 * reconnect set goes to BACKOFF (doubling delays) and comes back through
 * CONNECTING, where the hello's run_id tells whether the daemon restarted
 * and subs.c resumes every subscription. Calls made while the session is
 * not READY wait in a queue, bounded by their own deadlines; calls in flight
 * when the link drops fail with GCMON_ECLOSED (the daemon may or may not
 * have run them, so they are not replayed). */
#define _POSIX_C_SOURCE 200809L
#include "link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t gcmon__now(gcmon_client *c) {
  uv_update_time(c->loop);
  return uv_now(c->loop);
}

void gcmon__set_errmsg(gcmon_client *c, const char *fmt, ...) {
  char buf[GCMON__ERRMSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  memcpy(c->errmsg, buf, sizeof buf);
}

void gcmon__set_state(gcmon_client *c, gcmon_state st, int err) {
  c->state = st;
  if (c->on_state && !c->closing) {
    c->dispatching++;
    c->on_state(c, st, err, c->data);
    c->dispatching--;
  }
}

/* ---- link callbacks ---------------------------------------------------- */

static int link_write(void *ctx, const uint8_t *bytes, size_t n) {
  gcmon_client *c = ctx;
  return gcmon__transport_write(c->link, bytes, n);
}

static void link_event(void *ctx, uint32_t id, const gcmon_sample *s) {
  gcmon_client *c = ctx;
  c->hooks->subs_on_event(c, id, s);
}

static void link_refusal(void *ctx, const gcmon_status *st) {
  gcmon_client *c = ctx;
  int err = gcmon_status_to_error(st->code);
  c->status = *st;
  gcmon__set_errmsg(c, "%s: session refused by the daemon: %s", c->target,
                    st->message[0] ? st->message : gcmon_strerror(err));
  gcmon__link_lost(c, err ? err : GCMON_EPROTO, NULL);
}

static void link_batch(void *ctx, uint32_t id, const gcmon__incoming *in) {
  gcmon_client *c = ctx;
  c->hooks->subs_on_batch(c, id, in);
}

static void link_record(void *ctx, const gcmon__incoming *in) {
  gcmon_client *c = ctx;
  c->hooks->subs_on_record(c, in);
}

const gcmon__conn_ops gcmon__link_conn_ops = {
    link_write, link_event, link_refusal, link_batch, link_record};

static void on_link_open(gcmon__transport *t, int err) {
  gcmon_client *c = t->data;
  if (err != 0) {
    gcmon__link_lost(c, err, t->errmsg);
    return;
  }
  err = gcmon__send_hello(c, 0, NULL, NULL);
  if (err != 0)
    gcmon__link_lost(c, err, "hello: cannot send");
}

static void on_link_read(gcmon__transport *t, const uint8_t *data, size_t n) {
  gcmon_client *c = t->data;
  if (c->state == GCMON_STATE_CONNECTING && c->heard_len < sizeof c->heard) {
    size_t k = sizeof c->heard - c->heard_len;
    memcpy(c->heard + c->heard_len, data, n < k ? n : k);
    c->heard_len += n < k ? n : k;
  }
  c->dispatching++;
  gcmon__conn_feed(&c->conn, data, n);
  c->dispatching--;
  c->hooks->subs_sweep(c);
  gcmon__arm_deadlines(c);
  c->hooks->maybe_free(c);
}

static void on_link_error(gcmon__transport *t, int err) {
  gcmon__link_lost(t->data, err, t->errmsg);
}

static const gcmon__transport_cbs link_cbs = {on_link_open, on_link_read,
                                              on_link_error};

/* ---- calls: queue, deadlines ------------------------------------------- */

gcmon__call *gcmon__call_new(gcmon_client *c, gcmon_call kind,
                             unsigned timeout_ms, gcmon__call_done_fn done,
                             void *data) {
  gcmon__call *call = calloc(1, sizeof *call);
  if (!call)
    return NULL;
  call->req.call = kind;
  call->owner = c;
  call->done = done;
  call->data = data;
  call->deadline_ms = gcmon__now(c) + (timeout_ms ? timeout_ms : c->timeout_ms);
  return call;
}

int gcmon__submit(gcmon_client *c, gcmon__call *call) {
  int err = 0;
  if (c->state == GCMON_STATE_READY)
    err = gcmon__conn_send(&c->conn, call);
  else if (c->state == GCMON_STATE_CONNECTING ||
           c->state == GCMON_STATE_BACKOFF)
    gcmon__call_list_push(&c->queue, call);
  else
    err = GCMON_ECLOSED;
  if (err == 0)
    gcmon__arm_deadlines(c);
  return err;
}

void gcmon__fail_queue(gcmon_client *c, int err) {
  gcmon__call *call;
  while ((call = gcmon__call_list_pop(&c->queue)) != NULL) {
    gcmon_reply reply;
    gcmon__reply_error(&reply, call->req.call, err);
    call->done(call, &reply);
  }
}

static void expire_queue(gcmon_client *c, uint64_t now) {
  gcmon__call *call = c->queue.head;
  while (call) {
    gcmon__call *next = call->next;
    if (call->deadline_ms && call->deadline_ms <= now) {
      gcmon_reply reply;
      gcmon__call_list_remove(&c->queue, call);
      gcmon__reply_error(&reply, call->req.call, GCMON_ETIMEDOUT);
      call->done(call, &reply);
      next = c->queue.head; /* the callback may have queued or removed */
    }
    call = next;
  }
}

static void on_deadline(uv_timer_t *timer) {
  gcmon_client *c = timer->data;
  uint64_t now = gcmon__now(c);

  c->dispatching++;
  expire_queue(c, now);
  gcmon__conn_expire(&c->conn, now);
  if (c->state == GCMON_STATE_CONNECTING && c->connect_deadline &&
      now >= c->connect_deadline) {
    char why[GCMON__ERRMSG_MAX];
    snprintf(why, sizeof why, "%s: no session within the timeout", c->target);
    gcmon__link_lost(c, GCMON_ETIMEDOUT, why);
  }
  c->dispatching--;
  c->hooks->subs_sweep(c);
  gcmon__arm_deadlines(c);
  c->hooks->maybe_free(c);
}

void gcmon__arm_deadlines(gcmon_client *c) {
  uint64_t next = gcmon__call_list_next_deadline(&c->queue);
  uint64_t d = gcmon__call_list_next_deadline(&c->conn.inflight);
  uint64_t now;

  if (c->closing)
    return;
  if (d && (!next || d < next))
    next = d;
  if (c->state == GCMON_STATE_CONNECTING && c->connect_deadline &&
      (!next || c->connect_deadline < next))
    next = c->connect_deadline;
  if (!next) {
    uv_timer_stop(&c->deadline_timer);
    return;
  }
  now = gcmon__now(c);
  uv_timer_start(&c->deadline_timer, on_deadline, next > now ? next - now : 0,
                 0);
}

/* ---- hello ------------------------------------------------------------- */

static void hello_ready(gcmon_client *c, gcmon_reply *reply) {
  bool restarted, fresh_link;
  uint64_t prev_run;
  gcmon__call *q;

  fresh_link = c->state != GCMON_STATE_READY;
  prev_run = c->run_id;
  restarted = c->have_run_id && reply->u.hello.run_id != c->run_id;
  c->info = reply->u.hello;
  c->run_id = reply->u.hello.run_id;
  c->have_run_id = true;
  c->status = reply->status;
  c->established = true;
  c->backoff_ms = c->backoff_min_ms;
  c->connect_deadline = 0;
  if (fresh_link) {
    c->connects++;
    c->hooks->liveness_start(c);
    gcmon__set_state(c, GCMON_STATE_READY, 0);
  }
  if (c->state == GCMON_STATE_READY) {
    c->hooks->subs_resume(c, restarted, prev_run);
    while (c->state == GCMON_STATE_READY &&
           (q = gcmon__call_list_pop(&c->queue)) != NULL) {
      int err = gcmon__conn_send(&c->conn, q);
      if (err != 0) {
        gcmon_reply r;
        gcmon__reply_error(&r, q->req.call, err);
        q->done(q, &r);
      }
    }
  }
  gcmon__arm_deadlines(c);
}

void gcmon__hello_complete(gcmon_client *c, gcmon_reply *reply,
                           gcmon_reply_cb cb, void *data) {
  if (reply->err == GCMON_ETIMEDOUT)
    gcmon__link_lost(c, reply->err, "hello: no answer within the timeout");
  else if (reply->err != 0)
    gcmon__link_lost(c, reply->err, NULL);
  else
    hello_ready(c, reply);
  if (cb) {
    c->dispatching++;
    cb(c, reply, data);
    c->dispatching--;
  }
}

static void on_hello_done(gcmon__call *call, gcmon_reply *reply) {
  gcmon_client *c = call->owner;
  gcmon_reply_cb cb = call->cb;
  void *data = call->data;
  int step;

  free(call);
  c->hello = NULL;
  if (reply->err == 0 && reply->u.hello.version != GCMON_PROTOCOL_VERSION) {
    gcmon__set_errmsg(c, "%s: daemon speaks protocol version %u, not %u",
                      c->target, (unsigned)reply->u.hello.version,
                      (unsigned)GCMON_PROTOCOL_VERSION);
    reply->err = GCMON_EPROTO;
    gcmon__fail(c, GCMON_EPROTO);
  } else if (reply->err <= GCMON_EINVALARG && reply->err >= GCMON_EINTERNAL &&
             reply->err != GCMON_ELIMIT) {
    c->status = reply->status;
    gcmon__set_errmsg(c, "%s: hello refused: %s", c->target,
                      reply->status.message[0] ? reply->status.message
                                               : gcmon_strerror(reply->err));
    gcmon__fail(c, reply->err);
  } else if (reply->err == 0 &&
             (step = c->hooks->auth_after_hello(c, reply, cb, data)) != 0) {
    if (step > 0)
      return; /* auth (or a v1 hello) in flight: it completes the hello */
    reply->err = step;
    gcmon__hello_complete(c, reply, cb, data);
    return;
  } else {
    gcmon__hello_complete(c, reply, cb, data);
    return;
  }
  if (cb) {
    c->dispatching++;
    cb(c, reply, data);
    c->dispatching--;
  }
}

int gcmon__send_hello(gcmon_client *c, unsigned timeout_ms, gcmon_reply_cb cb,
                      void *data) {
  gcmon__call *call;
  int err;

  if (c->hello)
    return GCMON_EBUSY;
  call = gcmon__call_new(c, GCMON_CALL_HELLO, timeout_ms, on_hello_done, data);
  if (!call)
    return GCMON_ENOMEM;
  if (c->state == GCMON_STATE_CONNECTING && c->connect_deadline)
    call->deadline_ms = c->connect_deadline;
  call->cb = cb;
  call->req.u.hello.client = c->client_name;
  call->req.u.hello.token = c->token;
  call->req.u.hello.token_len = c->token_len;
  c->hooks->auth_prepare_hello(c, &call->req);
  call->req.u.hello.compact = c->hooks->want_compact(c);
  call->req.u.hello.compact_latency_ms = c->compact_latency_ms;
  /* This hello ends the session's subscriptions on the daemon: anything
   * still arriving for their old ids is stale. */
  c->hooks->subs_forget_ids(c);
  err = gcmon__conn_send(&c->conn, call);
  if (err != 0) {
    free(call);
    return err;
  }
  c->hello = call;
  gcmon__arm_deadlines(c);
  return 0;
}

/* ---- link up and down -------------------------------------------------- */

static void on_retry(uv_timer_t *timer) {
  gcmon_client *c = timer->data;
  if (c->state == GCMON_STATE_BACKOFF)
    gcmon__begin_connect(c, c->timeout_ms);
}

void gcmon__drop_link(gcmon_client *c, gcmon_state next, int err) {
  bool was_ready = c->state == GCMON_STATE_READY;

  gcmon__transport_close(c->link);
  c->link = NULL;
  c->hello = NULL;
  c->hooks->liveness_stop(c);
  c->connect_deadline = 0;
  if (was_ready)
    c->disconnects++;
  c->state = next; /* before any callback, so nested losses are no-ops */
  c->run_err = err;
  c->dispatching++;
  gcmon__conn_fail_all(&c->conn, err == GCMON_ECANCELED ? err : GCMON_ECLOSED);
  c->hooks->subs_session_ended(c, err);
  if (next != GCMON_STATE_BACKOFF)
    gcmon__fail_queue(c, err);
  c->dispatching--;
}

void gcmon__link_lost(gcmon_client *c, int err, const char *why) {
  bool retry;

  char said[GCMON__ERRMSG_MAX];

  if (c->state != GCMON_STATE_CONNECTING && c->state != GCMON_STATE_READY)
    return;
  /* Only on a first connection: after a session, a garbled line is noise. */
  if (c->state == GCMON_STATE_CONNECTING && !c->established &&
      c->conn.dec.stats.frames == 0 &&
      gcmon__describe_answer(&c->uri, c->target, c->heard, c->heard_len, said,
                             sizeof said)) {
    why = said;
    err = GCMON_EPROTO; /* something answered, and it is not gcmond */
  }
  if (why)
    gcmon__set_errmsg(c, "%s", why);
  retry = c->reconnect && c->established && !c->stopping && !c->closing;
  gcmon__drop_link(c, retry ? GCMON_STATE_BACKOFF : GCMON_STATE_FAILED, err);
  if (retry) {
    uv_timer_start(&c->retry_timer, on_retry, c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > c->backoff_max_ms ? c->backoff_max_ms
                                                          : c->backoff_ms * 2;
  }
  gcmon__arm_deadlines(c);
  gcmon__set_state(c, c->state, err);
}

void gcmon__fail(gcmon_client *c, int err) {
  if (c->state == GCMON_STATE_CONNECTING || c->state == GCMON_STATE_READY)
    gcmon__drop_link(c, GCMON_STATE_FAILED, err);
  c->run_err = err;
  uv_timer_stop(&c->retry_timer);
  gcmon__arm_deadlines(c);
  gcmon__set_state(c, GCMON_STATE_FAILED, err);
}

void gcmon__begin_connect(gcmon_client *c, unsigned timeout_ms) {
  int err;

  c->state = GCMON_STATE_CONNECTING;
  c->heard_len = 0;
  c->connect_deadline =
      gcmon__now(c) + (timeout_ms ? timeout_ms : c->timeout_ms);
  gcmon__conn_reset(&c->conn);
  gcmon__arm_deadlines(c);
  gcmon__set_state(c, GCMON_STATE_CONNECTING, 0);
  if (c->state != GCMON_STATE_CONNECTING)
    return; /* the state callback stopped us */
  err = gcmon__transport_open(&c->link, c->loop, &c->uri, &link_cbs, c);
  if (err != 0)
    gcmon__link_lost(c, err, "out of memory");
}
