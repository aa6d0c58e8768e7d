/* The scripted daemon (see fake_daemon.h). Requests are collected and
 * answered in order when input goes quiet for a poll period or four are
 * waiting, so a client that pipelines is seen doing so
 * (max_history_in_flight) without the test depending on timing. */
#define _XOPEN_SOURCE   700 /* posix_openpt, grantpt, ptsname */
#define _DEFAULT_SOURCE     /* usleep */
#include "fake_daemon.h"

#include "gcmon.pb-c.h"
#include "gcmon_frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define QUEUE_MAX 64

void fake_sample(uint64_t seq, gcmon_sample *s) {
  memset(s, 0, sizeof *s);
  s->seq = seq;
  s->uptime_us = 1000000 + seq * 10000;
  s->has_gc = true;
  s->gc.mem_alloc = 100000 + (int64_t)seq * 8;
  s->gc.mem_free = 900000 - (int64_t)seq * 8;
  s->gc.threshold = -1;
  s->gc.enabled = true;
  s->gc.collections = seq / 10;
  s->gc.largest_free = 500000;
  s->sys_total = 512u << 20;
  s->has_sys_heap = true;
  s->sys_heap.total = 32u << 20;
  s->sys_heap.used = (8u << 20) + seq;
  s->sys_heap.free = s->sys_heap.total - s->sys_heap.used;
  s->has_sys_page = true;
  s->sys_page.total = 200u << 20;
  s->sys_page.used = 50u << 20;
  s->sys_page.free = 150u << 20;
}

void fake_lock(fake_daemon *f) {
  pthread_mutex_lock(&f->mu);
}

void fake_unlock(fake_daemon *f) {
  pthread_mutex_unlock(&f->mu);
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct {
  Gcmon__V1__Sample s;
  Gcmon__V1__GcInfo gc;
  Gcmon__V1__MemInfo heap, page;
} pb_sample;

static void to_pb(const gcmon_sample *in, pb_sample *p) {
  gcmon__v1__sample__init(&p->s);
  gcmon__v1__gc_info__init(&p->gc);
  gcmon__v1__mem_info__init(&p->heap);
  gcmon__v1__mem_info__init(&p->page);
  p->s.seq = in->seq;
  p->s.uptime_us = in->uptime_us;
  p->s.sys_total = in->sys_total;
  p->gc.mem_alloc = in->gc.mem_alloc;
  p->gc.mem_free = in->gc.mem_free;
  p->gc.threshold = in->gc.threshold;
  p->gc.enabled = in->gc.enabled;
  p->gc.collections = in->gc.collections;
  p->gc.largest_free = in->gc.largest_free;
  p->s.gc = &p->gc;
  p->heap.total = in->sys_heap.total;
  p->heap.used = in->sys_heap.used;
  p->heap.free = in->sys_heap.free;
  p->s.sys_heap = &p->heap;
  p->page.total = in->sys_page.total;
  p->page.used = in->sys_page.used;
  p->page.free = in->sys_page.free;
  p->s.sys_page = &p->page;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

static void send_packet(fake_daemon *f, Gcmon__V1__Packet *pkt) {
  uint8_t payload[GCMON_MAX_PAYLOAD], wire[GCMON_FRAME_WIRE_MAX];
  size_t n = gcmon__v1__packet__get_packed_size(pkt), w;
  if (f->fd < 0 || n > sizeof payload)
    return;
  gcmon__v1__packet__pack(pkt, payload);
  w = gcmon_frame_encode(payload, n, wire, sizeof wire);
  write_all(f->fd, wire, w);
}

static void send_response(fake_daemon *f, Gcmon__V1__Response *r) {
  Gcmon__V1__Packet pkt = GCMON__V1__PACKET__INIT;
  pkt.kind_case = GCMON__V1__PACKET__KIND_RESPONSE;
  pkt.response = r;
  send_packet(f, &pkt);
}

static void send_status(fake_daemon *f, uint32_t id, int code,
                        const char *msg) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Status st = GCMON__V1__STATUS__INIT;
  st.code = (Gcmon__V1__Status__Code)code;
  st.message = (char *)(uintptr_t)msg;
  r.id = id;
  r.status = &st;
  send_response(f, &r);
}

static void send_event(fake_daemon *f, uint32_t sub, uint64_t seq) {
  Gcmon__V1__Packet pkt = GCMON__V1__PACKET__INIT;
  Gcmon__V1__Event ev = GCMON__V1__EVENT__INIT;
  gcmon_sample s;
  pb_sample p;

  fake_sample(seq, &s);
  to_pb(&s, &p);
  ev.subscription = sub;
  ev.body_case = GCMON__V1__EVENT__BODY_SAMPLE;
  ev.sample = &p.s;
  pkt.kind_case = GCMON__V1__PACKET__KIND_EVENT;
  pkt.event = &ev;
  send_packet(f, &pkt);
  f->events_sent++;
  f->session_events++;
}

/* ---- sessions ---------------------------------------------------------- */

static void end_session(fake_daemon *f) {
  if (f->fd >= 0 && f->listen_fd >= 0)
    close(f->fd);
  f->fd = -1;
  f->nsubs = 0;
}

static void begin_session(fake_daemon *f, int fd) {
  f->fd = fd;
  f->sessions++;
  f->nsubs = 0;
  f->next_sub_id = 1;
  f->session_events = 0;
  if (f->refuse) {
    send_status(f, 0, GCMON__V1__STATUS__CODE__RESOURCE_EXHAUSTED,
                "session limit 1 reached");
    end_session(f);
  }
}

static void maybe_drop(fake_daemon *f) {
  if (f->drop_after_events && f->session_events >= f->drop_after_events) {
    f->drop_after_events = 0;
    end_session(f);
  }
}

static void reply_sample(fake_daemon *f, uint32_t id, const gcmon_sample *s) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  pb_sample p;
  to_pb(s, &p);
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_SAMPLE;
  r.sample = &p.s;
  send_response(f, &r);
}

static void on_hello(fake_daemon *f, uint32_t id) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__HelloResponse h = GCMON__V1__HELLO_RESPONSE__INIT;
  f->hellos++;
  f->nsubs = 0;
  f->forget = false;
  h.version = 1;
  h.daemon = (char *)(uintptr_t) "fakegcmond 1.0";
  h.source = (char *)(uintptr_t) "sim";
  h.device_id = (char *)(uintptr_t) "fake-1";
  h.run_id = f->run_id;
  h.max_payload = 1024;
  h.history_capacity = 1024;
  h.min_interval_ms = f->min_interval_ms;
  h.control = 1;
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_HELLO;
  r.hello = &h;
  send_response(f, &r);
}

static void on_subscribe(fake_daemon *f, uint32_t id,
                         const Gcmon__V1__SubscribeRequest *q) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__Subscribed g = GCMON__V1__SUBSCRIBED__INIT;
  uint64_t first;
  uint32_t sub = f->next_sub_id++;

  if (f->subscribes < 16)
    f->subscribe_from[f->subscribes] = q->from_seq;
  f->subscribes++;
  if (f->first_seq_override) {
    first = f->first_seq_override;
    f->first_seq_override = 0;
    if (f->newest < first - 1)
      f->newest = first - 1; /* the seqs before first are gone */
  } else if (q->from_seq) {
    first = q->from_seq > f->oldest ? q->from_seq : f->oldest;
  } else {
    first = f->newest + 1;
  }
  g.subscription = sub;
  g.interval_ms = f->min_interval_ms;
  g.first_seq = first;
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_SUBSCRIBED;
  r.subscribed = &g;
  send_response(f, &r);
  if (f->nsubs < FAKE_SUBS_MAX)
    f->sub_ids[f->nsubs++] = sub;
  for (uint64_t s = first; s <= f->newest && f->fd >= 0; s++) {
    send_event(f, sub, s);
    maybe_drop(f);
  }
}

static void on_history(fake_daemon *f, uint32_t id,
                       const Gcmon__V1__GetHistoryRequest *q) {
  Gcmon__V1__Response r = GCMON__V1__RESPONSE__INIT;
  Gcmon__V1__History h = GCMON__V1__HISTORY__INIT;
  pb_sample ps[8];
  Gcmon__V1__Sample *ptrs[8];
  uint32_t per = f->history_per_answer ? f->history_per_answer : 4;
  uint64_t from = q->from_seq > f->oldest ? q->from_seq : f->oldest;
  size_t n = 0;

  f->history_requests++;
  for (uint64_t s = from; s <= f->newest && n < per && n < 8; s++) {
    gcmon_sample smp;
    fake_sample(s, &smp);
    to_pb(&smp, &ps[n]);
    ptrs[n] = &ps[n].s;
    n++;
  }
  h.n_samples = n;
  h.samples = ptrs;
  h.next_seq = n ? from + n : from;
  h.oldest_seq = f->oldest;
  r.id = id;
  r.result_case = GCMON__V1__RESPONSE__RESULT_HISTORY;
  r.history = &h;
  send_response(f, &r);
  if (f->history_requests < 64 && f->history_lap[f->history_requests]) {
    f->oldest += f->history_lap[f->history_requests];
    f->newest += f->history_lap[f->history_requests];
  }
}

static void handle(fake_daemon *f, const Gcmon__V1__Request *q) {
  gcmon_sample s;
  fake_sample(0, &s);
  if (f->forget && q->call_case != GCMON__V1__REQUEST__CALL_HELLO) {
    send_status(f, q->id, GCMON__V1__STATUS__CODE__FAILED_PRECONDITION,
                "hello first");
    return;
  }
  switch (q->call_case) {
  case GCMON__V1__REQUEST__CALL_HELLO:
    on_hello(f, q->id);
    break;
  case GCMON__V1__REQUEST__CALL_GET_SAMPLE:
    reply_sample(f, q->id, &s);
    break;
  case GCMON__V1__REQUEST__CALL_SET_THRESHOLD:
    s.gc.threshold = q->set_threshold->bytes < 0 ? -1 : q->set_threshold->bytes;
    reply_sample(f, q->id, &s);
    break;
  case GCMON__V1__REQUEST__CALL_SET_ENABLED:
    s.gc.enabled = q->set_enabled->enabled != 0;
    reply_sample(f, q->id, &s);
    break;
  case GCMON__V1__REQUEST__CALL_COLLECT:
    send_status(f, q->id, GCMON__V1__STATUS__CODE__PERMISSION_DENIED,
                "control needs the token");
    break;
  case GCMON__V1__REQUEST__CALL_SUBSCRIBE:
    on_subscribe(f, q->id, q->subscribe);
    break;
  case GCMON__V1__REQUEST__CALL_UNSUBSCRIBE:
    f->nsubs = 0;
    send_status(f, q->id, 0, "");
    break;
  case GCMON__V1__REQUEST__CALL_GET_HISTORY:
    on_history(f, q->id, q->get_history);
    break;
  default:
    send_status(f, q->id, GCMON__V1__STATUS__CODE__UNIMPLEMENTED, "");
    break;
  }
}

/* ---- the thread -------------------------------------------------------- */

typedef struct {
  Gcmon__V1__Request *q[QUEUE_MAX];
  int n;
} queue;

static void flush(fake_daemon *f, queue *qu) {
  int hist = 0;
  for (int i = 0; i < qu->n; i++)
    if (qu->q[i]->call_case == GCMON__V1__REQUEST__CALL_GET_HISTORY)
      hist++;
  if (hist > f->max_history_in_flight)
    f->max_history_in_flight = hist;
  for (int i = 0; i < qu->n; i++) {
    if (!f->silent && f->fd >= 0)
      handle(f, qu->q[i]);
    gcmon__v1__request__free_unpacked(qu->q[i], NULL);
  }
  qu->n = 0;
}

static void take_input(fake_daemon *f, gcmon_frame_decoder *dec, queue *qu,
                       const uint8_t *p, size_t n) {
  while (n > 0) {
    size_t used;
    gcmon_frame_status st = gcmon_frame_decoder_feed(dec, p, n, &used);
    p += used;
    n -= used;
    if (st == GCMON_FRAME_READY) {
      Gcmon__V1__Packet *pkt =
          gcmon__v1__packet__unpack(NULL, dec->payload_len, dec->buf);
      if (pkt && pkt->kind_case == GCMON__V1__PACKET__KIND_REQUEST &&
          qu->n < QUEUE_MAX) {
        qu->q[qu->n++] = pkt->request;
        pkt->request = NULL;
        pkt->kind_case = GCMON__V1__PACKET__KIND__NOT_SET;
      }
      if (pkt)
        gcmon__v1__packet__free_unpacked(pkt, NULL);
      if (qu->n >= 4)
        flush(f, qu);
    }
  }
}

static void *run(void *arg) {
  fake_daemon *f = arg;
  uint8_t buf[GCMON_FRAME_MAX], in[4096];
  gcmon_frame_decoder dec;
  queue qu = {{0}, 0};

  gcmon_frame_decoder_init(&dec, buf, sizeof buf);
  for (;;) {
    struct pollfd p = {f->fd >= 0 ? f->fd : f->listen_fd, POLLIN, 0};
    int r;

    fake_lock(f);
    if (f->stop) {
      fake_unlock(f);
      break;
    }
    fake_unlock(f);
    r = poll(&p, 1, 10);
    fake_lock(f);
    if (r > 0 && f->fd < 0) {
      int fd = accept(f->listen_fd, NULL, NULL);
      if (fd >= 0) {
        gcmon_frame_decoder_init(&dec, buf, sizeof buf);
        begin_session(f, fd);
      }
    } else if (r > 0) {
      ssize_t n = read(f->fd, in, sizeof in);
      if (n > 0)
        take_input(f, &dec, &qu, in, (size_t)n);
      else if (f->listen_fd >= 0)
        end_session(f); /* TCP peer gone */
      else
        usleep(5000); /* pty with no one on the other side */
    } else if (r == 0) {
      flush(f, &qu);
      if (f->tick && f->fd >= 0 && f->nsubs > 0) {
        f->newest++;
        if (f->newest == f->lose_live_seq) {
          f->lose_live_seq = 0;
          fake_unlock(f);
          continue;
        }
        for (int i = 0; i < f->nsubs && f->fd >= 0; i++) {
          send_event(f, f->sub_ids[i], f->newest);
          maybe_drop(f);
        }
      }
    }
    fake_unlock(f);
  }
  flush(f, &qu);
  return NULL;
}

static void defaults(fake_daemon *f) {
  memset(f, 0, sizeof *f);
  pthread_mutex_init(&f->mu, NULL);
  f->listen_fd = f->master_fd = f->fd = -1;
  f->run_id = 0x1234;
  f->min_interval_ms = 10;
  f->oldest = 1;
  f->newest = 0;
}

int fake_start_tcp(fake_daemon *f) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1;

  defaults(f);
  f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (f->listen_fd < 0)
    return -1;
  setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(f->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(f->listen_fd, 4) != 0 ||
      getsockname(f->listen_fd, (struct sockaddr *)&a, &len) != 0)
    return -1;
  f->port = ntohs(a.sin_port);
  return pthread_create(&f->thread, NULL, run, f);
}

int fake_start_pty(fake_daemon *f) {
  const char *name;

  defaults(f);
  f->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (f->master_fd < 0 || grantpt(f->master_fd) != 0 ||
      unlockpt(f->master_fd) != 0 || !(name = ptsname(f->master_fd)))
    return -1;
  snprintf(f->pty_path, sizeof f->pty_path, "%s", name);
  begin_session(f, f->master_fd);
  return pthread_create(&f->thread, NULL, run, f);
}

void fake_drop(fake_daemon *f) {
  fake_lock(f);
  end_session(f);
  fake_unlock(f);
}

void fake_stop(fake_daemon *f) {
  fake_lock(f);
  f->stop = true;
  fake_unlock(f);
  pthread_join(f->thread, NULL);
  end_session(f);
  if (f->listen_fd >= 0)
    close(f->listen_fd);
  if (f->master_fd >= 0)
    close(f->master_fd);
  pthread_mutex_destroy(&f->mu);
}
