/* The stock-firmware adapter of a repl:// link (see repl.h): a daemon that
 * lives in the host. It answers the client's frames in order, running one
 * fixed snippet per reading through the raw REPL; seq and timestamps are
 * the host's, subscriptions are ticks of the host's clock, history is a
 * ring of the readings those ticks made. Control maps to gc calls. */
#define _POSIX_C_SOURCE 200809L
#include "repl.h"

#include "gcmon/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_INVALID 1
#define STATUS_EXHAUSTED 4
#define STATUS_UNIMPLEMENTED 5
#define STATUS_INTERNAL 7

static void run_jobs(gcmon__repl *r);

static uint32_t tick_now(gcmon__repl *r) {
  uint64_t el = gcmon__repl_now_us(r) - r->t0_us;
  return (uint32_t)(1 + el / ((uint64_t)r->min_ms * 1000u));
}

/* ---- answers ----------------------------------------------------------- */

static void send_frame(gcmon__repl *r, const uint8_t *frame, size_t n) {
  if (n > 0)
    gcmon__repl_deliver(r, frame, n);
}

static void answer(gcmon__repl *r, const gcmon__repl_reply *rep) {
  uint8_t frame[GCMON_FRAME_WIRE_MAX];
  send_frame(r, frame, gcmon__repl_frame_reply(rep, frame, sizeof frame));
}

static void answer_status(gcmon__repl *r, uint32_t id, int code,
                          const char *msg) {
  gcmon__repl_reply rep = {.id = id, .code = code, .message = msg};
  answer(r, &rep);
}

static void ring_push(gcmon__repl *r, const gcmon_sample *s) {
  if (s->seq <= r->ring_newest && r->ring_count)
    return;
  if (r->ring_count < GCMON__REPL_RING)
    r->ring[r->ring_count++] = *s;
  else {
    memmove(r->ring, r->ring + 1, (GCMON__REPL_RING - 1) * sizeof *r->ring);
    r->ring[GCMON__REPL_RING - 1] = *s;
  }
  r->ring_newest = s->seq;
}

static void emit_event(gcmon__repl *r, uint32_t id, const gcmon_sample *s) {
  uint8_t frame[GCMON_FRAME_WIRE_MAX];
  send_frame(r, frame, gcmon__repl_frame_event(id, s, frame, sizeof frame));
}

/* ---- subscriptions ----------------------------------------------------- */

static void on_tick(uv_timer_t *tm);

static void arm_tick(gcmon__repl *r) {
  uint64_t next = 0, at_us, now;
  for (int i = 0; i < GCMON__REPL_SUBS; i++)
    if (r->subs[i].id && (!next || r->subs[i].next_seq < next))
      next = r->subs[i].next_seq;
  if (!next) {
    uv_timer_stop(&r->tick);
    return;
  }
  at_us = r->t0_us + (next - 1) * (uint64_t)r->min_ms * 1000u;
  now = gcmon__repl_now_us(r);
  uv_timer_start(&r->tick, on_tick, at_us > now ? (at_us - now + 999) / 1000 : 0,
                 0);
}

static int push_job(gcmon__repl *r, const gcmon__repl_job *j) {
  if (r->job_count == GCMON__REPL_JOBS)
    return -1;
  r->jobs[(r->job_head + r->job_count++) % GCMON__REPL_JOBS] = *j;
  return 0;
}

static void on_tick(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  uint64_t due = 0, now = tick_now(r);
  gcmon__repl_job j;

  for (int i = 0; i < GCMON__REPL_SUBS; i++)
    if (r->subs[i].id && (!due || r->subs[i].next_seq < due))
      due = r->subs[i].next_seq;
  if (!due)
    return;
  if (r->ticks_out >= GCMON__REPL_TICKS_QUEUED) {
    /* the link is still busy with earlier ticks: skip to now (a gap the
     * subscriber sees); a tick merely late is still read */
    for (int i = 0; i < GCMON__REPL_SUBS; i++)
      while (r->subs[i].id && r->subs[i].next_seq < now + 1)
        r->subs[i].next_seq += r->subs[i].step;
    arm_tick(r);
    return;
  }
  memset(&j, 0, sizeof j);
  j.tick = due;
  if (push_job(r, &j) == 0)
    r->ticks_out++;
  for (int i = 0; i < GCMON__REPL_SUBS; i++)
    if (r->subs[i].id && r->subs[i].next_seq == due)
      r->subs[i].next_seq += r->subs[i].step;
  arm_tick(r);
  run_jobs(r);
}

static void tick_read(gcmon__repl *r, uint64_t tick) {
  gcmon_sample s;
  r->ticks_out--;
  if (gcmon__repl_reading(r, &s, tick) != 0)
    return;
  ring_push(r, &s);
  for (int i = 0; i < GCMON__REPL_SUBS; i++) {
    const gcmon__repl_sub *sub = &r->subs[i];
    if (sub->id && tick >= sub->start_seq &&
        (tick - sub->start_seq) % sub->step == 0)
      emit_event(r, sub->id, &s);
  }
}

static void subscribe(gcmon__repl *r, const gcmon__repl_req *q) {
  gcmon__repl_reply rep = {.id = q->id, .kind = GCMON__REPLY_SUBSCRIBED};
  gcmon__repl_sub *sub = NULL;
  uint32_t ms = q->interval_ms ? q->interval_ms : r->min_ms;
  uint64_t next = tick_now(r) + 1, first;
  size_t from = r->ring_count;

  for (int i = 0; i < GCMON__REPL_SUBS; i++)
    if (!r->subs[i].id) {
      sub = &r->subs[i];
      break;
    }
  if (!sub) {
    answer_status(r, q->id, STATUS_EXHAUSTED, "too many subscriptions");
    return;
  }
  ms = (ms + r->min_ms - 1) / r->min_ms * r->min_ms;
  sub->id = ++r->next_sub_id;
  sub->step = ms / r->min_ms;
  if (q->from_seq)
    for (from = 0; from < r->ring_count && r->ring[from].seq < q->from_seq;)
      from++;
  first = from < r->ring_count ? r->ring[from].seq : next;
  if (from < r->ring_count) {
    uint64_t last = r->ring[r->ring_count - 1].seq;
    next = last + sub->step;
    while (next < tick_now(r) + 1)
      next += sub->step;
  }
  sub->next_seq = next;
  sub->start_seq = next;
  rep.subscribed.subscription = sub->id;
  rep.subscribed.interval_ms = ms;
  rep.subscribed.first_seq = first;
  answer(r, &rep);
  for (; from < r->ring_count; from++)
    emit_event(r, sub->id, &r->ring[from]);
  arm_tick(r);
}

static void unsubscribe(gcmon__repl *r, const gcmon__repl_req *q) {
  for (int i = 0; i < GCMON__REPL_SUBS; i++)
    if (r->subs[i].id && r->subs[i].id == q->subscription) {
      r->subs[i].id = 0;
      answer_status(r, q->id, 0, NULL);
      arm_tick(r);
      return;
    }
  answer_status(r, q->id, STATUS_INVALID, "no such subscription");
}

static void history(gcmon__repl *r, const gcmon__repl_req *q) {
  gcmon__repl_reply rep = {.id = q->id, .kind = GCMON__REPLY_HISTORY};
  const gcmon_sample *list[GCMON_HISTORY_MAX];
  uint8_t frame[GCMON_FRAME_WIRE_MAX];
  size_t from = 0, n = 0, len;
  size_t max = q->max_count && q->max_count < GCMON_HISTORY_MAX
                   ? q->max_count
                   : GCMON_HISTORY_MAX;

  while (from < r->ring_count && r->ring[from].seq < q->from_seq)
    from++;
  while (n < max && from + n < r->ring_count) {
    list[n] = &r->ring[from + n];
    n++;
  }
  rep.oldest_seq = r->ring_count ? r->ring[0].seq : 0;
  rep.history = list;
  for (;;) {
    rep.count = n;
    rep.next_seq = n ? list[n - 1]->seq + 1
                     : (q->from_seq > r->ring_newest ? q->from_seq
                                                     : r->ring_newest + 1);
    len = gcmon__repl_frame_reply(&rep, frame, sizeof frame);
    if (len || n == 0)
      break;
    n--;
  }
  send_frame(r, frame, len);
}

static void hello(gcmon__repl *r, uint32_t id) {
  gcmon__repl_reply rep = {.id = id, .kind = GCMON__REPLY_HELLO};
  gcmon_info info;
  memset(&info, 0, sizeof info);
  info.version = GCMON_PROTOCOL_VERSION;
  snprintf(info.daemon, sizeof info.daemon, "gcmon raw-REPL adapter");
  snprintf(info.source, sizeof info.source, "micropython-repl");
  if (r->outer) {
    const char *p = r->outer->uri.path;
    size_t n = strlen(p); /* keep the end: the device's own name */
    snprintf(info.device_id, sizeof info.device_id, "%.32s",
             n > GCMON_STRING_MAX ? p + n - GCMON_STRING_MAX : p);
  }
  info.run_id = r->run_id;
  info.max_payload = GCMON_MAX_PAYLOAD;
  info.history_capacity = GCMON__REPL_RING;
  info.min_interval_ms = r->min_ms;
  info.control = true;
  info.max_subscriptions = GCMON__REPL_SUBS;
  info.max_sessions = 1;
  rep.hello = &info;
  answer(r, &rep);
}

/* ---- the job queue ----------------------------------------------------- */

static void on_job_done(gcmon__repl *r, int err) {
  gcmon__repl_job job = r->flying[0], *j = &job;
  gcmon__repl_reply rep = {.id = j->req.id};
  gcmon_sample s;

  r->flying[0] = r->flying[1];
  r->nflying--;
  if (j->req.call == 0) {
    tick_read(r, j->tick);
  } else if (err != 0 || (r->collect_stage != 1 && gcmon__repl_reading(r, &s, 0) != 0)) {
    char msg[97];
    snprintf(msg, sizeof msg, "board: %.80s",
             r->err_len ? r->err : "unreadable gc values");
    for (char *c = msg; *c; c++)
      if (*c == '\r' || *c == '\n')
        *c = ' ';
    answer_status(r, j->req.id, STATUS_INTERNAL, msg);
  } else if (j->req.call == GCMON_CALL_COLLECT && r->collect_stage < 2) {
    /* Three snippets: a reading, gc.collect() on its own (some ports only
     * free once the snippet that asked has returned), a reading. */
    r->flying[r->nflying++] = job; /* not pipelined: nothing else flies */
    if (r->collect_stage++ == 0) {
      r->collect_before = s.gc.mem_alloc;
      if (gcmon__repl_exec(r, "import gc\ngc.collect()\nprint(1)\n",
                           on_job_done) != 0)
        gcmon__repl_fail(r, GCMON_EIO, "console write failed");
    } else {
      r->collect_us = r->took_us;
      if (gcmon__repl_exec(r, r->snippet, on_job_done) != 0)
        gcmon__repl_fail(r, GCMON_EIO, "console write failed");
    }
    return;
  } else if (j->req.call == GCMON_CALL_COLLECT) {
    rep.kind = GCMON__REPLY_COLLECT;
    rep.sample = &s;
    rep.freed_bytes = r->collect_before - s.gc.mem_alloc;
    rep.duration_us = r->collect_us;
    answer(r, &rep);
  } else {
    rep.kind = GCMON__REPLY_SAMPLE;
    rep.sample = &s;
    answer(r, &rep);
  }
  run_jobs(r);
}

static void start_job(gcmon__repl *r, const gcmon__repl_job *j, int depth) {
  char code[sizeof r->snippet + 96];

  switch (j->req.call) {
  case GCMON_CALL_COLLECT:
    r->collect_stage = 0;
    snprintf(code, sizeof code, "%s", r->snippet);
    break;
  case GCMON_CALL_SET_THRESHOLD:
    snprintf(code, sizeof code, "import gc\ngc.threshold(%" PRId64 ")\n%s",
             j->req.threshold < 0 ? (int64_t)-1 : j->req.threshold,
             r->snippet);
    break;
  case GCMON_CALL_SET_ENABLED:
    snprintf(code, sizeof code, "import gc\ngc.%s()\n%s",
             j->req.enabled ? "enable" : "disable", r->snippet);
    break;
  default:
    snprintf(code, sizeof code, "%s", r->snippet);
    break;
  }
  r->flying[r->nflying++] = *j;
  if (gcmon__repl_exec_depth(r, code, on_job_done, depth) != 0) {
    r->nflying--;
    gcmon__repl_fail(r, GCMON_EIO, "%s: cannot write to the console",
                     r->outer ? r->outer->uri.path : "?");
  }
}

/* Only subscription ticks fly two at a time: their events carry their own
 * seq, while answers must leave in request order. */
static bool only_ticks_fly(const gcmon__repl *r) {
  for (int i = 0; i < r->nflying; i++)
    if (r->flying[i].req.call != 0)
      return false;
  return true;
}

static void run_jobs(gcmon__repl *r) {
  while (r->job_count && r->phase == GCMON__REPL_STOCK) {
    gcmon__repl_job j = r->jobs[r->job_head];
    bool board = j.unknown ? false
                 : j.req.call == 0 || j.req.call == GCMON_CALL_GET_SAMPLE ||
                     j.req.call == GCMON_CALL_COLLECT ||
                     j.req.call == GCMON_CALL_SET_THRESHOLD ||
                     j.req.call == GCMON_CALL_SET_ENABLED;
    int depth = 1;
    if (r->nflying > 0) {
      if (!r->pipelined || !only_ticks_fly(r) || (board && (j.req.call != 0 || r->nflying > 1)))
        break;
      depth = 2;
    }
    r->job_head = (r->job_head + 1) % GCMON__REPL_JOBS;
    r->job_count--;
    if (j.unknown) {
      answer_status(r, j.req.id, STATUS_UNIMPLEMENTED,
                    "not served over the raw REPL without the agent");
      continue;
    }
    switch (j.req.call) {
    case GCMON_CALL_HELLO:
      hello(r, j.req.id);
      break;
    case GCMON_CALL_SUBSCRIBE:
      subscribe(r, &j.req);
      break;
    case GCMON_CALL_UNSUBSCRIBE:
      unsubscribe(r, &j.req);
      break;
    case GCMON_CALL_GET_HISTORY:
      history(r, &j.req);
      break;
    default: /* readings, control, ticks: the board's turn */
      start_job(r, &j, depth);
      break;
    }
  }
}

static void on_kick(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  size_t off = 0;

  while (off < r->pending_len && r->phase == GCMON__REPL_STOCK) {
    size_t used;
    gcmon_frame_status st = gcmon_frame_decoder_feed(
        &r->dec, r->pending + off, r->pending_len - off, &used);
    gcmon__repl_job j;
    off += used;
    if (st != GCMON_FRAME_READY)
      continue;
    memset(&j, 0, sizeof j);
    if (gcmon__repl_decode_request(r->dec.buf, r->dec.payload_len, &j.req) !=
            0 ||
        j.req.id == 0) {
      gcmon_frame_decoder_reject(&r->dec);
      continue;
    }
    j.unknown = j.req.call == 0;
    if (push_job(r, &j) != 0)
      answer_status(r, j.req.id, STATUS_EXHAUSTED, "too many requests");
  }
  r->pending_len = 0;
  run_jobs(r);
}

void gcmon__repl_stock_input(gcmon__repl *r, const uint8_t *bytes, size_t n) {
  size_t room = sizeof r->pending - r->pending_len;
  size_t take = n < room ? n : room;
  memcpy(r->pending + r->pending_len, bytes, take);
  r->pending_len += take;
  r->dropped_bytes += n - take;
  uv_timer_start(&r->kick, on_kick, 0, 0);
}
