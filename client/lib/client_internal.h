/* The client object and the internal seams between its files:
 *
 *   client.c     public life cycle and accessors
 *   link.c       link state machine: hello, reconnect, call queue, timers
 *   calls.c      the public calls (one async path, typed wrappers)
 *   sync.c       blocking wrappers: run the private loop until done
 *   subs.c       subscriptions: resume with from_seq, gaps, restarts
 *   subs_compact.c  compact streams (1.1): batches decoded into samples
 *   history.c    pipelined history download
 *   liveness.c   noticing a daemon that vanished behind an open line
 *   mac.c        challenge-response: hello/auth, MACs on control calls
 *   conn.c       protocol engine (no I/O), transport*.c the libuv links
 */
#ifndef GCMON_CLIENT_INTERNAL_H
#define GCMON_CLIENT_INTERNAL_H

#include "gcmon/client.h"

#include "conn.h"
#include "transport.h"
#include "uri.h"

#include <uv.h>

#define GCMON__ERRMSG_MAX 256

typedef enum {
  GCMON__SUB_WAITING = 0, /* to be (re)subscribed when the session is ready */
  GCMON__SUB_REQUESTED,   /* subscribe sent, no answer yet */
  GCMON__SUB_ACTIVE,      /* events flowing */
  GCMON__SUB_FAILED       /* the daemon refused it; no more events */
} gcmon__sub_state;

typedef struct gcmon__sync_wait {
  bool done;
  int err;
} gcmon__sync_wait;

struct gcmon_subscription {
  gcmon_client *client;
  gcmon_event_cb cb;
  void *data;
  uint32_t interval_ms; /* as asked */
  uint64_t from_seq;    /* as asked, for the first subscribe */
  gcmon__sub_state state;
  bool closed;            /* unsubscribed: freed at the next safe point */
  uint32_t daemon_id;     /* the daemon's id in this session; 0 = none */
  uint64_t step;          /* seq distance between events (granted/min) */
  uint32_t granted_ms;    /* interval as granted */
  uint64_t asked_from;    /* from_seq of the subscribe in flight */
  uint64_t last_seq;      /* last sample delivered */
  uint64_t expect_seq;    /* next seq due; 0 = any */
  gcmon__call *call;      /* subscribe in flight */
  gcmon_compact_decoder compact; /* this stream's keyframe (subs_compact.c) */
  uint64_t keyframe_asked;       /* id whose keyframe was requested */
  gcmon__sync_wait *wait; /* a blocking gcmon_subscribe() */
  gcmon_subscription *next;
  gcmon_subscription *prev;
};

struct gcmon_client {
  uv_loop_t *loop;
  uv_loop_t own_loop; /* synchronous mode */
  bool own;
  char *target;
  gcmon__uri uri;

  /* options, copied */
  char client_name[GCMON_CLIENT_NAME_MAX + 1];
  uint8_t token[GCMON_TOKEN_MAX];
  size_t token_len;
  /* challenge-response (mac.c) */
  uint8_t client_nonce[GCMON_MAC_NONCE_SIZE];
  bool challenge_asked; /* this hello asked for a challenge, no token */
  bool cleartext_token; /* the daemon is v1: the token goes in hello */
  bool require_mac;     /* option: the token is never sent in clear */
  unsigned timeout_ms;
  bool reconnect;
  unsigned backoff_min_ms, backoff_max_ms;
  gcmon_state_cb on_state;
  void *data;
  int compact_opt; /* GCMON_COMPACT_AUTO / _ON / _OFF */
  unsigned compact_latency_ms;

  gcmon_state state;
  bool established; /* a hello succeeded at least once: reconnects allowed */
  bool stopping;    /* inside stop/close: no reconnect, no new calls */
  bool closing;
  bool breaking;
  int run_err;
  gcmon__transport *link;
  gcmon__conn conn;
  gcmon__call_list queue; /* calls waiting for a ready session */
  gcmon__call *hello;     /* hello in flight */
  uint64_t connect_deadline;
  unsigned backoff_ms;
  uv_timer_t deadline_timer;
  uv_timer_t retry_timer;
  uv_timer_t wait_timer;  /* bounds a blocking wait */
  uv_timer_t alive_timer; /* liveness.c */
  uint64_t last_event_ms;
  gcmon__call *probe;
  bool wait_expired;
  int live_handles;
  int dispatching; /* callbacks on the stack: defer frees */

  gcmon_info info;
  bool have_run_id;
  uint64_t run_id;
  gcmon_status status;
  char errmsg[GCMON__ERRMSG_MAX];

  gcmon_subscription *subs;
  uint32_t orphan_id; /* last unwanted stream we asked the daemon to end */
  uint64_t seq_gaps, seq_missing, connects, disconnects, unmatched_events;
  uint64_t undecodable_batches; /* compact batches whose keyframe was lost */
};

/* link.c */
extern const gcmon__conn_ops gcmon__link_conn_ops;
void gcmon__begin_connect(gcmon_client *c, unsigned timeout_ms);
void gcmon__drop_link(gcmon_client *c, gcmon_state next, int err);
void gcmon__fail_queue(gcmon_client *c, int err);
void gcmon__set_state(gcmon_client *c, gcmon_state st, int err);
uint64_t gcmon__now(gcmon_client *c);
void gcmon__arm_deadlines(gcmon_client *c);
/* Send now when ready, else queue. 0 or GCMON_E* (call untouched). */
int gcmon__submit(gcmon_client *c, gcmon__call *call);
/* A new gcmon__call for this client, deadline from timeout (0 = default). */
gcmon__call *gcmon__call_new(gcmon_client *c, gcmon_call kind,
                             unsigned timeout_ms, gcmon__call_done_fn done,
                             void *data);
void gcmon__link_lost(gcmon_client *c, int err, const char *why);
/* Hello refused or nonsensical: stop for good with err. */
void gcmon__fail(gcmon_client *c, int err);
int gcmon__send_hello(gcmon_client *c, unsigned timeout_ms, gcmon_reply_cb cb,
                      void *data);
/* The end of a hello (after auth, when there was one): the session is
 * ready, or the failure in reply is acted on; then cb. */
void gcmon__hello_complete(gcmon_client *c, gcmon_reply *reply,
                           gcmon_reply_cb cb, void *data);
void gcmon__set_errmsg(gcmon_client *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* mac.c: a hello's 1.1 part (minor, client nonce, no token) when a token
 * is configured; after its answer, 1 when the hello goes on (auth, or a v1
 * hello with the token, sent; gcmon__hello_complete follows), 0 when it
 * is complete, or GCMON_E*. */
void gcmon__auth_prepare_hello(gcmon_client *c, gcmon__wire_request *r);
int gcmon__auth_after_hello(gcmon_client *c, gcmon_reply *reply,
                            gcmon_reply_cb cb, void *data);

/* client.c */
void gcmon__maybe_free(gcmon_client *c);

/* calls.c */
/* gcmon_call_async, with get_history answered compact (History.batch,
 * which the callback finds still encoded in c->conn.in: history.c). */
int gcmon__call_async(gcmon_client *c, const gcmon_request *req, bool compact,
                      unsigned timeout_ms, gcmon_reply_cb cb, void *data);
/* Record a finished call's status and, on failure, a message. */
void gcmon__note_reply(gcmon_client *c, const gcmon_reply *reply);

/* subs.c */
void gcmon__subs_session_ended(gcmon_client *c, int err);
void gcmon__subs_forget_ids(gcmon_client *c);
void gcmon__subs_resume(gcmon_client *c, bool restarted, uint64_t prev_run);
void gcmon__subs_on_event(gcmon_client *c, uint32_t id, const gcmon_sample *s);
void gcmon__subs_sweep(gcmon_client *c);
/* A compact batch for stream id: decoded into subs_on_event calls. */
void gcmon__subs_on_batch(gcmon_client *c, uint32_t id,
                          const gcmon__incoming *in);
/* Whether this client's hello asks for the compact stream. */
bool gcmon__want_compact(const gcmon_client *c);
void gcmon__subs_free_all(gcmon_client *c);

/* liveness.c */
void gcmon__liveness_start(gcmon_client *c);
void gcmon__liveness_stop(gcmon_client *c);
void gcmon__liveness_event(gcmon_client *c);
/* A call failed with err: FAILED_PRECONDITION means the session is gone. */
void gcmon__check_session(gcmon_client *c, int err);

/* sync.c */
int gcmon__check_sync(gcmon_client *c);
/* Run the private loop until *done, or timeout_ms passes (0 = no bound;
 * the call being waited for has its own deadline), or the client fails. */
int gcmon__wait(gcmon_client *c, const bool *done, unsigned timeout_ms);

#endif
