/* libgcmon against a scripted daemon over real loopback TCP and a real
 * pty: what a caller of the public API observes - values, error codes and
 * messages, the seq run its callback sees across link drops and daemon
 * restarts, and how a history download is pipelined. */
#define _POSIX_C_SOURCE 200809L
#include "fake_daemon.h"
#include "gcmon/client.h"
#include "gcmon_test.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static gcmon_client *open_tcp(fake_daemon *f, const gcmon_client_options *o) {
  char uri[64];
  gcmon_client *c;
  snprintf(uri, sizeof uri, "tcp://127.0.0.1:%u", (unsigned)f->port);
  ASSERT_EQ(0, gcmon_client_init(&c, NULL, uri, o));
  return c;
}

static void assert_sample_is(uint64_t seq, const gcmon_sample *got) {
  gcmon_sample want;
  fake_sample(seq, &want);
  ASSERT_EQ_U64(want.seq, got->seq);
  ASSERT_EQ_U64(want.uptime_us, got->uptime_us);
  ASSERT_TRUE(got->has_gc);
  ASSERT_EQ(want.gc.mem_alloc, got->gc.mem_alloc);
  ASSERT_EQ(want.gc.mem_free, got->gc.mem_free);
  ASSERT_EQ(want.gc.threshold, got->gc.threshold);
  ASSERT_EQ(want.gc.collections, got->gc.collections);
  ASSERT_EQ_U64(want.sys_total, got->sys_total);
  ASSERT_TRUE(got->has_sys_heap && got->has_sys_page && !got->has_sys_mmz);
  ASSERT_EQ_U64(want.sys_heap.used, got->sys_heap.used);
  ASSERT_EQ_U64(want.sys_page.free, got->sys_page.free);
}

TEST(connect_says_hello_and_get_sample_returns_the_daemons_values) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_sample s;
  gcmon_info info;

  ASSERT_EQ(0, fake_start_tcp(&f));
  c = open_tcp(&f, NULL);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(GCMON_STATE_READY, gcmon_client_state(c));
  ASSERT_STREQ("fakegcmond 1.0", gcmon_client_info(c)->daemon);
  ASSERT_STREQ("sim", gcmon_client_info(c)->source);
  ASSERT_EQ_U64(0x1234, gcmon_client_info(c)->run_id);
  ASSERT_EQ(10, gcmon_client_info(c)->min_interval_ms);
  ASSERT_EQ(0, gcmon_get_sample(c, &s, 0));
  assert_sample_is(0, &s);
  ASSERT_EQ(0, gcmon_set_threshold(c, 65536, &s, 0));
  ASSERT_EQ(65536, s.gc.threshold);
  ASSERT_EQ(0, gcmon_set_enabled(c, false, &s, 0));
  ASSERT_EQ(0, s.gc.enabled);
  ASSERT_EQ(0, gcmon_hello(c, &info, 0)); /* again, on the same session */
  ASSERT_STREQ("fake-1", info.device_id);
  gcmon_client_close(c);
  fake_stop(&f);
  ASSERT_EQ(1, f.sessions);
  ASSERT_EQ(2, f.hellos);
}

/* The fake speaks v1 (no minor, no nonce in its hello answer): with a
 * token, libgcmon first asks for a challenge without sending the token,
 * then says hello again with it, as a v1 client would; require_mac stops
 * it from doing so. */
TEST(a_v1_daemon_gets_the_token_in_a_second_hello_unless_require_mac) {
  static const uint8_t token[] = "tok";
  gcmon_client_options o = {.token = token, .token_len = 3};
  fake_daemon f;
  gcmon_client *c;
  gcmon_sample s;

  ASSERT_EQ(0, fake_start_tcp(&f));
  c = open_tcp(&f, &o);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(0, gcmon_get_sample(c, &s, 0));
  gcmon_client_close(c);
  o.require_mac = true;
  c = open_tcp(&f, &o);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(0, gcmon_get_sample(c, &s, 0));
  gcmon_client_close(c);
  fake_stop(&f);
  ASSERT_EQ(2, f.sessions);
  ASSERT_EQ(3, f.hellos); /* 2 for the first client, 1 for the second */
}

TEST(daemon_status_is_an_error_code_with_its_message_kept) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_collect_result r;

  ASSERT_EQ(0, fake_start_tcp(&f));
  c = open_tcp(&f, NULL);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(GCMON_EPERM, gcmon_collect(c, &r, 0));
  ASSERT_EQ(2, gcmon_client_status(c)->code); /* PERMISSION_DENIED */
  ASSERT_STREQ("control needs the token", gcmon_client_status(c)->message);
  ASSERT_TRUE(strstr(gcmon_client_errmsg(c), "control needs the token"));
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(closed_port_is_econnect_naming_the_address) {
  fake_daemon f;
  gcmon_client *c;
  uint16_t port;

  ASSERT_EQ(0, fake_start_tcp(&f));
  port = f.port;
  fake_stop(&f); /* nothing listens there now */
  f.port = port;
  c = open_tcp(&f, NULL);
  ASSERT_EQ(GCMON_ECONNECT, gcmon_client_connect(c, 2000));
  ASSERT_EQ(GCMON_STATE_FAILED, gcmon_client_state(c));
  ASSERT_TRUE(strstr(gcmon_client_errmsg(c), "127.0.0.1"));
  ASSERT_TRUE(strstr(gcmon_client_errmsg(c), "refused"));
  gcmon_client_close(c);
}

TEST(silent_daemon_times_out_after_the_timeout) {
  fake_daemon f;
  gcmon_client *c;
  struct timespec a, b;
  long ms;

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.silent = true;
  c = open_tcp(&f, NULL);
  clock_gettime(CLOCK_MONOTONIC, &a);
  ASSERT_EQ(GCMON_ETIMEDOUT, gcmon_client_connect(c, 300));
  clock_gettime(CLOCK_MONOTONIC, &b);
  ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  ASSERT_TRUE(ms >= 290 && ms < 5000);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(session_refusal_is_elimit_with_the_daemons_reason) {
  fake_daemon f;
  gcmon_client *c;

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.refuse = true;
  c = open_tcp(&f, NULL);
  ASSERT_EQ(GCMON_ELIMIT, gcmon_client_connect(c, 2000));
  ASSERT_EQ(4, gcmon_client_status(c)->code); /* RESOURCE_EXHAUSTED */
  ASSERT_TRUE(strstr(gcmon_client_errmsg(c), "session limit 1 reached"));
  gcmon_client_close(c);
  fake_stop(&f);
}

/* ---- subscriptions across link drops ----------------------------------- */

typedef struct {
  uint64_t seqs[256];
  int n;
  int gaps, restarts, link_downs, subscribed;
  uint64_t gap_first, gap_last, new_run;
  bool contiguous;
  uint64_t stop_at;
} seen;

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  seen *v = data;
  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    if (v->n > 0 && ev->sample->seq != v->seqs[v->n - 1] + 1)
      v->contiguous = false;
    if (v->n < 256)
      v->seqs[v->n++] = ev->sample->seq;
    assert_sample_is(ev->sample->seq, ev->sample);
    if (ev->sample->seq >= v->stop_at)
      gcmon_client_break(gcmon_subscription_client(s));
    break;
  case GCMON_EVENT_GAP:
    v->gaps++;
    v->gap_first = ev->gap_first;
    v->gap_last = ev->gap_last;
    if (v->n < 256)
      v->seqs[v->n++] = ev->gap_last; /* the run continues after it */
    break;
  case GCMON_EVENT_RESTART:
    v->restarts++;
    v->new_run = ev->run_id;
    v->n = 0;
    break;
  case GCMON_EVENT_LINK_DOWN:
    v->link_downs++;
    break;
  case GCMON_EVENT_SUBSCRIBED:
    v->subscribed++;
    break;
  case GCMON_EVENT_ERROR:
    break;
  }
}

static gcmon_client *reconnecting_client(fake_daemon *f) {
  gcmon_client_options o = {0};
  gcmon_client *c;
  o.reconnect = true;
  o.backoff_min_ms = 20;
  o.backoff_max_ms = 100;
  c = open_tcp(f, &o);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  return c;
}

TEST(link_drop_resumes_from_the_last_seq_with_no_hole) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_subscription *sub;
  seen v = {.contiguous = true, .stop_at = 30};

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.newest = 5;
  f.drop_after_events = 12; /* 5 replayed + 7 live, then the link drops */
  f.tick = true;
  c = reconnecting_client(&f);
  ASSERT_EQ(0, gcmon_subscribe(c, 0, 1, on_event, &v, &sub, 0));
  ASSERT_EQ(0, gcmon_client_run(c, 10000));
  ASSERT_TRUE(v.n >= 30);
  ASSERT_TRUE(v.contiguous);
  ASSERT_EQ_U64(1, v.seqs[0]);
  ASSERT_EQ(0, v.gaps);
  ASSERT_EQ(1, v.link_downs);
  ASSERT_EQ(2, v.subscribed);
  fake_lock(&f);
  ASSERT_EQ(2, f.sessions);
  ASSERT_EQ_U64(1, f.subscribe_from[0]);
  ASSERT_EQ_U64(13, f.subscribe_from[1]); /* last seen (12) + 1 */
  fake_unlock(&f);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(resume_past_retained_history_is_an_explicit_gap) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_subscription *sub;
  seen v = {.contiguous = true, .stop_at = 40};
  gcmon_link_stats st;

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.newest = 5;
  f.drop_after_events = 10;
  f.tick = true;
  c = reconnecting_client(&f);
  ASSERT_EQ(0, gcmon_subscribe(c, 0, 1, on_event, &v, &sub, 0));
  fake_lock(&f);
  f.first_seq_override = 20; /* the resubscribe finds 11..19 gone */
  fake_unlock(&f);
  ASSERT_EQ(0, gcmon_client_run(c, 10000));
  ASSERT_EQ(1, v.gaps);
  ASSERT_EQ_U64(11, v.gap_first);
  ASSERT_EQ_U64(19, v.gap_last);
  ASSERT_TRUE(v.contiguous);
  gcmon_client_link_stats(c, &st);
  ASSERT_EQ_U64(1, st.seq_gaps);
  ASSERT_EQ_U64(9, st.seq_missing);
  ASSERT_EQ_U64(2, st.connects);
  ASSERT_EQ_U64(1, st.disconnects);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(an_event_lost_on_a_live_link_is_replayed_not_given_up) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_subscription *sub;
  seen v = {.contiguous = true, .stop_at = 30};
  gcmon_link_stats st;

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.newest = 3;
  f.tick = true;
  f.lose_live_seq = 12; /* damaged on the line: never arrives live */
  c = reconnecting_client(&f);
  ASSERT_EQ(0, gcmon_subscribe(c, 0, 1, on_event, &v, &sub, 0));
  ASSERT_EQ(0, gcmon_client_run(c, 10000));
  ASSERT_TRUE(v.n >= 30);
  ASSERT_TRUE(v.contiguous);
  ASSERT_EQ_U64(1, v.seqs[0]);
  ASSERT_EQ(0, v.gaps);
  ASSERT_EQ(0, v.link_downs); /* recovered on the same session */
  fake_lock(&f);
  ASSERT_EQ(1, f.sessions);
  ASSERT_EQ(2, f.subscribes);
  ASSERT_EQ_U64(12, f.subscribe_from[1]); /* from the hole */
  fake_unlock(&f);
  gcmon_client_link_stats(c, &st);
  ASSERT_EQ_U64(0, st.seq_gaps);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(daemon_restart_is_a_restart_event_then_the_new_run_from_seq_1) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_subscription *sub;
  seen v = {.contiguous = true, .stop_at = 1000};

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.newest = 8;
  c = reconnecting_client(&f);
  ASSERT_EQ(0, gcmon_subscribe(c, 0, 1, on_event, &v, &sub, 0));
  ASSERT_EQ(0, gcmon_client_run(c, 200));
  ASSERT_EQ(8, v.n);
  fake_lock(&f);
  f.run_id = 0x5678; /* a new daemon: seq starts again */
  f.newest = 3;
  fake_unlock(&f);
  fake_drop(&f);
  v.stop_at = 3;
  ASSERT_EQ(0, gcmon_client_run(c, 10000));
  ASSERT_EQ(1, v.restarts);
  ASSERT_EQ_U64(0x5678, v.new_run);
  ASSERT_EQ(3, v.n);
  ASSERT_EQ_U64(1, v.seqs[0]);
  ASSERT_EQ_U64(3, v.seqs[2]);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(a_daemon_restart_behind_an_open_serial_line_is_noticed_and_resumed) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_subscription *sub;
  gcmon_client_options o = {0};
  seen v = {.contiguous = true, .stop_at = 10};
  char uri[96];

  ASSERT_EQ(0, fake_start_pty(&f));
  f.newest = 5;
  f.tick = true;
  o.reconnect = true;
  o.backoff_min_ms = 20;
  snprintf(uri, sizeof uri, "serial://%s", f.pty_path);
  ASSERT_EQ(0, gcmon_client_init(&c, NULL, uri, &o));
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(0, gcmon_subscribe(c, 0, 1, on_event, &v, &sub, 0));
  ASSERT_EQ(0, gcmon_client_run(c, 10000));
  fake_lock(&f);
  f.forget = true; /* the board rebooted: same line, a new daemon */
  f.nsubs = 0;
  f.run_id = 0x9999;
  f.newest = 2;
  fake_unlock(&f);
  v.stop_at = 4;
  ASSERT_EQ(0, gcmon_client_run(c, 15000));
  ASSERT_EQ(1, v.restarts);
  ASSERT_EQ_U64(0x9999, v.new_run);
  ASSERT_EQ_U64(1, v.seqs[0]);
  ASSERT_TRUE(v.contiguous);
  gcmon_client_close(c);
  fake_stop(&f);
}

/* ---- history ----------------------------------------------------------- */

typedef struct {
  uint64_t n, last;
  bool ordered;
  int gaps;
} collected;

static void on_hist_sample(void *data, const gcmon_sample *s) {
  collected *h = data;
  if (s->seq != h->last + 1)
    h->ordered = false;
  h->last = s->seq;
  h->n++;
  assert_sample_is(s->seq, s);
}

static void on_hist_gap(void *data, uint64_t first, uint64_t last) {
  collected *h = data;
  if (first != h->last + 1)
    h->ordered = false;
  h->gaps++;
  h->last = last;
}

TEST(history_download_pipelines_requests_and_keeps_seq_order) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_history_options o = {0};
  collected h = {0, 0, true, 0};

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.newest = 203;
  c = open_tcp(&f, NULL);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  o.on_sample = on_hist_sample;
  o.on_gap = on_hist_gap;
  o.data = &h;
  ASSERT_EQ(0, gcmon_history_fetch(c, &o, 0));
  ASSERT_EQ_U64(203, h.n);
  ASSERT_TRUE(h.ordered);
  ASSERT_EQ(0, h.gaps);
  gcmon_client_close(c);
  fake_stop(&f);
  ASSERT_TRUE(f.max_history_in_flight >= 4);
}

TEST(history_from_an_evicted_seq_reports_the_gap_first) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_history_options o = {0};
  collected h = {0, 0, true, 0};

  ASSERT_EQ(0, fake_start_tcp(&f));
  f.oldest = 50;
  f.newest = 70;
  f.history_per_answer = 3; /* not the 4 the client first assumes */
  c = open_tcp(&f, NULL);
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  o.from_seq = 10;
  o.on_sample = on_hist_sample;
  o.on_gap = on_hist_gap;
  o.data = &h;
  h.last = 9;
  ASSERT_EQ(0, gcmon_history_fetch(c, &o, 0));
  ASSERT_EQ(1, h.gaps);
  ASSERT_EQ_U64(21, h.n);
  ASSERT_EQ_U64(70, h.last);
  ASSERT_TRUE(h.ordered);
  gcmon_client_close(c);
  fake_stop(&f);
}

/* ---- serial ------------------------------------------------------------ */

TEST(serial_target_on_a_pty_reads_a_sample) {
  fake_daemon f;
  gcmon_client *c;
  gcmon_sample s;
  char uri[96];

  ASSERT_EQ(0, fake_start_pty(&f));
  snprintf(uri, sizeof uri, "serial://%s?baud=921600", f.pty_path);
  ASSERT_EQ(0, gcmon_client_init(&c, NULL, uri, NULL));
  ASSERT_EQ(0, gcmon_client_connect(c, 0));
  ASSERT_EQ(0, gcmon_get_sample(c, &s, 0));
  assert_sample_is(0, &s);
  gcmon_client_close(c);
  fake_stop(&f);
}

TEST(serial_device_that_does_not_exist_is_enodev) {
  gcmon_client *c;
  ASSERT_EQ(0,
            gcmon_client_init(&c, NULL, "serial:///dev/gcmon-no-such", NULL));
  ASSERT_EQ(GCMON_ENODEV, gcmon_client_connect(c, 1000));
  ASSERT_TRUE(strstr(gcmon_client_errmsg(c), "/dev/gcmon-no-such"));
  gcmon_client_close(c);
}

TEST(blocking_calls_need_synchronous_mode_and_a_ready_session) {
  gcmon_client *c;
  gcmon_sample s;
  ASSERT_EQ(GCMON_EURI, gcmon_client_init(&c, NULL, "udp://x", NULL));
  ASSERT_TRUE(c == NULL);
  ASSERT_EQ(0, gcmon_client_init(&c, NULL, "tcp://127.0.0.1:1", NULL));
  ASSERT_EQ(GCMON_ECLOSED, gcmon_get_sample(c, &s, 0)); /* never started */
  gcmon_client_close(c);
}

#define GCMON_TESTS(X)                                                         \
  X(connect_says_hello_and_get_sample_returns_the_daemons_values)              \
  X(a_v1_daemon_gets_the_token_in_a_second_hello_unless_require_mac)          \
  X(daemon_status_is_an_error_code_with_its_message_kept)                      \
  X(closed_port_is_econnect_naming_the_address)                                \
  X(silent_daemon_times_out_after_the_timeout)                                 \
  X(session_refusal_is_elimit_with_the_daemons_reason)                         \
  X(link_drop_resumes_from_the_last_seq_with_no_hole)                          \
  X(resume_past_retained_history_is_an_explicit_gap)                           \
  X(an_event_lost_on_a_live_link_is_replayed_not_given_up)                     \
  X(daemon_restart_is_a_restart_event_then_the_new_run_from_seq_1)             \
  X(a_daemon_restart_behind_an_open_serial_line_is_noticed_and_resumed)        \
  X(history_download_pipelines_requests_and_keeps_seq_order)                   \
  X(history_from_an_evicted_seq_reports_the_gap_first)                         \
  X(serial_target_on_a_pty_reads_a_sample)                                     \
  X(serial_device_that_does_not_exist_is_enodev)                               \
  X(blocking_calls_need_synchronous_mode_and_a_ready_session)
#include "gcmon_test_main.h"
