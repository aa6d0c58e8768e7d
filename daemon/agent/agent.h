/* The agent core: everything gcmond does between the bytes a transport
 * receives and the bytes it sends, with no I/O of its own.
 *
 * It owns the sessions (hello first, control permission, pipelined requests
 * answered in order), the dispatch of every call of docs/protocol.md,
 * subscriptions, the history ring the sampler fills, and each session's
 * bounded output.
 * Transports (TCP, UART, a test's memory buffer) and the sampler (a libuv
 * timer, or a test calling gcmon_agent_tick) are thin adapters around it:
 *
 *     gcmon_agent agent;
 *     gcmon_agent_init(&agent, &config);           // allocates everything,
 * once
 *
 *     // a transport, per connection:
 *     gcmon_session *s;
 *     gcmon_agent_open_session(&agent, &session_config, &s);
 *     used = gcmon_session_feed(s, bytes, n);        // < n: output is full,
 *                                                    // feed the rest later
 *     while ((n = gcmon_session_output(s, &p)) > 0)  // bytes to write
 *       { write(p, n); gcmon_session_output_done(s, n); }
 *     gcmon_session_close(s);
 *
 *     // the sampler, every config.interval_ms:
 *     gcmon_agent_tick(&agent);
 *
 *     gcmon_agent_close(&agent);
 *
 * Formatting: messages use only %s, %d, %u, %ld and %lu, because the
 * MicroPython unix port replaces the process's snprintf with one that has
 * no %ll or %z (64-bit counters are printed as unsigned long; gcmon's
 * targets are LP64).
 *
 * Threading: none. Every function must be called from one thread (the
 * daemon's loop thread).
 *
 * Memory: gcmon_agent_init allocates the session pool, history ring and
 * scratch buffers once; nothing after that allocates (not per request, not
 * per sample, not per session).
 */
#ifndef GCMON_AGENT_H
#define GCMON_AGENT_H

#include "gcmon/error.h"
#include "gcmon/sample.h"
#include "gcmon_frame.h"
#include "source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCMON_PROTOCOL_VERSION             1u
#define GCMON_DEFAULT_INTERVAL_MS          1000u
#define GCMON_MIN_INTERVAL_MS              10u
#define GCMON_DEFAULT_HISTORY              1024u
#define GCMON_DEFAULT_MAX_SESSIONS         16u
#define GCMON_DEFAULT_MAX_SUBSCRIPTIONS    4u
#define GCMON_DEFAULT_QUEUE_EVENTS         64u
/* A live event on a rate-limited link (UART) arrives at most this late. */
#define GCMON_DEFAULT_MAX_LAG_MS           1000u
/* Protocol 1.1: the minor version this daemon serves. */
#define GCMON_PROTOCOL_MINOR               1u
#define GCMON_MAX_SUBSCRIPTION_INTERVAL_MS 86400000u
#define GCMON_TOKEN_MAX                    64u
#define GCMON_HISTORY_PER_RESPONSE         4u
/* A network session that has not said hello by then is closed. */
#define GCMON_HELLO_TIMEOUT_MS             10000u
/* Output buffer per session: two worst-case frames plus room for events. */
#define GCMON_SESSION_OUTPUT_SIZE          (2u * GCMON_FRAME_WIRE_MAX + 1024u)

typedef struct gcmon_agent gcmon_agent;
typedef struct gcmon_session gcmon_session;

typedef enum {
  GCMON_LOG_ERROR = 0,
  GCMON_LOG_WARN,
  GCMON_LOG_INFO,
  GCMON_LOG_DEBUG
} gcmon_log_level;

typedef struct gcmon_agent_config {
  gcmon_source *source;       /* borrowed; must outlive the agent */
  uint32_t interval_ms;       /* sampler period = min_interval_ms */
  uint32_t history_capacity;  /* series samples retained */
  uint32_t max_sessions;      /* sessions open at once */
  uint32_t max_subscriptions; /* per session */
  uint32_t queue_events;      /* live events a subscription may lag */
  uint32_t max_lag_ms;        /* rate-limited links: live lateness bound */
  bool reserve_uart_slot;     /* keep one of max_sessions for the UART */
  const uint8_t *token;       /* control token for untrusted peers; */
  size_t token_len;           /* 0 = none configured (copied at init) */
  uint64_t run_id;            /* random per start (caller's entropy) */
  /* Challenge-response control (docs/protocol.md): random bytes for the
   * server nonces, 0 when buf is filled; NULL = not offered (no entropy). */
  int (*random)(void *random_data, uint8_t *buf, size_t n);
  void *random_data;
  bool require_mac; /* refuse the cleartext token (gcmond --require-mac) */
  const char *daemon_name;    /* "gcmond 0.1.0" */
  /* monotonic clock in microseconds (uptime_us of every reading) */
  uint64_t (*now_us)(void *clock_data);
  void *clock_data;
  /* optional log sink; NULL = silent */
  void (*log)(void *log_data, gcmon_log_level level, const char *msg);
  void *log_data;
} gcmon_agent_config;

/* Fill a config with the defaults above (source, clock, run_id unset). */
void gcmon_agent_config_defaults(gcmon_agent_config *cfg);

typedef struct gcmon_session_config {
  bool trusted; /* UART or loopback TCP: may control without token */
  /* The UART's session: it may take the slot kept back for it (so network
   * peers can never lock the console out), and it is never closed for
   * lack of a hello (its session outlives any one host). */
  bool uart;
  const char *peer; /* "uart:/dev/ttyS1", "tcp:10.0.0.2:5123", for logs */
  /* Called when the session has new bytes to write (after a tick, or after
   * feed queued responses). The transport then drains gcmon_session_output
   * when it is ready; it may also just poll. */
  void (*wake)(gcmon_session *s);
  void *data; /* for the transport */
  /* A link of known speed (a UART): bytes per second, 0 = unknown (TCP,
   * whose own flow control bounds it). With it, live events are skipped
   * rather than arriving more than max_lag_ms late. link_backlog (may be
   * NULL) says how many bytes the transport has written that are not yet
   * on the wire (the driver's queue, TIOCOUTQ). */
  uint32_t link_bytes_per_s;
  size_t (*link_backlog)(gcmon_session *s);
} gcmon_session_config;

/* Counters the agent keeps (daemon-wide). */
typedef struct gcmon_agent_stats {
  uint64_t samples;     /* series samples taken */
  uint64_t read_errors; /* ticks whose source read failed */
  uint64_t sessions_opened;
  uint64_t sessions_refused; /* session limit */
  uint64_t requests;
  uint64_t events_sent;
  uint64_t events_dropped; /* lost to slow readers */
} gcmon_agent_stats;

/* 0, GCMON_EINVAL (bad config, e.g. interval below 10 ms) or GCMON_ENOMEM.
 * On failure nothing needs closing. */
int gcmon_agent_init(gcmon_agent **out, const gcmon_agent_config *cfg);

/* Close every session and free everything. The source is not closed. */
void gcmon_agent_close(gcmon_agent *a);

/* Take one series sample: read the source, append to history (seq + 1),
 * wake the sessions whose subscriptions have something to send.
 * Returns 0, or the source's error (no sample taken, counted). */
int gcmon_agent_tick(gcmon_agent *a);

/* Log through the configured sink (printf-style, one line). */
void gcmon_agent_log(gcmon_agent *a, gcmon_log_level level, const char *fmt,
                     ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

const gcmon_agent_stats *gcmon_agent_get_stats(const gcmon_agent *a);
uint32_t gcmon_agent_interval_ms(const gcmon_agent *a);
uint64_t gcmon_agent_run_id(const gcmon_agent *a);
unsigned gcmon_agent_session_count(const gcmon_agent *a);
/* Alarm rules installed now. */
unsigned gcmon_agent_alarm_rule_count(const gcmon_agent *a);

/* Open a session for a new connection. GCMON_ELIMIT when max_sessions are
 * open: the transport then sends gcmon_agent_refusal() and closes. */
int gcmon_agent_open_session(gcmon_agent *a, const gcmon_session_config *cfg,
                             gcmon_session **out);

/* Encode the frame a refused connection receives: a Response with id 0 and
 * RESOURCE_EXHAUSTED. Returns its length (0 if out is too small). */
size_t gcmon_agent_refusal(gcmon_agent *a, uint8_t *out, size_t cap);

/* The transport is gone: end subscriptions, free the slot. Any pointer
 * obtained from gcmon_session_output becomes invalid. */
void gcmon_session_close(gcmon_session *s);

/* Hand received bytes to the session. Returns how many were consumed: fewer
 * than len when the output buffer is too full to answer another request;
 * feed the rest after gcmon_session_output_done has made room. */
size_t gcmon_session_feed(gcmon_session *s, const uint8_t *data, size_t len);

/* Bytes ready to send, contiguous at *data (valid until output_done or
 * close). Encodes pending subscription events first when there is room.
 * Returns 0 when there is nothing to send. */
size_t gcmon_session_output(gcmon_session *s, const uint8_t **data);

/* n bytes from the last gcmon_session_output were written. */
void gcmon_session_output_done(gcmon_session *s, size_t n);

/* True when the agent wants this session closed (no hello within
 * GCMON_HELLO_TIMEOUT_MS); the transport ends the connection. */
bool gcmon_session_should_close(const gcmon_session *s);

/* True when feed() stopped early and there is now room to feed again. */
bool gcmon_session_can_feed(const gcmon_session *s);

/* Framing counters of what this session received. */
const gcmon_frame_stats *gcmon_session_link_stats(const gcmon_session *s);

void *gcmon_session_data(const gcmon_session *s);

#endif
