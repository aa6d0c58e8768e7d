/* libgcmon: the host side of the gcmon protocol.
 *
 * A gcmon_client is one session with one gcmond, over TCP or a serial line:
 *
 *     gcmon_client *c;
 *     gcmon_sample s;
 *     if (gcmon_client_init(&c, NULL, "tcp://k230.local", NULL) != 0)
 *       return 1;                               // malformed target, no memory
 *     int err = gcmon_client_connect(c, 0);     // connect + hello
 *     if (err == 0)
 *       err = gcmon_get_sample(c, &s, 0);
 *     if (err != 0)
 *       fprintf(stderr, "%s\n", gcmon_client_errmsg(c));
 *     gcmon_client_close(c);
 *
 * Targets are URIs:  tcp://HOST[:PORT][?compact=0|1]   (default port 7230;
 *                                          [v6] allowed)
 *                    serial:///dev/ttyUSB0[?baud=N][&compact=0|1]
 *                                          (default 115200, 8N1)
 *
 * Two modes, chosen at init:
 *   - synchronous (loop NULL): the client owns a private libuv loop; every
 *     call blocks until the daemon answers or its timeout passes, and
 *     subscription callbacks run inside those calls or gcmon_client_run().
 *   - event loop (loop given): the client attaches its handles to the
 *     caller's uv_loop_t. Use gcmon_client_start() and the *_async calls;
 *     callbacks run from the caller's uv_run(). The blocking calls return
 *     GCMON_EINVAL in this mode (a libuv loop cannot be re-entered).
 *
 * Error model: every function returning int returns 0 or a negative GCMON_E*
 * code (gcmon/error.h; gcmon_strerror() gives its text). A daemon Status
 * other than OK maps onto GCMON_EINVALARG .. GCMON_EINTERNAL, and the Status
 * itself (wire code and the daemon's message) is kept: it is in every
 * gcmon_reply, and gcmon_client_status() returns the one of the last call
 * that completed. gcmon_client_errmsg() is one human line about the last
 * failure ("connect 127.0.0.1:7230: connection refused"). When a function
 * that takes a callback returns an error, the callback is never called.
 *
 * Ownership: all structs passed to callbacks live only for the duration of
 * the callback; copy what you keep. Out-parameters are caller-owned. The
 * client and its subscriptions are freed by gcmon_client_close(); strings
 * are NUL-terminated copies, truncated to their bounds, with control bytes
 * replaced (daemon input is untrusted).
 *
 * Reconnect (opts.reconnect): after the link drops the client reconnects
 * with exponential backoff, says hello again and resumes each subscription
 * with from_seq = last seq + 1, so callers see a contiguous seq run; when
 * the daemon no longer retains the missing samples a GCMON_EVENT_GAP names
 * them, and when the daemon restarted (run_id changed) a
 * GCMON_EVENT_RESTART precedes the new run's samples.
 *
 * Threads: a client is used from one thread (its loop's).
 *
 * Signals: a TCP peer that goes away can make a write raise SIGPIPE
 * (libuv writes with write(2)); programs should ignore SIGPIPE, as gcmon
 * does, and the lost link is then reported like any other.
 */
#ifndef GCMON_CLIENT_H
#define GCMON_CLIENT_H

#include "gcmon/error.h"
#include "gcmon/export.h"
#include "gcmon/insight.h"
#include "gcmon/sample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uv_loop_s; /* libuv's uv_loop_t; only event-loop users need uv.h */

#define GCMON_DEFAULT_PORT       7230
#define GCMON_DEFAULT_BAUD       115200
#define GCMON_DEFAULT_TIMEOUT_MS 5000
#define GCMON_PROTOCOL_VERSION   1
#define GCMON_PROTOCOL_MINOR     1 /* 1.1: compact stream */
#define GCMON_TOKEN_MAX          64 /* HelloRequest.token */
#define GCMON_CLIENT_NAME_MAX    32 /* HelloRequest.client */
#define GCMON_STRING_MAX         32 /* daemon, device_id in HelloResponse */
#define GCMON_STATUS_MESSAGE_MAX 96 /* Status.message */
/* Samples one gcmon_history can hold. gcmond sends at most 4; extra samples
 * from another daemon are dropped and next_seq adjusted, never overflowed. */
#define GCMON_HISTORY_MAX        16

typedef struct gcmon_client gcmon_client;
typedef struct gcmon_subscription gcmon_subscription;

/* The daemon's Status, as sent. code is the wire value (0 = OK,
 * 1 = INVALID_ARGUMENT ... 7 = INTERNAL); gcmon_status_to_error() maps it. */
typedef struct gcmon_status {
  int code;
  char message[GCMON_STATUS_MESSAGE_MAX + 1];
} gcmon_status;

/* HelloResponse. */
typedef struct gcmon_info {
  uint32_t version;
  char daemon[GCMON_STRING_MAX + 1];    /* e.g. "gcmond 0.1.0" */
  char source[GCMON_STRING_MAX + 1];    /* sim, linux, k230, micropython */
  char device_id[GCMON_STRING_MAX + 1]; /* board or host identity */
  uint64_t run_id;                      /* changes when the daemon restarts */
  uint32_t max_payload;
  uint32_t history_capacity;  /* series samples the daemon retains */
  uint32_t min_interval_ms;   /* sampler period; granted intervals are k x */
  bool control;               /* collect/threshold/enable allowed */
  uint32_t max_subscriptions; /* 0 when the daemon does not say */
  uint32_t max_sessions;      /* 0 when the daemon does not say */
  uint32_t minor;              /* protocol minor version served (1.1: 1) */
  bool compact;                /* the compact sample stream was granted */
  uint32_t compact_latency_ms; /* its latency bound, as granted */
} gcmon_info;

/* Subscribed. */
typedef struct gcmon_subscribed {
  uint32_t subscription; /* the daemon's id for this session */
  uint32_t interval_ms;  /* as granted */
  uint64_t first_seq;    /* first seq the stream delivers */
} gcmon_subscribed;

/* History: samples in ascending seq. */
typedef struct gcmon_history {
  size_t count;
  gcmon_sample samples[GCMON_HISTORY_MAX];
  uint64_t next_seq;   /* pass as from_seq to continue */
  uint64_t oldest_seq; /* oldest retained seq; 0 before the first sample */
} gcmon_history;

/* Link health, cumulative over the client's life (all reconnects). */
typedef struct gcmon_link_stats {
  uint64_t bytes_in;        /* bytes read from the link */
  uint64_t bytes_out;       /* bytes written to the link */
  uint64_t frames_in;       /* valid frames received */
  uint64_t frames_out;      /* frames sent */
  uint64_t crc_errors;      /* frames dropped for a CRC mismatch */
  uint64_t frames_dropped;  /* every dropped frame: crc, oversize, escape,
                               short, undecodable */
  uint64_t undecodable;     /* valid frames that were not a usable Packet */
  uint64_t bytes_discarded; /* noise between frames */
  uint64_t seq_gaps;        /* GCMON_EVENT_GAPs delivered */
  uint64_t seq_missing;     /* samples those gaps cover */
  uint64_t connects;        /* successful hellos (1 + reconnects) */
  uint64_t disconnects;     /* links lost after a successful hello */
  uint64_t unmatched;       /* responses and events nobody waited for */
  uint64_t batches_undecodable; /* compact batches whose keyframe was lost
                                   (their samples count as missing) */
} gcmon_link_stats;

/* ---- client lifecycle -------------------------------------------------- */

typedef enum gcmon_state {
  GCMON_STATE_IDLE = 0,   /* not started, or stopped */
  GCMON_STATE_CONNECTING, /* opening the link and saying hello */
  GCMON_STATE_READY,      /* hello answered: calls flow */
  GCMON_STATE_BACKOFF,    /* link lost; waiting to reconnect */
  GCMON_STATE_FAILED      /* gave up (no reconnect, or a fatal refusal) */
} gcmon_state;

/* Called on every state change; err says why the link went down (0 when
 * nothing failed). */
typedef void (*gcmon_state_cb)(gcmon_client *c, gcmon_state state, int err,
                               void *data);

typedef struct gcmon_client_options {
  const char *client_name; /* HelloRequest.client; NULL = "libgcmon" */
  const uint8_t *token;    /* control token, token_len bytes; may be NULL */
  size_t token_len;        /* at most GCMON_TOKEN_MAX */
  unsigned timeout_ms;     /* default call and connect timeout; 0 = 5000 */
  bool reconnect;          /* reconnect after a lost link */
  unsigned backoff_min_ms; /* first reconnect delay; 0 = 100 */
  unsigned backoff_max_ms; /* delay cap (doubling); 0 = 5000 */
  gcmon_state_cb on_state; /* may be NULL */
  void *data;              /* yours; see gcmon_client_data() */
  /* Never send the token in clear: it is only ever proved by
   * challenge-response (a daemon that speaks protocol 1.1). A v1 daemon
   * then gives a read-only session. Without it, a v1 daemon is sent the
   * token in hello, as v1 clients do; a 1.1 daemon never is. */
  bool require_mac;
  /* The compact sample stream (protocol 1.1; docs/protocol.md): samples
   * travel as keyframes and small deltas, several per frame, and are
   * decoded back into the same gcmon_sample structs, bit for bit.
   * GCMON_COMPACT_AUTO (0): on for serial:// targets, off for tcp://; the
   * target's ?compact=0|1 overrides AUTO. A daemon that does not offer it
   * streams full samples as before. */
  int compact;                 /* GCMON_COMPACT_AUTO / _ON / _OFF */
  unsigned compact_latency_ms; /* samples wait at most this long; 0 = 100 */
} gcmon_client_options;

#define GCMON_COMPACT_AUTO 0
#define GCMON_COMPACT_ON   1
#define GCMON_COMPACT_OFF  2

/* Create a client for target. loop NULL: synchronous mode with a private
 * loop; else event-loop mode on the caller's loop. opts may be NULL
 * (defaults) and is copied (the token too). Nothing is connected yet.
 * Returns GCMON_EURI for a malformed target (gcmon_uri_check() says why),
 * GCMON_EINVAL for bad options, GCMON_ENOMEM. On failure *out is NULL and
 * nothing needs closing. */
GCMON_EXPORT int gcmon_client_init(gcmon_client **out, struct uv_loop_s *loop,
                                   const char *target,
                                   const gcmon_client_options *opts);

/* Open a serial device as serial:// and repl:// targets do: exclusively
 * (TIOCEXCL and flock, so a second program fails at once), raw 8N1 at
 * baud, non-blocking, close-on-exec. The fd (the caller closes it), or a
 * negative GCMON_E* with one line in msg: GCMON_EBUSY "PATH: busy (pid N
 * has it)", GCMON_ENODEV (no such device, not a tty, baud unsupported),
 * GCMON_ECONNECT. */
GCMON_EXPORT int gcmon_serial_open(const char *path, uint32_t baud, char *msg,
                                   size_t len);

/* Whether path is a USB CDC ACM device (ttyACM*, as CanMV's USB console,
 * or a /dev/serial/by-id name linking to one): it runs at USB speed
 * whatever its baud says. 1 or 0. */
GCMON_EXPORT int gcmon_serial_is_usb_cdc(const char *path);

/* Validate a target URI without creating anything. On GCMON_EURI writes
 * one line saying what is wrong into msg (if not NULL). */
GCMON_EXPORT int gcmon_uri_check(const char *target, char *msg, size_t len);

/* Event-loop mode: begin connecting; progress is reported to on_state.
 * As with gcmon_client_connect(), a first connection that fails is not
 * retried (state FAILED); reconnect applies once a session has existed. */
GCMON_EXPORT int gcmon_client_start(gcmon_client *c);

/* Synchronous mode: connect and say hello, blocking up to timeout_ms
 * (0 = the client's default). The first connect is not retried even with
 * reconnect set: an unreachable target is an error here. */
GCMON_EXPORT int gcmon_client_connect(gcmon_client *c, unsigned timeout_ms);

/* Drop the link and stop reconnecting. Pending calls complete with
 * GCMON_ECANCELED; subscriptions stay registered (start again to resume). */
GCMON_EXPORT void gcmon_client_stop(gcmon_client *c);

/* Stop, then release everything, subscriptions included. In event-loop mode
 * the memory is released from the loop (let it run once more); in
 * synchronous mode it is gone when this returns. */
GCMON_EXPORT void gcmon_client_close(gcmon_client *c);

/* Synchronous mode: run the private loop (subscription callbacks, reconnects)
 * for up to timeout_ms, or until gcmon_client_break() when 0. Returns 0, or
 * the error that left the client FAILED. */
GCMON_EXPORT int gcmon_client_run(gcmon_client *c, unsigned timeout_ms);

/* Make gcmon_client_run() return; safe from any callback. */
GCMON_EXPORT void gcmon_client_break(gcmon_client *c);

GCMON_EXPORT gcmon_state gcmon_client_state(const gcmon_client *c);
GCMON_EXPORT void *gcmon_client_data(const gcmon_client *c);
/* The last HelloResponse (zeroed before the first). */
GCMON_EXPORT const gcmon_info *gcmon_client_info(const gcmon_client *c);
/* Status of the last completed call (zeroed code/message when it had none). */
GCMON_EXPORT const gcmon_status *gcmon_client_status(const gcmon_client *c);
/* One line about the last failure; "" when none. */
GCMON_EXPORT const char *gcmon_client_errmsg(const gcmon_client *c);
/* A repl:// link (a MicroPython console): which mode serves it, what one
 * reading costs the board and how fast the link can read. */
typedef struct gcmon_console_info {
  const char *mode;           /* "agent" or "stock" (raw REPL polling) */
  int64_t heap_per_reading;   /* stock: board gc heap bytes one reading
                                 allocates (measured at connect); -1 when
                                 the gc ran during every measurement */
  uint32_t reading_us;        /* stock: one reading's round trip */
  double max_readings_per_s;  /* stock: the fastest ticks the link carries
                                 (two snippets in flight) */
} gcmon_console_info;
/* 0 and *out filled for a repl:// link that is up, else GCMON_ENODEV. */
GCMON_EXPORT int gcmon_client_console_info(const gcmon_client *c,
                                           gcmon_console_info *out);
/* The target as given at init. */
GCMON_EXPORT const char *gcmon_client_target(const gcmon_client *c);
GCMON_EXPORT void gcmon_client_link_stats(const gcmon_client *c,
                                          gcmon_link_stats *out);

/* ---- calls ------------------------------------------------------------- */

typedef enum gcmon_call {
  GCMON_CALL_HELLO = 1,
  GCMON_CALL_GET_SAMPLE,
  GCMON_CALL_COLLECT,
  GCMON_CALL_SET_THRESHOLD,
  GCMON_CALL_SET_ENABLED,
  GCMON_CALL_SUBSCRIBE,
  GCMON_CALL_UNSUBSCRIBE,
  GCMON_CALL_GET_HISTORY,
  /* 1.1 memory insight (numbered as their Request fields) */
  GCMON_CALL_GET_WATERMARKS = 11,
  GCMON_CALL_GET_COLLECTIONS = 12,
  GCMON_CALL_ADD_ALARM = 13,
  GCMON_CALL_REMOVE_ALARM = 14,
  GCMON_CALL_LIST_ALARMS = 15
} gcmon_call;

/* Name of a call as in docs/protocol.md ("get_sample"). */
GCMON_EXPORT const char *gcmon_call_name(gcmon_call call);

/* One request. hello, subscribe and unsubscribe are issued by the client
 * itself (gcmon_hello(), gcmon_subscribe*()); the others by anyone. */
typedef struct gcmon_request {
  gcmon_call call;
  union {
    int64_t threshold_bytes; /* SET_THRESHOLD; negative disables */
    bool enabled;            /* SET_ENABLED */
    struct {
      uint64_t from_seq;   /* 0 = oldest retained */
      uint32_t max_count;  /* 0 = as many as fit one frame */
    } history;             /* GET_HISTORY */
    bool reset_watermarks; /* GET_WATERMARKS: close and restart the window */
    struct {
      uint64_t from_number; /* 0 = oldest retained */
      uint32_t max_count;   /* 0 = as many as fit one frame */
    } collections;          /* GET_COLLECTIONS */
    gcmon_alarm_rule alarm; /* ADD_ALARM (id and owner ignored) */
    uint32_t alarm_id;      /* REMOVE_ALARM */
  } u;
} gcmon_request;

/* The answer to one request. err is 0 or GCMON_E*; status is the daemon's
 * (code 0 and "" when the call failed before reaching it). The result
 * member matching call is valid only when err is 0. */
typedef struct gcmon_reply {
  gcmon_call call;
  int err;
  gcmon_status status;
  union {
    gcmon_info hello;
    gcmon_sample sample; /* get_sample, set_threshold, set_enabled */
    gcmon_collect_result collect;
    gcmon_subscribed subscribed;
    gcmon_history history;
    gcmon_watermark_window watermarks; /* get_watermarks */
    gcmon_collections collections;     /* get_collections */
    gcmon_alarm_rule alarm;            /* add_alarm: the rule as installed */
    gcmon_alarm_list alarms;           /* list_alarms */
  } u;
} gcmon_reply;

typedef void (*gcmon_reply_cb)(gcmon_client *c, const gcmon_reply *reply,
                               void *data);

/* The one asynchronous call: queue req (sent when the session is ready),
 * complete with cb exactly once: the reply, GCMON_ETIMEDOUT after
 * timeout_ms (0 = the client's default), GCMON_ECLOSED when the link drops
 * with it in flight, GCMON_ECANCELED on stop/close. Calls complete in the
 * order they were made. */
GCMON_EXPORT int gcmon_call_async(gcmon_client *c, const gcmon_request *req,
                                  unsigned timeout_ms, gcmon_reply_cb cb,
                                  void *data);

/* Blocking calls (synchronous mode). timeout_ms 0 = the client's default.
 * On a daemon error the Status is in gcmon_client_status(). A call the
 * daemon answers FAILED_PRECONDITION (it no longer knows the session)
 * also drops the link, so that a reconnect says hello again.
 * gcmon_hello() says hello again on the open session (re-authenticating);
 * as the daemon then ends the session's subscriptions, they are resumed
 * the same way as after a reconnect. */
GCMON_EXPORT int gcmon_hello(gcmon_client *c, gcmon_info *out,
                             unsigned timeout_ms);
GCMON_EXPORT int gcmon_get_sample(gcmon_client *c, gcmon_sample *out,
                                  unsigned timeout_ms);
GCMON_EXPORT int gcmon_collect(gcmon_client *c, gcmon_collect_result *out,
                               unsigned timeout_ms);
/* bytes < 0 disables. *after (may be NULL) is the state after the change. */
GCMON_EXPORT int gcmon_set_threshold(gcmon_client *c, int64_t bytes,
                                     gcmon_sample *after, unsigned timeout_ms);
GCMON_EXPORT int gcmon_set_enabled(gcmon_client *c, bool enabled,
                                   gcmon_sample *after, unsigned timeout_ms);
/* One get_history request: at most one frame of samples. */
GCMON_EXPORT int gcmon_get_history(gcmon_client *c, uint64_t from_seq,
                                   uint32_t max_count, gcmon_history *out,
                                   unsigned timeout_ms);

/* Memory insight (protocol 1.1, docs/protocol.md "Memory insight").
 * What a source cannot provide is answered UNAVAILABLE (GCMON_EUNAVAIL).
 * get_watermarks with reset (control) returns the closed window and starts
 * a new one. */
GCMON_EXPORT int gcmon_get_watermarks(gcmon_client *c, bool reset,
                                      gcmon_watermark_window *out,
                                      unsigned timeout_ms);
/* One get_collections request: at most GCMON_COLLECTIONS_MAX records from
 * from_number (0 = the oldest retained). */
GCMON_EXPORT int gcmon_get_collections(gcmon_client *c, uint64_t from_number,
                                       uint32_t max_count,
                                       gcmon_collections *out,
                                       unsigned timeout_ms);
/* Install a rule (control). *installed (may be NULL) gets it with the
 * daemon's id and owner. The rule outlives this client's session. */
GCMON_EXPORT int gcmon_add_alarm(gcmon_client *c, const gcmon_alarm_rule *rule,
                                 gcmon_alarm_rule *installed,
                                 unsigned timeout_ms);
/* Remove a rule by id (control), whoever installed it. */
GCMON_EXPORT int gcmon_remove_alarm(gcmon_client *c, uint32_t id,
                                    unsigned timeout_ms);
GCMON_EXPORT int gcmon_list_alarms(gcmon_client *c, gcmon_alarm_list *out,
                                   unsigned timeout_ms);

/* ---- subscriptions ----------------------------------------------------- */

typedef enum gcmon_event_type {
  GCMON_EVENT_SAMPLE = 1, /* sample: the next one in the series */
  GCMON_EVENT_SUBSCRIBED, /* subscribed: the daemon granted (or re-granted
                             after a reconnect) the stream */
  GCMON_EVENT_GAP,        /* seq gap_first..gap_last will never arrive */
  GCMON_EVENT_RESTART,    /* the daemon restarted (run_id, prev_run_id):
                             seq starts again from the new run */
  GCMON_EVENT_LINK_DOWN,  /* link lost (err); resuming when it is back */
  GCMON_EVENT_ERROR,      /* the subscription failed for good (err,
                             status); no more events, the handle stays
                             valid until unsubscribed or the client closes */
  /* 1.1, only on subscriptions that asked (gcmon_subscribe_ex): */
  GCMON_EVENT_COLLECTION = 16, /* collection: a collection record */
  GCMON_EVENT_ALARM = 17       /* alarm: a rule raised or cleared */
} gcmon_event_type;

typedef struct gcmon_event {
  gcmon_event_type type;
  int err;
  const gcmon_sample *sample;
  gcmon_subscribed subscribed;
  uint64_t gap_first, gap_last;
  uint64_t run_id, prev_run_id;
  const gcmon_status *status;
  /* SAMPLE on a subscription that asked for watermarks: the extremes over
   * every sampler tick since the previous delivered sample; else NULL. */
  const gcmon_watermarks *watermarks;
  const gcmon_collection *collection; /* COLLECTION */
  const gcmon_alarm_event *alarm;     /* ALARM */
} gcmon_event;

typedef void (*gcmon_event_cb)(gcmon_subscription *s, const gcmon_event *ev,
                               void *data);

/* Start a stream: interval_ms 0 = every sample the daemon takes; from_seq
 * 0 = live only, else replay what is retained from that seq first. Events
 * go to cb. The handle is valid until gcmon_unsubscribe*() or close.
 * Async form: returns at once; the first event is SUBSCRIBED or ERROR.
 * Blocking form: returns once the daemon answered (or with its error, in
 * which case *out is NULL). */
GCMON_EXPORT int gcmon_subscribe_async(gcmon_client *c, uint32_t interval_ms,
                                       uint64_t from_seq, gcmon_event_cb cb,
                                       void *data, gcmon_subscription **out);
GCMON_EXPORT int gcmon_subscribe(gcmon_client *c, uint32_t interval_ms,
                                 uint64_t from_seq, gcmon_event_cb cb,
                                 void *data, gcmon_subscription **out,
                                 unsigned timeout_ms);

/* What a stream carries besides samples (protocol 1.1). */
typedef struct gcmon_subscribe_options {
  uint32_t interval_ms; /* as for gcmon_subscribe */
  uint64_t from_seq;    /* as for gcmon_subscribe */
  bool watermarks;      /* each SAMPLE event carries its watermarks */
  bool collections;     /* COLLECTION events */
  bool alarms;          /* ALARM events */
} gcmon_subscribe_options;

/* gcmon_subscribe(_async) with options; the same contract otherwise. The
 * options are resent with every resume after a reconnect. */
GCMON_EXPORT int gcmon_subscribe_ex_async(gcmon_client *c,
                                          const gcmon_subscribe_options *o,
                                          gcmon_event_cb cb, void *data,
                                          gcmon_subscription **out);
GCMON_EXPORT int gcmon_subscribe_ex(gcmon_client *c,
                                    const gcmon_subscribe_options *o,
                                    gcmon_event_cb cb, void *data,
                                    gcmon_subscription **out,
                                    unsigned timeout_ms);

/* End a stream: no callback runs for it after this returns; the handle is
 * freed. The blocking form waits for the daemon's answer. */
GCMON_EXPORT void gcmon_unsubscribe_async(gcmon_subscription *s);
GCMON_EXPORT int gcmon_unsubscribe(gcmon_subscription *s, unsigned timeout_ms);

GCMON_EXPORT gcmon_client *
gcmon_subscription_client(const gcmon_subscription *s);
/* Seq of the last sample delivered (0 before the first). */
GCMON_EXPORT uint64_t gcmon_subscription_last_seq(const gcmon_subscription *s);

/* ---- history download -------------------------------------------------- */

/* Download retained history by pipelining get_history requests (each
 * carries only a few samples). Samples arrive in ascending seq with no
 * duplicates; samples evicted before they could be read are reported as a
 * gap. Ends when the download has caught up with the newest sample, or
 * after max_samples. */
typedef struct gcmon_history_options {
  uint64_t from_seq;    /* 0 = the oldest retained */
  uint64_t max_samples; /* 0 = no limit */
  unsigned window;      /* requests in flight; 0 = 8 */
  void (*on_sample)(void *data, const gcmon_sample *s);
  void (*on_gap)(void *data, uint64_t first, uint64_t last); /* may be NULL */
  /* After each response: samples so far and an estimate of the total
   * (0 when unknown). May be NULL. */
  void (*on_progress)(void *data, uint64_t done, uint64_t total);
  void *data;
} gcmon_history_options;

/* Blocking: returns when done; timeout_ms bounds each request. */
GCMON_EXPORT int gcmon_history_fetch(gcmon_client *c,
                                     const gcmon_history_options *o,
                                     unsigned timeout_ms);
/* Event loop: on_done(data, err) runs once at the end. */
GCMON_EXPORT int
gcmon_history_fetch_async(gcmon_client *c, const gcmon_history_options *o,
                          unsigned timeout_ms,
                          void (*on_done)(void *data, int err));

/* Library version string, e.g. "0.1.0". */
GCMON_EXPORT const char *gcmon_version(void);

#ifdef __cplusplus
}
#endif
#endif
