/* gcmon watch: a live view. On a terminal it takes the screen (term.c)
 * and redraws it (screen.c) at most ten times a second; keys (watch_keys.c)
 * run control calls on the same session, pause the figures or show help;
 * q or Ctrl-C ends it and the terminal is restored on every way out,
 * signals included. When stdout is not a terminal it prints one line per
 * sample through the writer instead. libgcmon runs in event-loop mode with
 * reconnect, and the graphs are filled from history as soon as the
 * subscription says where the series stands. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "screen.h"
#include "term.h"
#include "units.h"
#include "watch_keys.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define REDRAW_MS 100

typedef struct {
  cli_ctx *x;
  uv_loop_t loop;
  uv_signal_t sigint, sigterm, sighup, sigwinch;
  uv_poll_t keys_poll;
  uv_timer_t redraw;
  bool keys_on, timer_on;
  gcmon_client *c;
  gcmon_subscription *sub;
  bool screen; /* full-screen mode */
  term_state term;
  writer *w; /* line mode */
  gcmon_sample last;
  bool have_last;
  uint64_t last_at_ms; /* loop time the last sample arrived */
  cli_clock clock;     /* host time of piped samples */
  uint32_t interval_ms;
  screen_series series;
  /* what p froze: the picture shows these while paused */
  gcmon_sample frozen_last;
  screen_series frozen_series;
  watch_keys keys;
  bool asked_enabled; /* what e/d asked for, to name the call */
  bool prefilled;
  bool connected;
  const char *state;
  bool dirty;
  long drawn_age; /* the stale age last drawn, in seconds */
  bool stopping;
  int rc;
} watch;

static void stop_watch(watch *v, int rc) {
  if (v->stopping)
    return;
  v->stopping = true;
  v->rc = rc;
  uv_close((uv_handle_t *)&v->sigint, NULL);
  uv_close((uv_handle_t *)&v->sigterm, NULL);
  uv_close((uv_handle_t *)&v->sighup, NULL);
  uv_close((uv_handle_t *)&v->sigwinch, NULL);
  if (v->keys_on)
    uv_close((uv_handle_t *)&v->keys_poll, NULL);
  if (v->timer_on)
    uv_close((uv_handle_t *)&v->redraw, NULL);
  gcmon_client_close(v->c);
  term_leave(&v->term);
}

static void draw(watch *v) {
  screen_model m;
  gcmon_link_stats link;
  int cols, rows;
  bool paused = v->keys.paused;

  /* Nothing to draw on until the terminal is set up (on the first
   * READY): a daemon slow to answer hello keeps us here a while. */
  if (!v->screen || v->stopping || !v->term.entered)
    return;
  memset(&m, 0, sizeof m);
  gcmon_client_link_stats(v->c, &link);
  m.target = v->x->target;
  m.info = gcmon_client_info(v->c);
  m.state = v->state;
  m.last = !v->have_last ? NULL : paused ? &v->frozen_last : &v->last;
  m.link = &link;
  m.interval_ms = v->interval_ms;
  m.asked_interval_ms = v->x->interval_ms;
  m.series = paused ? &v->frozen_series : &v->series;
  m.raw_bytes = v->x->raw_bytes;
  m.utf8 = v->term.utf8;
  m.colour = term_colour_wanted();
  m.stale = v->have_last && !v->connected;
  m.age_s = (double)(uv_now(&v->loop) - v->last_at_ms) / 1000.0;
  m.paused = paused;
  m.help = v->keys.help;
  m.prompt = watch_keys_prompt(&v->keys);
  term_size(&v->term, &cols, &rows);
  screen_draw(stdout, &m, cols, rows - 1);
  v->drawn_age = (long)m.age_s;
  v->dirty = false;
}

static void on_prefill_sample(void *data, const gcmon_sample *s) {
  watch *v = data;
  screen_series_add(&v->series, s);
}

static void on_prefill_done(void *data, int err) {
  watch *v = data;
  (void)err; /* the graphs just fill up live instead */
  v->dirty = true;
}

static void prefill(watch *v, uint64_t first_seq) {
  gcmon_history_options o = {0};
  if (v->prefilled || first_seq <= 1)
    return;
  v->prefilled = true;
  o.from_seq =
      first_seq > SCREEN_SERIES_MAX ? first_seq - SCREEN_SERIES_MAX : 1;
  o.max_samples = first_seq - o.from_seq;
  o.on_sample = on_prefill_sample;
  o.data = v;
  gcmon_history_fetch_async(v->c, &o, 0, on_prefill_done);
}

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  watch *v = data;
  (void)s;
  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    v->last = *ev->sample;
    v->have_last = true;
    v->last_at_ms = uv_now(&v->loop);
    if (v->screen)
      screen_series_add(&v->series, ev->sample);
    else
      emit_sample_at(v->w, ev->sample,
                     cli_clock_wall(&v->clock, gcmon_client_info(v->c)->run_id,
                                    ev->sample));
    if (!v->screen && v->w->err) {
      /* main() says why (a reader gone on purpose, | head, is no error) */
      stop_watch(v, CLI_EXIT_OK);
      return;
    }
    v->dirty = true;
    break;
  case GCMON_EVENT_SUBSCRIBED:
    v->interval_ms = ev->subscribed.interval_ms;
    if (v->screen)
      prefill(v, ev->subscribed.first_seq);
    else
      cli_note_interval(v->x, v->interval_ms);
    break;
  case GCMON_EVENT_RESTART:
    memset(&v->series, 0, sizeof v->series);
    break;
  case GCMON_EVENT_ERROR:
    term_leave(&v->term);
    cli_fail(v->x, v->c, "subscribe", ev->err);
    stop_watch(v, CLI_EXIT_FAILURE);
    break;
  case GCMON_EVENT_GAP:
  case GCMON_EVENT_LINK_DOWN:
    break;
  }
}

static void on_state(gcmon_client *c, gcmon_state st, int err, void *data) {
  watch *v = data;
  if (v->stopping)
    return;
  v->connected = st == GCMON_STATE_READY;
  switch (st) {
  case GCMON_STATE_READY:
    v->state = "connected";
    if (!v->sub && gcmon_subscribe_async(c, v->x->interval_ms, 0, on_event, v,
                                         &v->sub) != 0) {
      cli_fail(v->x, c, "subscribe", GCMON_ENOMEM);
      stop_watch(v, CLI_EXIT_FAILURE);
      return;
    }
    if (v->screen && !v->term.entered)
      term_enter(&v->term, stdout, STDIN_FILENO);
    break;
  case GCMON_STATE_BACKOFF:
    v->state = "link lost, reconnecting";
    break;
  case GCMON_STATE_CONNECTING:
    v->state = "connecting";
    break;
  case GCMON_STATE_FAILED:
    term_leave(&v->term);
    cli_fail(v->x, c, NULL, err);
    stop_watch(v, CLI_EXIT_FAILURE);
    return;
  case GCMON_STATE_IDLE:
    break;
  }
  v->dirty = true;
}

/* ---- control from the keys --------------------------------------------- */

static const char *call_name(gcmon_call call, bool enabled) {
  switch (call) {
  case GCMON_CALL_COLLECT:
    return "collect";
  case GCMON_CALL_SET_THRESHOLD:
    return "threshold";
  case GCMON_CALL_SET_ENABLED:
    return enabled ? "enable" : "disable";
  default:
    return "call";
  }
}

static void on_reply(gcmon_client *c, const gcmon_reply *r, void *data) {
  watch *v = data;
  const gcmon_sample *after = &r->u.sample;
  char a[32], b[32];
  (void)c;

  if (v->stopping)
    return;
  if (r->err != 0) {
    watch_keys_say(&v->keys, "%s: %s%s%s",
                   call_name(r->call, v->asked_enabled),
                   r->err == GCMON_EPERM ? "permission denied (see --token-file)"
                                         : gcmon_strerror(r->err),
                   r->status.message[0] ? ": " : "", r->status.message);
  } else if (r->call == GCMON_CALL_COLLECT) {
    units_format_bytes(r->u.collect.freed_bytes > 0
                           ? (uint64_t)r->u.collect.freed_bytes
                           : 0,
                       a, sizeof a);
    units_format_duration_us(r->u.collect.duration_us, b, sizeof b);
    watch_keys_say(&v->keys, "collect: freed %s in %s (collections %llu)", a,
                   b, (unsigned long long)r->u.collect.after.gc.collections);
  } else if (r->call == GCMON_CALL_SET_THRESHOLD) {
    if (after->gc.threshold >= 0)
      units_format_bytes((uint64_t)after->gc.threshold, a, sizeof a);
    watch_keys_say(&v->keys, "threshold: now %s",
                   after->gc.threshold >= 0 ? a : "off");
  } else {
    watch_keys_say(&v->keys, "%s: the gc is %s",
                   call_name(r->call, after->gc.enabled),
                   after->gc.enabled ? "enabled" : "disabled");
  }
  v->dirty = true;
}

static void control(watch *v, watch_do what) {
  gcmon_request req;
  memset(&req, 0, sizeof req);
  switch (what) {
  case WATCH_DO_COLLECT:
    req.call = GCMON_CALL_COLLECT;
    break;
  case WATCH_DO_THRESHOLD:
    req.call = GCMON_CALL_SET_THRESHOLD;
    req.u.threshold_bytes = v->keys.threshold;
    break;
  case WATCH_DO_ENABLE:
  case WATCH_DO_DISABLE:
    req.call = GCMON_CALL_SET_ENABLED;
    req.u.enabled = v->asked_enabled = what == WATCH_DO_ENABLE;
    break;
  default:
    return;
  }
  if (gcmon_call_async(v->c, &req, 0, on_reply, v) != 0)
    watch_keys_say(&v->keys, "%s", "the call could not be queued");
}

static void on_key(uv_poll_t *h, int status, int events) {
  watch *v = h->data;
  unsigned char buf[16];
  ssize_t n;
  (void)events;
  if (status < 0)
    return;
  n = read(STDIN_FILENO, buf, sizeof buf);
  for (ssize_t i = 0; i < n && !v->stopping; i++) {
    bool was_paused = v->keys.paused;
    watch_do what = watch_keys_feed(&v->keys, buf[i]);
    if (what == WATCH_DO_QUIT) {
      stop_watch(v, CLI_EXIT_OK);
      return;
    }
    if (v->keys.paused && !was_paused) {
      v->frozen_last = v->last;
      v->frozen_series = v->series;
    }
    control(v, what);
    v->dirty = true;
  }
}

/* ---- the loop ---------------------------------------------------------- */

static void on_redraw(uv_timer_t *t) {
  watch *v = t->data;
  /* while the link is down the age of the figures keeps changing */
  if (v->have_last && !v->connected &&
      (long)((uv_now(&v->loop) - v->last_at_ms) / 1000) != v->drawn_age)
    v->dirty = true;
  if (v->dirty)
    draw(v);
}

static void on_signal(uv_signal_t *h, int signum) {
  watch *v = h->data;
  if (signum == SIGWINCH) {
    if (v->screen)
      fputs("\033[2J", stdout);
    draw(v);
    return;
  }
  stop_watch(v, CLI_EXIT_OK);
}

static void start_handles(watch *v) {
  uv_signal_t *sigs[] = {&v->sigint, &v->sigterm, &v->sighup, &v->sigwinch};
  int nums[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
  for (int i = 0; i < 4; i++) {
    uv_signal_init(&v->loop, sigs[i]);
    sigs[i]->data = v;
    uv_signal_start(sigs[i], on_signal, nums[i]);
  }
  if (!v->screen)
    return;
  uv_timer_init(&v->loop, &v->redraw);
  v->redraw.data = v;
  uv_timer_start(&v->redraw, on_redraw, REDRAW_MS, REDRAW_MS);
  v->timer_on = true;
  if (isatty(STDIN_FILENO) &&
      uv_poll_init(&v->loop, &v->keys_poll, STDIN_FILENO) == 0) {
    v->keys_poll.data = v;
    uv_poll_start(&v->keys_poll, UV_READABLE, on_key);
    v->keys_on = true;
  }
}

int cmd_watch(cli_ctx *x) {
  /* large (the series, twice): not on the stack */
  watch *v = calloc(1, sizeof *v);
  int rc;

  if (!v) {
    cli_error(x, "%s", gcmon_strerror(GCMON_ENOMEM));
    return CLI_EXIT_FAILURE;
  }
  v->x = x;
  v->state = "connecting";
  v->screen = isatty(STDOUT_FILENO) && x->format == CLI_FORMAT_TEXT;
  watch_keys_init(&v->keys, x->target);
  if (!v->screen)
    v->w = cli_writer(x, stdout, true);
  uv_loop_init(&v->loop);
  if (cli_client_for_loop(x, &v->loop, on_state, v, &v->c) != CLI_EXIT_OK) {
    v->rc = CLI_EXIT_FAILURE;
  } else {
    start_handles(v);
    gcmon_client_start(v->c);
    uv_run(&v->loop, UV_RUN_DEFAULT);
  }
  term_leave(&v->term);
  uv_loop_close(&v->loop);
  writer_free(v->w);
  rc = v->rc;
  free(v);
  return rc;
}
