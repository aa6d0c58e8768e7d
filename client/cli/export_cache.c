/* The exporter's shared state: one entry per target, holding the latest
 * sample, hello and link counters the loop received, behind one mutex.
 *
 * HTTP threads find or create entries and copy snapshots out; the loop
 * thread (export_links.c) claims new entries, publishes updates and
 * removes idle ones. Only the loop frees an entry, and only once it is
 * unlinked and no scrape is waiting on it, so a pointer held under the
 * lock (or while counted in waiters) is always valid. A condition variable
 * on the monotonic clock lets the first scrape of a new target wait,
 * bounded, for its first sample. Lookups are linear: a few hundred targets
 * at most (--max-targets), each found with one strcmp per entry. */
#define _POSIX_C_SOURCE 200809L
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct export_entry {
  char *key; /* what finds it: the resolved address of a tcp:// target */
  char *target;
  bool listed;
  bool claimed; /* the loop has a connection for it */
  int waiters;  /* scrapes waiting for its first sample */
  uint64_t created_ms, last_scrape_ms;

  bool link_up, failed;
  bool have_info;
  gcmon_info info;
  bool have_sample;
  gcmon_sample sample;
  uint64_t sample_ms; /* when it arrived */
  uint32_t interval_ms;
  gcmon_link_stats link;
  char error[EXPORT_ERROR_MAX];
  export_insight insight;

  export_entry *next;
};

uint64_t export_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int export_cache_init(export_cache *c, size_t max_probed,
                      void (*wake)(void *data), void *wake_data) {
  pthread_condattr_t attr;

  memset(c, 0, sizeof *c);
  c->max_probed = max_probed;
  c->wake = wake;
  c->wake_data = wake_data;
  if (pthread_mutex_init(&c->mu, NULL) != 0)
    return GCMON_ENOMEM;
  if (pthread_condattr_init(&attr) != 0 ||
      pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
      pthread_cond_init(&c->changed, &attr) != 0) {
    pthread_mutex_destroy(&c->mu);
    return GCMON_ENOMEM;
  }
  pthread_condattr_destroy(&attr);
  return 0;
}

void export_entry_free(export_entry *e) {
  if (!e)
    return;
  free(e->key);
  free(e->target);
  free(e);
}

void export_cache_close(export_cache *c) {
  export_entry *e = c->head;
  while (e) {
    export_entry *next = e->next;
    export_entry_free(e);
    e = next;
  }
  c->head = NULL;
  pthread_cond_destroy(&c->changed);
  pthread_mutex_destroy(&c->mu);
}

void export_cache_stop(export_cache *c) {
  pthread_mutex_lock(&c->mu);
  c->stopping = true;
  pthread_cond_broadcast(&c->changed);
  pthread_mutex_unlock(&c->mu);
}

const char *export_entry_target(const export_entry *e) {
  return e->target;
}

/* Callers hold the lock. */
static export_entry *find(export_cache *c, const char *key) {
  for (export_entry *e = c->head; e; e = e->next)
    if (strcmp(e->key, key) == 0)
      return e;
  return NULL;
}

static export_entry *entry_new(export_cache *c, const char *key,
                               const char *target, bool listed) {
  export_entry *e = calloc(1, sizeof *e);
  export_entry **tail = &c->head;

  if (!e || !(e->target = strdup(target)) || !(e->key = strdup(key))) {
    if (e)
      free(e->target);
    free(e);
    return NULL;
  }
  e->listed = listed;
  e->created_ms = e->last_scrape_ms = export_now_ms();
  while (*tail) /* in order of arrival: /metrics lists -t targets as given */
    tail = &(*tail)->next;
  *tail = e;
  if (listed)
    c->listed++;
  else
    c->probed++;
  return e;
}

export_entry *export_cache_add_listed(export_cache *c, const char *key,
                                      const char *target) {
  export_entry *e;
  pthread_mutex_lock(&c->mu);
  e = find(c, key);
  if (!e)
    e = entry_new(c, key, target, true);
  pthread_mutex_unlock(&c->mu);
  return e;
}

/* Lock held. */
static void fill(const export_entry *e, uint64_t now, export_snapshot *out) {
  uint32_t every = e->interval_ms ? e->interval_ms
                   : e->have_info ? e->info.min_interval_ms
                                  : 0;
  uint64_t stale_ms =
      (uint64_t)(every ? every : 1000) * EXPORT_STALE_INTERVALS +
      EXPORT_STALE_SLACK_MS;
  uint64_t age = e->have_sample && now > e->sample_ms ? now - e->sample_ms : 0;

  memset(out, 0, sizeof *out);
  snprintf(out->target, sizeof out->target, "%s", e->target);
  out->link_up = e->link_up;
  out->have_info = e->have_info;
  out->info = e->info;
  out->have_sample = e->have_sample;
  out->sample = e->sample;
  out->sample_age_s = (double)age / 1000.0;
  out->interval_ms = every;
  out->link = e->link;
  out->insight = e->insight;
  out->probe_duration_s = -1;
  out->ok = e->link_up && e->have_sample && age <= stale_ms;
  if (out->ok)
    return;
  if (e->error[0])
    snprintf(out->error, sizeof out->error, "%s", e->error);
  else if (e->link_up && e->have_sample)
    snprintf(out->error, sizeof out->error,
             "no sample for %.1f s (stale after %.1f s)", (double)age / 1000.0,
             (double)stale_ms / 1000.0);
  else if (!e->claimed || (!e->link_up && !e->failed))
    snprintf(out->error, sizeof out->error, "connecting");
  else
    snprintf(out->error, sizeof out->error, "no sample yet");
}

export_probe_result export_cache_probe(export_cache *c, const char *key,
                                       const char *target, bool allow_new,
                                       unsigned wait_ms, export_snapshot *out) {
  export_entry *e;
  uint64_t now = export_now_ms();
  struct timespec deadline;
  bool created = false;

  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += (time_t)(wait_ms / 1000u);
  deadline.tv_nsec += (long)(wait_ms % 1000u) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }

  pthread_mutex_lock(&c->mu);
  e = find(c, key);
  if (!e && !allow_new) {
    pthread_mutex_unlock(&c->mu);
    return EXPORT_PROBE_DENIED;
  }
  if (!e) {
    if (c->probed >= c->max_probed) {
      c->rejected++;
      pthread_mutex_unlock(&c->mu);
      return EXPORT_PROBE_FULL;
    }
    e = entry_new(c, key, target, false);
    if (!e) {
      pthread_mutex_unlock(&c->mu);
      return EXPORT_PROBE_NOMEM;
    }
    created = true;
  }
  e->last_scrape_ms = now;
  if (created && c->wake)
    c->wake(c->wake_data); /* thread-safe (uv_async_send) */
  e->waiters++;
  while (!e->have_sample && !e->failed && !c->stopping) {
    if (pthread_cond_timedwait(&c->changed, &c->mu, &deadline) != 0)
      break; /* timed out */
  }
  e->waiters--;
  fill(e, export_now_ms(), out);
  pthread_mutex_unlock(&c->mu);
  return EXPORT_PROBE_OK;
}

long export_cache_listed(export_cache *c, export_snapshot **out,
                         export_self *self) {
  long n = 0;
  uint64_t now = export_now_ms();

  pthread_mutex_lock(&c->mu);
  *out = calloc(c->listed ? c->listed : 1, sizeof **out);
  if (!*out) {
    pthread_mutex_unlock(&c->mu);
    return -1;
  }
  for (export_entry *e = c->head; e; e = e->next)
    if (e->listed)
      fill(e, now, &(*out)[n++]);
  self->listed = c->listed;
  self->probed = c->probed;
  self->probe_limit = c->max_probed;
  self->rejected = c->rejected;
  pthread_mutex_unlock(&c->mu);
  return n;
}

size_t export_cache_claim_new(export_cache *c, export_entry **out, size_t max) {
  size_t n = 0;
  pthread_mutex_lock(&c->mu);
  for (export_entry *e = c->head; e && n < max; e = e->next)
    if (!e->claimed) {
      e->claimed = true;
      out[n++] = e;
    }
  pthread_mutex_unlock(&c->mu);
  return n;
}

bool export_cache_expire(export_cache *c, export_entry *e, uint64_t now_ms,
                         uint64_t idle_ms) {
  bool gone = false;
  pthread_mutex_lock(&c->mu);
  if (!e->listed && e->waiters == 0 && now_ms - e->last_scrape_ms >= idle_ms) {
    export_entry **p = &c->head;
    while (*p && *p != e)
      p = &(*p)->next;
    if (*p) {
      *p = e->next;
      c->probed--;
      gone = true;
    }
  }
  pthread_mutex_unlock(&c->mu);
  return gone;
}

void export_cache_update(export_cache *c, export_entry *e,
                         const export_update *u) {
  pthread_mutex_lock(&c->mu);
  if (u->link_up)
    e->link_up = *u->link_up;
  if (u->failed)
    e->failed = *u->failed;
  if (u->info) {
    e->info = *u->info;
    e->have_info = true;
  }
  if (u->sample) {
    e->sample = *u->sample;
    e->have_sample = true;
    e->sample_ms = export_now_ms();
  }
  if (u->interval_ms)
    e->interval_ms = *u->interval_ms;
  if (u->link)
    e->link = *u->link;
  if (u->error)
    snprintf(e->error, sizeof e->error, "%s", u->error);
  export_insight_apply(&e->insight, u);
  pthread_cond_broadcast(&c->changed);
  pthread_mutex_unlock(&c->mu);
}
