/* The client's shared types: the client object and a subscription, with
 * the limits that size them. Types only: no function of any file is
 * declared here (docs/design.md, "Layers"). The files of client/lib:
 *
 *   client.c     public life cycle and accessors
 *   link.c       link state machine: hello, reconnect, call queue, timers
 *   calls.c      the public calls (one async path, typed wrappers)
 *   sync.c       blocking wrappers: run the private loop until done
 *   subs.c       subscriptions: resume with from_seq, gaps, restarts
 *   subs_compact.c  compact streams (1.1): batches decoded into samples
 *   history.c    pipelined history download
 *   liveness.c   noticing a daemon that vanished behind an open line
 *   hello_auth.c the hello/auth sequence when a token is configured
 *   mac.c        challenge-response: MACs on control calls
 *   conn.c       protocol engine (no I/O), transport*.c the libuv links
 */
#ifndef GCMON_CLIENT_TYPES_H
#define GCMON_CLIENT_TYPES_H

#include "gcmon/client.h"

#include "answered.h"
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
  uint32_t interval_ms;                                /* as asked */
  bool want_watermarks, want_collections, want_alarms; /* 1.1, as asked */
  uint64_t from_seq; /* as asked, for the first subscribe */
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
  /* challenge-response (hello_auth.c) */
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
  const struct gcmon__link_hooks *hooks; /* link.h: what link.c calls up */
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
  uint8_t heard[GCMON__HEARD_MAX]; /* first bytes of a link not yet ready */
  size_t heard_len;
  uint64_t undecodable_batches; /* compact batches whose keyframe was lost */
};

#endif
