/* The exporter's libuv side: one gcmon_client (event-loop mode, reconnect
 * on) and one subscription per cache entry, all on the main thread's loop.
 *
 * A client that reaches READY asks for an on-demand reading at once (so a
 * first scrape need not wait for the sampler's next tick) and subscribes;
 * every sample, state change and, once a second, the link counters are
 * published into the cache. libgcmon retries lost links by itself, but not
 * a first connection that fails: here a tick restarts such clients with a
 * doubling delay (1 s to 16 s), since boards come and go. The same tick
 * drops /probe targets nobody scraped for --idle-expiry. New /probe
 * targets arrive through a uv_async_t that HTTP threads signal. */
#define _POSIX_C_SOURCE 200809L
#include "export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define TICK_MS      1000
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 16000
#define CLAIM_BATCH  64

typedef struct link link;

struct export_links {
  uv_loop_t *loop;
  export_cache *cache;
  export_links_options o;
  uv_async_t wake;
  uv_timer_t tick;
  link *head;
  bool closing;
  int open_handles;
};

struct link {
  export_links *owner;
  export_entry *entry;
  gcmon_client *c;
  gcmon_subscription *sub;
  bool series_seen;  /* this session delivered a series sample */
  bool resubscribe;  /* the subscription failed: redo it on the tick */
  bool down_logged;  /* the outage was logged: log the recovery */
  uint64_t retry_at; /* FAILED: when to start again */
  unsigned retry_ms;
  uint64_t alarms_listed_ms; /* last list_alarms sent; 0 = none yet */
  link *next;
};

/* Alarm rules are listed at each subscription, at each alarm event, and
 * every RELIST_MS, so rules others add or remove show up. */
#define RELIST_MS 10000u

static void on_alarms(gcmon_client *c, const gcmon_reply *reply, void *data) {
  link *k = data;
  export_update u;
  (void)c;
  if (reply->err != 0)
    return; /* an older daemon, or the link went: nothing to show */
  memset(&u, 0, sizeof u);
  u.alarms = &reply->u.alarms;
  export_cache_update(k->owner->cache, k->entry, &u);
}

static void list_alarms(link *k, bool now) {
  gcmon_request req = {.call = GCMON_CALL_LIST_ALARMS};
  uint64_t t = export_now_ms();
  if (!now && k->alarms_listed_ms && t - k->alarms_listed_ms < RELIST_MS)
    return;
  k->alarms_listed_ms = t;
  (void)gcmon_call_async(k->c, &req, 0, on_alarms, k);
}

/* One stream per board with everything 1.1 can add to it. */
static int subscribe(link *k, gcmon_event_cb cb) {
  gcmon_subscribe_options o = {.interval_ms = k->owner->o.interval_ms,
                               .watermarks = true,
                               .collections = true,
                               .alarms = true};
  return gcmon_subscribe_ex_async(k->c, &o, cb, k, &k->sub);
}

static void publish_link(link *k, const char *error) {
  gcmon_link_stats ls;
  export_update u;
  memset(&u, 0, sizeof u);
  gcmon_client_link_stats(k->c, &ls);
  u.link = &ls;
  u.error = error;
  export_cache_update(k->owner->cache, k->entry, &u);
}

static void on_first_reading(gcmon_client *c, const gcmon_reply *reply,
                             void *data) {
  link *k = data;
  export_update u;
  (void)c;
  if (reply->err != 0 || k->series_seen)
    return; /* the subscription's samples will do */
  memset(&u, 0, sizeof u);
  u.sample = &reply->u.sample;
  export_cache_update(k->owner->cache, k->entry, &u);
}

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  link *k = data;
  export_update u;
  gcmon_link_stats ls;
  char why[EXPORT_ERROR_MAX];
  (void)s;

  memset(&u, 0, sizeof u);
  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    k->series_seen = true;
    gcmon_client_link_stats(k->c, &ls);
    u.sample = ev->sample;
    u.watermarks = ev->watermarks;
    u.link = &ls;
    list_alarms(k, false);
    break;
  case GCMON_EVENT_SUBSCRIBED:
    u.interval_ms = &ev->subscribed.interval_ms;
    u.error = ""; /* a failed subscription before this one is over */
    list_alarms(k, true);
    break;
  case GCMON_EVENT_ERROR:
    snprintf(why, sizeof why, "subscribe: %s%s%s", gcmon_strerror(ev->err),
             ev->status && ev->status->message[0] ? ": " : "",
             ev->status ? ev->status->message : "");
    u.error = why;
    k->resubscribe = true;
    break;
  case GCMON_EVENT_COLLECTION:
    u.collection = ev->collection;
    break;
  case GCMON_EVENT_ALARM:
    u.alarm = ev->alarm;
    list_alarms(k, true);
    break;
  case GCMON_EVENT_GAP:
  case GCMON_EVENT_RESTART:
  case GCMON_EVENT_LINK_DOWN:
    return;
  }
  export_cache_update(k->owner->cache, k->entry, &u);
}

/* One line on stderr per change a person would want in a log: a board
 * reached, lost, given up on for now, or dropped for idleness. Retries of
 * a board that stays down are not logged again. */
static void log_line(const link *k, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void log_line(const link *k, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "gcmon: %s: ", export_entry_target(k->entry));
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void on_ready(link *k) {
  export_links *l = k->owner;
  gcmon_request req = {.call = GCMON_CALL_GET_SAMPLE};
  bool up = true, failed = false;
  export_update u;
  const gcmon_info *info = gcmon_client_info(k->c);
  char who[2 * GCMON_STRING_MAX + 16];

  k->series_seen = false;
  k->retry_ms = RETRY_MIN_MS;
  snprintf(who, sizeof who, "%s, device %s", info->daemon, info->device_id);
  log_line(k, "%s (%s)", k->down_logged ? "back" : "connected", who);
  k->down_logged = false;
  memset(&u, 0, sizeof u);
  u.link_up = &up;
  u.failed = &failed;
  u.info = info;
  u.error = "";
  export_cache_update(l->cache, k->entry, &u);
  (void)gcmon_call_async(k->c, &req, 0, on_first_reading, k);
  if (!k->sub && subscribe(k, on_event) != 0)
    k->resubscribe = true;
}

static void on_state(gcmon_client *c, gcmon_state st, int err, void *data) {
  link *k = data;
  export_links *l = k->owner;
  bool up = false, failed = true;
  char why[EXPORT_ERROR_MAX];
  export_update u;

  if (l->closing)
    return;
  snprintf(why, sizeof why, "%s",
           gcmon_client_errmsg(c)[0] ? gcmon_client_errmsg(c)
                                     : gcmon_strerror(err));
  memset(&u, 0, sizeof u);
  switch (st) {
  case GCMON_STATE_READY:
    on_ready(k);
    return;
  case GCMON_STATE_BACKOFF: /* libgcmon reconnects by itself */
    if (!k->down_logged)
      log_line(k, "link lost (%s); reconnecting", why);
    k->down_logged = true;
    u.link_up = &up;
    u.error = why;
    break;
  case GCMON_STATE_FAILED: /* a first connection: retried on the tick */
    if (!k->down_logged)
      log_line(k, "cannot reach it (%s); retrying", why);
    k->down_logged = true;
    k->retry_at = uv_now(l->loop) + k->retry_ms;
    k->retry_ms =
        k->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : k->retry_ms * 2;
    u.link_up = &up;
    u.failed = &failed;
    u.error = why;
    break;
  case GCMON_STATE_CONNECTING:
  case GCMON_STATE_IDLE:
    return;
  }
  export_cache_update(l->cache, k->entry, &u);
}

static void open_link(export_links *l, export_entry *e) {
  gcmon_client_options o;
  link *k = calloc(1, sizeof *k);
  bool failed = true, up = false;
  export_update u;
  int err;

  memset(&o, 0, sizeof o);
  o.client_name = l->o.client_name;
  o.timeout_ms = l->o.timeout_ms;
  o.reconnect = true;
  o.on_state = on_state;
  o.data = k;
  err = k ? gcmon_client_init(&k->c, l->loop, export_entry_target(e), &o)
          : GCMON_ENOMEM;
  if (err != 0) {
    memset(&u, 0, sizeof u);
    u.failed = &failed;
    u.link_up = &up;
    u.error = gcmon_strerror(err);
    export_cache_update(l->cache, e, &u);
    free(k); /* the entry stays, failed, and expires like any other */
    return;
  }
  k->owner = l;
  k->entry = e;
  k->retry_ms = RETRY_MIN_MS;
  k->next = l->head;
  l->head = k;
  gcmon_client_start(k->c);
}

static void claim_new(export_links *l) {
  export_entry *batch[CLAIM_BATCH];
  size_t n;
  while ((n = export_cache_claim_new(l->cache, batch, CLAIM_BATCH)) > 0)
    for (size_t i = 0; i < n; i++)
      open_link(l, batch[i]);
}

static void on_wake(uv_async_t *a) {
  export_links *l = a->data;
  if (!l->closing)
    claim_new(l);
}

static void close_link(link *k) {
  gcmon_client_close(k->c); /* frees its subscription, from the loop */
  free(k);
}

static void on_tick(uv_timer_t *t) {
  export_links *l = t->data;
  uint64_t now = uv_now(l->loop), mono = export_now_ms();
  link **p = &l->head;

  while (*p) {
    link *k = *p;
    if (export_cache_expire(l->cache, k->entry, mono, l->o.idle_ms)) {
      export_entry *e = k->entry;
      log_line(k, "%s", "not scraped lately; session closed");
      *p = k->next;
      close_link(k);
      export_entry_free(e);
      continue;
    }
    if (gcmon_client_state(k->c) == GCMON_STATE_FAILED && now >= k->retry_at)
      gcmon_client_start(k->c);
    if (k->resubscribe && gcmon_client_state(k->c) == GCMON_STATE_READY) {
      k->resubscribe = false;
      if (k->sub)
        gcmon_unsubscribe_async(k->sub);
      k->sub = NULL;
      if (subscribe(k, on_event) != 0)
        k->resubscribe = true;
    }
    publish_link(k, NULL);
    p = &k->next;
  }
}

int export_links_init(export_links **out, uv_loop_t *loop, export_cache *cache,
                      const export_links_options *o) {
  export_links *l = calloc(1, sizeof *l);
  *out = NULL;
  if (!l)
    return GCMON_ENOMEM;
  l->loop = loop;
  l->cache = cache;
  l->o = *o;
  if (uv_async_init(loop, &l->wake, on_wake) != 0) {
    free(l);
    return GCMON_ENOMEM;
  }
  l->wake.data = l;
  uv_timer_init(loop, &l->tick);
  l->tick.data = l;
  l->open_handles = 2;
  *out = l;
  return 0;
}

void export_links_start(export_links *l) {
  claim_new(l);
  uv_timer_start(&l->tick, on_tick, TICK_MS, TICK_MS);
}

void export_links_wake(void *links) {
  export_links *l = links;
  uv_async_send(&l->wake);
}

static void on_closed(uv_handle_t *h) {
  export_links *l = h->data;
  if (--l->open_handles == 0)
    free(l);
}

void export_links_close(export_links *l) {
  link *k = l->head;
  l->closing = true;
  while (k) {
    link *next = k->next;
    close_link(k);
    k = next;
  }
  l->head = NULL;
  uv_close((uv_handle_t *)&l->wake, on_closed);
  uv_close((uv_handle_t *)&l->tick, on_closed);
}
