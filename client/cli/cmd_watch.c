/* gcmon watch: a live view. On a terminal it takes the screen (term.c)
 * and redraws it (screen.c) at most ten times a second; q or Ctrl-C ends
 * it and the terminal is restored on every way out, signals included.
 * When stdout is not a terminal it prints one line per sample through the
 * writer instead. libgcmon runs in event-loop mode with reconnect, and the
 * sparkline is filled from history as soon as the subscription says where
 * the series stands. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "screen.h"
#include "term.h"

#include <string.h>
#include <unistd.h>
#include <uv.h>

#define REDRAW_MS 100

typedef struct {
  cli_ctx *x;
  uv_loop_t loop;
  uv_signal_t sigint, sigterm, sighup, sigwinch;
  uv_poll_t keys;
  uv_timer_t redraw;
  bool keys_on, timer_on;
  gcmon_client *c;
  gcmon_subscription *sub;
  bool screen; /* full-screen mode */
  term_state term;
  writer *w; /* line mode */
  gcmon_sample last;
  bool have_last;
  uint32_t interval_ms;
  int64_t spark[SCREEN_SPARK_MAX];
  uint64_t spark_seq[SCREEN_SPARK_MAX];
  int nspark;
  bool prefilled;
  const char *state;
  bool dirty;
  bool stopping;
  char alarm[128]; /* the latest alarm event, as the screen shows it */
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
    uv_close((uv_handle_t *)&v->keys, NULL);
  if (v->timer_on)
    uv_close((uv_handle_t *)&v->redraw, NULL);
  gcmon_client_close(v->c);
  term_leave(&v->term);
}

/* Keep the newest SCREEN_SPARK_MAX values in seq order (history and live
 * samples may interleave). */
static void spark_add(watch *v, const gcmon_sample *s) {
  int i;
  if (!s->has_gc)
    return;
  for (i = v->nspark; i > 0 && v->spark_seq[i - 1] > s->seq; i--)
    ;
  if (i > 0 && v->spark_seq[i - 1] == s->seq)
    return;
  if (v->nspark == SCREEN_SPARK_MAX) {
    if (i == 0)
      return; /* older than everything kept */
    memmove(v->spark, v->spark + 1, (size_t)(i - 1) * sizeof v->spark[0]);
    memmove(v->spark_seq, v->spark_seq + 1,
            (size_t)(i - 1) * sizeof v->spark_seq[0]);
    i--;
  } else {
    memmove(v->spark + i + 1, v->spark + i,
            (size_t)(v->nspark - i) * sizeof v->spark[0]);
    memmove(v->spark_seq + i + 1, v->spark_seq + i,
            (size_t)(v->nspark - i) * sizeof v->spark_seq[0]);
    v->nspark++;
  }
  v->spark[i] = s->gc.mem_alloc;
  v->spark_seq[i] = s->seq;
}

static void draw(watch *v) {
  screen_model m;
  gcmon_link_stats link;
  int cols, rows;

  /* Nothing to draw on until the terminal is set up (on the first
   * READY): a daemon slow to answer hello keeps us here a while. */
  if (!v->screen || v->stopping || !v->term.entered)
    return;
  memset(&m, 0, sizeof m);
  gcmon_client_link_stats(v->c, &link);
  m.target = v->x->target;
  m.info = gcmon_client_info(v->c);
  m.state = v->state;
  m.last = v->have_last ? &v->last : NULL;
  m.link = &link;
  m.interval_ms = v->interval_ms;
  memcpy(m.spark, v->spark, sizeof m.spark);
  m.nspark = v->nspark;
  m.raw_bytes = v->x->raw_bytes;
  m.utf8 = v->term.utf8;
  m.alarm = v->alarm[0] ? v->alarm : NULL;
  term_size(&v->term, &cols, &rows);
  screen_draw(stdout, &m, cols, rows - 1);
  v->dirty = false;
}

static void on_prefill_sample(void *data, const gcmon_sample *s) {
  spark_add(data, s);
}

static void on_prefill_done(void *data, int err) {
  watch *v = data;
  (void)err; /* the sparkline just fills up live instead */
  v->dirty = true;
}

static void prefill(watch *v, uint64_t first_seq) {
  gcmon_history_options o = {0};
  if (v->prefilled || first_seq <= 1)
    return;
  v->prefilled = true;
  o.from_seq = first_seq > SCREEN_SPARK_MAX ? first_seq - SCREEN_SPARK_MAX : 1;
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
    if (v->screen)
      spark_add(v, ev->sample);
    else
      emit_sample(v->w, ev->sample);
    if (!v->screen && ferror(stdout)) {
      stop_watch(v, CLI_EXIT_OK); /* the reader went away (| head) */
      return;
    }
    v->dirty = true;
    break;
  case GCMON_EVENT_SUBSCRIBED:
    v->interval_ms = ev->subscribed.interval_ms;
    if (v->screen)
      prefill(v, ev->subscribed.first_seq);
    break;
  case GCMON_EVENT_RESTART:
    v->nspark = 0;
    break;
  case GCMON_EVENT_ERROR:
    term_leave(&v->term);
    cli_fail(v->x, v->c, "subscribe", ev->err);
    stop_watch(v, CLI_EXIT_FAILURE);
    break;
  case GCMON_EVENT_ALARM: /* a line of its own, or the screen's alarm line */
    if (!v->screen)
      emit_alarm(v->w, gcmon_client_info(v->c)->run_id, ev->alarm);
    snprintf(
        v->alarm, sizeof v->alarm, "alarm %u %s at seq %llu (value %lld)",
        (unsigned)ev->alarm->alarm, ev->alarm->raised ? "RAISED" : "cleared",
        (unsigned long long)ev->alarm->sample.seq, (long long)ev->alarm->value);
    v->dirty = true;
    break;
  case GCMON_EVENT_GAP:
  case GCMON_EVENT_LINK_DOWN:
  case GCMON_EVENT_COLLECTION:
    break;
  }
}

static void on_state(gcmon_client *c, gcmon_state st, int err, void *data) {
  watch *v = data;
  if (v->stopping)
    return;
  switch (st) {
  case GCMON_STATE_READY:
    v->state = "connected";
    if (!v->sub && cli_subscribe_with_alarms(c, v->x->interval_ms, on_event, v,
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

static void on_redraw(uv_timer_t *t) {
  watch *v = t->data;
  if (v->dirty)
    draw(v);
}

static void on_key(uv_poll_t *h, int status, int events) {
  watch *v = h->data;
  char buf[16];
  ssize_t n;
  (void)events;
  if (status < 0)
    return;
  n = read(STDIN_FILENO, buf, sizeof buf);
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == 'q' || buf[i] == 'Q' || buf[i] == 3)
      stop_watch(v, CLI_EXIT_OK);
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
      uv_poll_init(&v->loop, &v->keys, STDIN_FILENO) == 0) {
    v->keys.data = v;
    uv_poll_start(&v->keys, UV_READABLE, on_key);
    v->keys_on = true;
  }
}

int cmd_watch(cli_ctx *x) {
  watch v;

  memset(&v, 0, sizeof v);
  v.x = x;
  v.state = "connecting";
  v.screen = isatty(STDOUT_FILENO) && x->format == CLI_FORMAT_TEXT;
  if (!v.screen)
    v.w = cli_writer(x, stdout, true);
  uv_loop_init(&v.loop);
  if (cli_client_for_loop(x, &v.loop, on_state, &v, &v.c) != CLI_EXIT_OK) {
    v.rc = CLI_EXIT_FAILURE;
  } else {
    start_handles(&v);
    gcmon_client_start(v.c);
    uv_run(&v.loop, UV_RUN_DEFAULT);
  }
  term_leave(&v.term);
  uv_loop_close(&v.loop);
  writer_free(v.w);
  return v.rc;
}
