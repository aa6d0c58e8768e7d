/* gcmon export: a Prometheus exporter. The seams between its files:
 *
 *   cmd_export.c     the command: options, wiring, signals, shutdown
 *   export_http.c    the HTTP side (libmicrohttpd, its own threads):
 *                    /metrics, /probe?target=URI, answers from the cache
 *   export_cache.c   the only shared state: one mutex-protected entry per
 *                    target with its latest sample, hello, link counters
 *   export_links.c   the libuv side (the main thread): one gcmon_client and
 *                    subscription per entry, retries, idle expiry
 *   export_render.c  the exposition: a pure function from snapshots to text
 *   export_insight.c memory insight kept per target: watermarks, alarm
 *                    states, the collection pause histogram
 *   export_address.c where a tcp:// target really points (the cache key,
 *                    one entry and so one session per board) and the
 *                    --probe-allow networks
 *
 * The two sides never call each other: HTTP threads read and create cache
 * entries and wake the loop through a callback (a uv_async_t); the loop
 * writes samples into the cache. A scrape therefore never waits for a
 * board, except for the first sample of a target it has just named. */
#ifndef GCMON_CLI_EXPORT_H
#define GCMON_CLI_EXPORT_H

#include "gcmon/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define EXPORT_TARGET_MAX 256 /* bytes of a target URI */
#define EXPORT_ERROR_MAX  256 /* one line saying why a probe failed */

/* A sample is stale, and the probe fails, once it is older than this many
 * intervals (plus a second of slack for the link and the scheduler). */
#define EXPORT_STALE_INTERVALS 3
#define EXPORT_STALE_SLACK_MS  1000

/* ---- memory insight per target (export_insight.c) ---------------------- */

/* Upper bounds of the collection pause histogram, in microseconds. */
#define EXPORT_PAUSE_BOUNDS_US                                                 \
  { 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000 }
#define EXPORT_PAUSE_BUCKETS 9

typedef struct export_insight {
  bool have_watermarks;
  gcmon_watermarks watermarks; /* over the latest sample's interval */
  bool have_alarms;
  gcmon_alarm_list alarms; /* the board's rules and which are raised */
  uint64_t pause_count;    /* collections with a known pause */
  uint64_t pause_sum_us;
  uint64_t pause_le[EXPORT_PAUSE_BUCKETS]; /* cumulative counts */
} export_insight;

/* Fold what one update brings (see export_update) into ins. */
struct export_update;
void export_insight_apply(export_insight *ins, const struct export_update *u);
/* ---- addresses (export_address.c) -------------------------------------- */

/* The networks /probe may reach (--probe-allow); off: anywhere. */
typedef struct export_allow {
  bool on;
  size_t n;
  struct export_net *nets;
} export_allow;

/* "HOST,ADDR,ADDR/BITS,..." (hosts resolved now). 0, or -1 with msg. */
int export_allow_parse(export_allow *a, const char *spec, char *msg,
                       size_t msglen);
bool export_allow_match(const export_allow *a,
                        const struct sockaddr_storage *addr);
void export_allow_free(export_allow *a);

/* Resolve a tcp:// target: its address, and the canonical target naming
 * it, "tcp://ADDR:PORT" ("tcp://[V6]:PORT"), as the cache key. 0, or -1
 * when the target is not tcp:// or its host does not resolve. */
int export_resolve_tcp(const char *target, char *key, size_t keylen,
                       struct sockaddr_storage *addr);

/* ---- snapshots and the exposition (export_render.c) -------------------- */

/* Everything known about one target at one instant: a copy, owned by
 * whoever holds it. */
typedef struct export_snapshot {
  char target[EXPORT_TARGET_MAX + 1];
  bool ok;      /* gcmon_probe_success: session up, sample fresh */
  bool link_up; /* a session is open */
  bool have_info;
  gcmon_info info; /* the last hello */
  bool have_sample;
  gcmon_sample sample;          /* the latest sample */
  double sample_age_s;          /* since the exporter received it */
  uint32_t interval_ms;         /* between samples, as granted; 0 = unknown */
  gcmon_link_stats link;        /* cumulative over the target's life here */
  char error[EXPORT_ERROR_MAX]; /* why not ok; "" when ok */
  double probe_duration_s;      /* < 0: not a probe */
  export_insight insight;       /* 1.1 memory insight */
} export_snapshot;

/* The exporter's own figures, on /metrics. */
typedef struct export_self {
  size_t listed;      /* -t targets */
  size_t probed;      /* cached /probe targets */
  size_t probe_limit; /* --max-targets */
  uint64_t rejected;  /* probes refused over the limit */
} export_self;

/* A growing text buffer. After an allocation failure it stops growing and
 * says so (oom); it never writes past what it owns. */
typedef struct export_text {
  char *buf;
  size_t len, cap;
  bool oom;
} export_text;

void export_text_init(export_text *t);
void export_text_free(export_text *t);
void export_text_printf(export_text *t, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void export_text_put(export_text *t, const char *s, size_t n);

/* Render flags. */
enum {
  EXPORT_RENDER_TARGET_LABEL = 1 << 0, /* target="URI" on every series */
};

/* Append the exposition of n snapshots to out: for each metric family its
 * HELP and TYPE lines once, then its series for every snapshot in order.
 * Families with no series are left out. Pure: no clock, no I/O. */
void export_render(export_text *out, const export_snapshot *snaps, size_t n,
                   unsigned flags);
/* Append the exporter's own metrics. */
void export_render_self(export_text *out, const export_self *self);
/* Append v as a label value: backslash, double quote and newline escaped,
 * bytes that are not UTF-8 replaced by U+FFFD. */
void export_render_label_value(export_text *out, const char *v);

/* ---- the cache (export_cache.c) ---------------------------------------- */

typedef struct export_entry export_entry;

typedef struct export_cache {
  pthread_mutex_t mu;
  pthread_cond_t changed; /* broadcast on every update (CLOCK_MONOTONIC) */
  export_entry *head;
  size_t listed, probed;
  size_t max_probed;
  uint64_t rejected;
  bool stopping;
  void (*wake)(void *data); /* a new entry wants a connection */
  void *wake_data;
} export_cache;

int export_cache_init(export_cache *c, size_t max_probed,
                      void (*wake)(void *data), void *wake_data);
/* Frees every entry; no other thread may use the cache any more. */
void export_cache_close(export_cache *c);
/* Wake every waiting scrape and make new waits return at once. */
void export_cache_stop(export_cache *c);

/* Milliseconds on the monotonic clock. */
uint64_t export_now_ms(void);

/* HTTP side. */
typedef enum export_probe_result {
  EXPORT_PROBE_OK = 0,
  EXPORT_PROBE_FULL,   /* a new target, but --max-targets are cached */
  EXPORT_PROBE_DENIED, /* a new target, and allow_new was false */
  EXPORT_PROBE_NOMEM
} export_probe_result;

/* Find the entry for key, or create one connecting to target (only when
 * allow_new), wait up to wait_ms for its first sample, and copy it into
 * *out. One entry per key: every spelling of a board shares it. */
export_probe_result export_cache_probe(export_cache *c, const char *key,
                                       const char *target, bool allow_new,
                                       unsigned wait_ms, export_snapshot *out);
/* Snapshots of the listed targets, in the order given; *out is malloc'ed
 * (free it). Returns the count, or -1 without memory. */
long export_cache_listed(export_cache *c, export_snapshot **out,
                         export_self *self);

/* Loop side. */
/* A -t target (never expires), found by key (export_resolve_tcp). Returns
 * NULL without memory. */
export_entry *export_cache_add_listed(export_cache *c, const char *key,
                                      const char *target);
/* Entries nobody has opened a connection for yet, marked as claimed; up
 * to max of them into out. */
size_t export_cache_claim_new(export_cache *c, export_entry **out, size_t max);
/* Remove e if it is a probe entry nobody scraped for idle_ms and nobody is
 * waiting on; true when removed (the caller then frees it). */
bool export_cache_expire(export_cache *c, export_entry *e, uint64_t now_ms,
                         uint64_t idle_ms);
void export_entry_free(export_entry *e);
const char *export_entry_target(const export_entry *e);

/* What the loop knows about a target, published into its entry. NULL
 * pointers leave that part unchanged. */
typedef struct export_update {
  /* 1.1 memory insight (export_insight.c) */
  const gcmon_watermarks *watermarks; /* with sample; NULL: none came */
  const gcmon_collection *collection;
  const gcmon_alarm_list *alarms;
  const gcmon_alarm_event *alarm;
  const bool *link_up;
  const bool *failed; /* the last connection attempt failed */
  const gcmon_info *info;
  const gcmon_sample *sample;
  const uint32_t *interval_ms;
  const gcmon_link_stats *link;
  const char *error; /* "" clears */
} export_update;

void export_cache_update(export_cache *c, export_entry *e,
                         const export_update *u);

/* ---- the loop side (export_links.c) ------------------------------------ */

typedef struct export_links export_links;

typedef struct export_links_options {
  unsigned interval_ms; /* subscription interval; 0 = every sample */
  unsigned timeout_ms;  /* connect and call timeout */
  uint64_t idle_ms;     /* probe targets expire after this */
  const char *client_name;
} export_links_options;

/* Attach to loop; the cache's wake callback must be export_links_wake. */
int export_links_init(export_links **out, struct uv_loop_s *loop,
                      export_cache *cache, const export_links_options *o);
/* Open connections for the listed entries (and anything claimed later). */
void export_links_start(export_links *l);
/* Thread-safe: ask the loop to open new entries. */
void export_links_wake(void *links);
/* Close every client and handle; memory is released from the loop. */
void export_links_close(export_links *l);

/* ---- HTTP (export_http.c) ---------------------------------------------- */

typedef struct export_http export_http;

/* Listen on addr ("HOST:PORT", "[V6]:PORT"; port 0 picks one) and serve
 * from cache; /probe reaches only what allow (borrowed) lets it. On
 * failure writes why into msg. */
int export_http_start(export_http **out, const char *addr, export_cache *cache,
                      const export_allow *allow, char *msg, size_t msglen);
/* The address actually bound, as "HOST:PORT". */
const char *export_http_address(const export_http *h);
/* Stop serving and wait for the HTTP threads; frees h. */
void export_http_stop(export_http *h);

#endif
