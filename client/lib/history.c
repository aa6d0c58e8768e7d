/* History download: a History carries only a few samples (one frame), so
 * reading a whole ring one request at a time would cost one round trip per
 * handful of samples - seconds over a UART. Instead several get_history
 * requests with consecutive from_seq values are kept in flight.
 *
 * Answers come in order and are processed in order against `want`, the
 * next seq owed to the caller:
 *   - samples below want are duplicates and skipped; a sample above want
 *     means the ring evicted the seqs between (a GAP) - unless the ring
 *     still holds want, in which case our guess of samples-per-answer was
 *     wrong, and the pipeline restarts at want (older answers are stale);
 *   - an empty answer for a request at or below want means caught up.
 * A get_sample sent first gives the device's current uptime; with the
 * first sample's seq and uptime and the sampler period that estimates the
 * newest seq, which drives progress and bounds the download when sampling
 * is faster than the link.
 *
 * When the daemon granted the compact stream, answers carry one
 * self-contained SampleBatch (a keyframe, then deltas) instead of four
 * full samples: tens of samples per frame. The first answer (as many as
 * fit) sets the step; later requests ask for max_count = half of it, so
 * that nearly every answer holds exactly what the pipeline assumed even
 * when later samples change more (and encode longer) than the first.
 *
 * Where the download starts. Asked for everything retained (from_seq 0), a
 * full ring evicts from the very end the download starts at: by the time
 * the pipelined requests after the first answer are served, the first few
 * seqs past it may be gone, which is no loss the user should see - the
 * download merely could not start that early. So the first window of
 * samples (START_HOLD answers) is held back: if the ring overtakes it, the
 * download starts again at the oldest seq still there, silently. Once the
 * hold is full (or the download ends), it is delivered and from then on
 * every seq the ring evicts before we reach it is a gap, reported. A
 * download from an explicit from_seq reports a gap from that seq on, as
 * the caller asked for it. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "calls.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW 8
#define START_HOLD     8 /* answers held back while the start settles */

typedef struct fetch {
  gcmon_client *c;
  gcmon_history_options o;
  unsigned timeout_ms;
  void (*on_done)(void *data, int err);
  uint64_t want;     /* next seq owed; 0 = the first retained */
  uint64_t next_req; /* from_seq of the next request */
  uint64_t step;     /* samples per answer, learned from the first */
  uint64_t delivered;
  uint64_t until; /* stop past this seq (estimate of the newest + 1) */
  uint64_t total; /* estimated samples to deliver */
  uint64_t now_uptime_us;
  bool have_now;
  bool learned;
  bool compact;  /* answers are SampleBatches */
  bool estimated;
  bool stop;
  /* The start hold (from_seq 0 only): samples not yet delivered. */
  gcmon_sample *held;
  size_t nheld, held_cap; /* held_cap 0: not holding */
  unsigned inflight;
  unsigned gen;
  int err;
} fetch;

typedef struct {
  fetch *f;
  uint64_t from;
  unsigned gen;
} tag;

static void pump(fetch *f);

/* Hand the held start over to the caller; no more holding. */
static void release_hold(fetch *f) {
  for (size_t i = 0; i < f->nheld; i++)
    f->o.on_sample(f->o.data, &f->held[i]);
  free(f->held);
  f->held = NULL;
  f->nheld = f->held_cap = 0;
}

static void finish_if_idle(fetch *f) {
  if (!f->stop || f->inflight > 0)
    return;
  release_hold(f);
  if (f->on_done)
    f->on_done(f->o.data, f->err);
  free(f);
}

static void gap(fetch *f, uint64_t first, uint64_t last) {
  f->c->seq_gaps++;
  f->c->seq_missing += last - first + 1;
  if (f->o.on_gap)
    f->o.on_gap(f->o.data, first, last);
}

static void estimate(fetch *f, const gcmon_sample *first) {
  uint64_t period_us = (uint64_t)f->c->info.min_interval_ms * 1000u;
  uint64_t newest;

  if (!f->have_now || period_us == 0 || f->now_uptime_us < first->uptime_us)
    return;
  newest = first->seq + (f->now_uptime_us - first->uptime_us) / period_us;
  f->until = newest + 1;
  f->total = f->until - first->seq + 1;
  if (f->o.max_samples && f->total > f->o.max_samples)
    f->total = f->o.max_samples;
}

static void take(fetch *f, const gcmon_sample *s) {
  if (f->want && s->seq < f->want)
    return;
  if (f->held_cap && f->want && s->seq > f->want) {
    f->delivered -= f->nheld; /* the ring overtook the start: begin here */
    f->nheld = 0;
  } else if (f->want && s->seq > f->want) {
    gap(f, f->want, s->seq - 1);
  }
  f->want = s->seq + 1;
  f->delivered++;
  if (f->held_cap) {
    f->held[f->nheld++] = *s;
    if (f->nheld == f->held_cap)
      release_hold(f);
  } else {
    f->o.on_sample(f->o.data, s);
  }
  if ((f->o.max_samples && f->delivered >= f->o.max_samples) ||
      (f->until && s->seq >= f->until))
    f->stop = true;
}

static void take_compact(void *data, const gcmon_sample *s) {
  fetch *f = data;
  if (!f->estimated) {
    f->estimated = true;
    estimate(f, s);
  }
  if (!f->stop)
    take(f, s);
}

static void process(fetch *f, const tag *t, const gcmon_history *h,
                    const gcmon__incoming *in) {
  size_t count = in ? in->batch_count : h->count;
  if (!f->learned) {
    f->learned = true;
    f->step = count ? count : 1;
    if (in && f->step > 1)
      f->step /= 2; /* samples vary in size: leave room */
    f->next_req = h->next_seq;
    if (h->count && !in) {
      f->estimated = true;
      estimate(f, &h->samples[0]);
    }
    if (f->o.from_seq == 0 && count > 0) {
      f->held = calloc(START_HOLD * f->step, sizeof *f->held);
      f->held_cap = f->held ? START_HOLD * f->step : 0; /* else: no hold */
    }
  } else if (f->want && t->from > f->want && h->oldest_seq <= f->want) {
    f->gen++; /* a hole between requests: restart the pipeline at want */
    f->next_req = f->want;
    return;
  }
  if (count == 0) {
    if (f->want && h->oldest_seq > f->want && h->next_seq > f->want)
      gap(f, f->want, h->oldest_seq - 1);
    f->stop = true; /* caught up */
    return;
  }
  if (in) {
    gcmon_compact_decoder dec; /* each answer stands alone */
    gcmon_compact_decoder_init(&dec);
    if (gcmon_compact_decode(&dec, in->batch_first_seq, in->batch_count,
                             in->batch, in->batch_len, take_compact, f) < 0) {
      f->err = GCMON_EPROTO;
      f->stop = true;
    }
  }
  for (size_t i = 0; !in && i < h->count && !f->stop; i++)
    take(f, &h->samples[i]);
  if (h->oldest_seq > f->next_req)
    f->next_req = h->oldest_seq; /* the ring is lapping us */
}

static void on_history(gcmon_client *c, const gcmon_reply *r, void *data) {
  tag *t = data;
  fetch *f = t->f;

  f->inflight--;
  if (!f->stop && t->gen == f->gen) {
    if (r->err != 0) {
      f->err = r->err;
      f->stop = true;
    } else {
      /* A compact answer's batch is still in the decode scratch. */
      const gcmon__incoming *in = &c->conn.in;
      process(f, t, &r->u.history,
              f->compact && in->result == GCMON__RESULT_HISTORY &&
                      in->has_batch
                  ? in
                  : NULL);
      if (f->o.on_progress)
        f->o.on_progress(f->o.data, f->delivered, f->total);
    }
  }
  free(t);
  pump(f);
  finish_if_idle(f);
}

static int request(fetch *f, uint64_t from) {
  gcmon_request req = {.call = GCMON_CALL_GET_HISTORY};
  tag *t = malloc(sizeof *t);
  int err;

  if (!t)
    return GCMON_ENOMEM;
  t->f = f;
  t->from = from;
  t->gen = f->gen;
  req.u.history.from_seq = from;
  if (f->compact && f->learned)
    req.u.history.max_count = (uint32_t)f->step;
  err = gcmon__call_async(f->c, &req, f->compact, f->timeout_ms, on_history,
                          t);
  if (err != 0) {
    free(t);
    return err;
  }
  f->inflight++;
  return 0;
}

static void pump(fetch *f) {
  unsigned window = f->o.window ? f->o.window : DEFAULT_WINDOW;
  while (!f->stop && f->learned && f->inflight < window) {
    int err = request(f, f->next_req);
    if (err != 0) {
      f->err = err;
      f->stop = true;
      break;
    }
    f->next_req += f->step;
  }
}

static void on_now(gcmon_client *c, const gcmon_reply *r, void *data) {
  fetch *f = data;
  (void)c;
  f->inflight--;
  if (r->err == 0) {
    f->have_now = true;
    f->now_uptime_us = r->u.sample.uptime_us;
  }
  finish_if_idle(f);
}

int gcmon_history_fetch_async(gcmon_client *c, const gcmon_history_options *o,
                              unsigned timeout_ms,
                              void (*on_done)(void *data, int err)) {
  gcmon_request now = {.call = GCMON_CALL_GET_SAMPLE};
  fetch *f;
  int err;

  if (!c || !o || !o->on_sample || !on_done)
    return GCMON_EINVAL;
  f = calloc(1, sizeof *f);
  if (!f)
    return GCMON_ENOMEM;
  f->c = c;
  f->o = *o;
  f->timeout_ms = timeout_ms;
  f->on_done = on_done;
  f->want = o->from_seq;
  f->compact = c->info.compact;
  err = gcmon_call_async(c, &now, timeout_ms, on_now, f);
  if (err != 0) {
    free(f);
    return err;
  }
  f->inflight++;
  err = request(f, o->from_seq);
  if (err != 0) {
    f->stop = true; /* on_now frees f; on_done is not called */
    f->on_done = NULL;
    return err;
  }
  return 0;
}

typedef struct {
  bool done;
  int err;
} sync_done;

static void on_sync_done(void *data, int err) {
  sync_done *d = data;
  d->done = true;
  d->err = err;
}

/* The caller's data rides along in a wrapper so on_done can find both. */
typedef struct {
  gcmon_history_options user;
  sync_done d;
} sync_ctx;

static void fwd_sample(void *data, const gcmon_sample *s) {
  sync_ctx *x = data;
  x->user.on_sample(x->user.data, s);
}

static void fwd_gap(void *data, uint64_t first, uint64_t last) {
  sync_ctx *x = data;
  if (x->user.on_gap)
    x->user.on_gap(x->user.data, first, last);
}

static void fwd_progress(void *data, uint64_t done, uint64_t total) {
  sync_ctx *x = data;
  if (x->user.on_progress)
    x->user.on_progress(x->user.data, done, total);
}

static void fwd_done(void *data, int err) {
  sync_ctx *x = data;
  on_sync_done(&x->d, err);
}

int gcmon_history_fetch(gcmon_client *c, const gcmon_history_options *o,
                        unsigned timeout_ms) {
  gcmon_history_options fwd;
  sync_ctx x;
  int err = gcmon__check_sync(c);

  if (err != 0)
    return err;
  if (!o || !o->on_sample)
    return GCMON_EINVAL;
  memset(&x, 0, sizeof x);
  x.user = *o;
  fwd = *o;
  fwd.on_sample = fwd_sample;
  fwd.on_gap = fwd_gap;
  fwd.on_progress = fwd_progress;
  fwd.data = &x;
  err = gcmon_history_fetch_async(c, &fwd, timeout_ms, fwd_done);
  if (err != 0)
    return err;
  gcmon__wait(c, &x.d.done, 0);
  return x.d.err;
}
