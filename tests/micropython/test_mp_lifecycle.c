/* gcmon.start(), stop() and status() called from several Python threads at
 * once (lifecycle.h), with real threads against the pretend VM: a "GIL"
 * that each pretend Python thread holds while it runs, as on the GIL build,
 * and a T2 that is a plain detached thread serving the fake VM, as
 * mp_thread_create() makes it. Run it under ASan (scripts/test --asan) or
 * TSan to see the memory side: a double free, a use after free or a leaked
 * instance fails it there; the counts fail it anywhere. */
#define _POSIX_C_SOURCE 200809L
#include "fake_vm.h"
#include "gcmon_test.h"
#include "lifecycle.h"

#include "gcmon/error.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The pretend GIL of the pretend Python threads. */
typedef struct py {
  pthread_mutex_t gil;
  fake_vm vm;
} py;

static void gil_exit(void *ctx) {
  pthread_mutex_unlock(&((py *)ctx)->gil);
}

static void gil_enter(void *ctx) {
  pthread_mutex_lock(&((py *)ctx)->gil);
}

static void *t2_entry(void *arg) {
  gcmon_mp_instance *inst = arg;
  gcmon_mp_life_worker(inst);
  gcmon_mp_life_worker_finished(inst);
  return NULL;
}

static int spawn(void *ctx, gcmon_mp_instance *inst) {
  pthread_t t;
  pthread_attr_t attr;
  int e;

  (void)ctx;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  e = pthread_create(&t, &attr, t2_entry, inst);
  pthread_attr_destroy(&attr);
  return e == 0 ? 0 : GCMON_ENOMEM;
}

static void vm_init(void *ctx, gcmon_mp_vm *vm, void *state) {
  (void)state;
  *vm = fake_vm_ops(&((py *)ctx)->vm);
}

typedef struct rig {
  py p;
  gcmon_mp_life life;
  gcmon_mp_host host;
  gcmon_mp_runner_config cfg;
} rig;

static void rig_open(rig *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->p.gil, NULL);
  fake_vm_init(&r->p.vm, 1u << 20);
  r->life = (gcmon_mp_life)GCMON_MP_LIFE_INIT;
  r->host = (gcmon_mp_host){.ctx = &r->p,
                            .release = gil_exit,
                            .reacquire = gil_enter,
                            .spawn = spawn,
                            .vm_state_size = 16,
                            .vm_init = vm_init,
                            .worker_poll_ms = 10};
  r->cfg.listen = "127.0.0.1:0";
  r->cfg.interval_ms = 10;
  r->cfg.scan_ms = 0;
  r->cfg.call_timeout_ms = 2000;
  r->cfg.device_id = "micropython/fake";
}

static void rig_close(rig *r) {
  fake_vm_destroy(&r->p.vm);
  pthread_mutex_destroy(&r->p.gil);
}

/* What a Python call does: hold the GIL around the module function. */
static int py_start(rig *r) {
  char err[GCMON_MP_LAST_ERROR_MAX];
  int rc;
  gil_enter(&r->p);
  rc = gcmon_mp_life_start(&r->life, &r->host, &r->cfg, err, sizeof err);
  gil_exit(&r->p);
  return rc;
}

static bool py_stop(rig *r) {
  bool stopped;
  gil_enter(&r->p);
  stopped = gcmon_mp_life_stop(&r->life, &r->host);
  gil_exit(&r->p);
  return stopped;
}

static gcmon_mp_life_view py_status(rig *r) {
  gcmon_mp_life_view v;
  gil_enter(&r->p);
  gcmon_mp_life_status(&r->life, &v);
  gil_exit(&r->p);
  return v;
}

typedef struct looper {
  rig *r;
  atomic_bool stop;
  unsigned long calls, running_seen;
} looper;

static void *status_loop(void *arg) {
  looper *l = arg;
  while (!atomic_load(&l->stop)) {
    gcmon_mp_life_view v = py_status(l->r);
    l->calls++;
    l->running_seen += v.running;
    if (v.running && v.port <= 0)
      abort(); /* a running instance always has its bound port */
    /* As Python between two calls: the pretend GIL is an unfair mutex, and
     * a thread taking it back at once starves its waiters (T2, the
     * starter) for minutes under valgrind, which runs one thread at a
     * time and switches only at a blocking call like this one. */
    sched_yield();
  }
  return NULL;
}

TEST(status_in_a_loop_while_another_thread_starts_and_stops_200_times) {
  rig r;
  looper l = {.r = &r};
  pthread_t t;

  rig_open(&r);
  pthread_create(&t, NULL, status_loop, &l);
  for (int i = 0; i < 200; i++) {
    ASSERT_EQ(0, py_start(&r));
    ASSERT_TRUE(py_stop(&r));
  }
  atomic_store(&l.stop, true);
  pthread_join(t, NULL);
  ASSERT_TRUE(l.calls > 0);
  ASSERT_TRUE(!py_status(&r).present);
  ASSERT_TRUE(!py_stop(&r));
  rig_close(&r);
}

typedef struct caller {
  rig *r;
  pthread_barrier_t *go;
  int rc;
  bool stopped;
} caller;

static void *start_at_once(void *arg) {
  caller *c = arg;
  pthread_barrier_wait(c->go);
  c->rc = py_start(c->r);
  return NULL;
}

static void *stop_at_once(void *arg) {
  caller *c = arg;
  pthread_barrier_wait(c->go);
  c->stopped = py_stop(c->r);
  return NULL;
}

/* n threads call fn at the same moment; returns them in c. */
static void at_once(rig *r, void *(*fn)(void *), caller *c, unsigned n) {
  pthread_barrier_t go;
  pthread_t t[8];

  pthread_barrier_init(&go, NULL, n);
  for (unsigned i = 0; i < n; i++) {
    c[i] = (caller){.r = r, .go = &go};
    pthread_create(&t[i], NULL, fn, &c[i]);
  }
  for (unsigned i = 0; i < n; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&go);
}

TEST(of_two_stops_at_once_one_stops_and_the_other_finds_nothing) {
  rig r;
  caller c[2];

  rig_open(&r);
  for (int i = 0; i < 100; i++) {
    ASSERT_EQ(0, py_start(&r));
    at_once(&r, stop_at_once, c, 2);
    ASSERT_EQ(1, (int)c[0].stopped + (int)c[1].stopped);
    ASSERT_TRUE(!py_status(&r).present);
  }
  rig_close(&r);
}

TEST(of_three_starts_at_once_one_runs_and_one_stop_stops_everything) {
  rig r;
  caller c[3];

  rig_open(&r);
  for (int i = 0; i < 50; i++) {
    int ok = 0, busy = 0;
    at_once(&r, start_at_once, c, 3);
    for (int k = 0; k < 3; k++) {
      ok += c[k].rc == 0;
      busy += c[k].rc == GCMON_EBUSY;
    }
    ASSERT_EQ(1, ok);
    ASSERT_EQ(2, busy);
    ASSERT_TRUE(py_status(&r).running);
    ASSERT_TRUE(py_stop(&r));
    ASSERT_TRUE(!py_status(&r).present);
    ASSERT_TRUE(!py_stop(&r));
  }
  rig_close(&r);
}

TEST(a_worker_the_vm_ended_is_reaped_once_and_start_works_again) {
  rig r;
  gcmon_mp_life_view v;

  rig_open(&r);
  ASSERT_EQ(0, py_start(&r));
  fake_vm_set_exit(&r.p.vm); /* a soft reset: T2 leaves by itself */
  do {
    v = py_status(&r);
    sched_yield(); /* let T2 take life's lock to finish (status_loop) */
  } while (v.running);
  pthread_mutex_lock(&r.p.vm.mu);
  r.p.vm.exit_wanted = false;
  pthread_mutex_unlock(&r.p.vm.mu);
  ASSERT_EQ(0, py_start(&r)); /* the finished one is freed first */
  ASSERT_TRUE(py_status(&r).running);
  ASSERT_TRUE(py_stop(&r));
  rig_close(&r);
}

/* serve_console() on a socket pair: the test writes the host's bytes. */
typedef struct console_call {
  rig *r;
  int fd; /* the board's end */
  int rc;
  gcmon_mp_console_result res;
} console_call;

static int sock_read(void *ctx, uint8_t *buf, size_t cap, unsigned timeout_ms,
                     int wake_fd) {
  console_call *c = ctx;
  struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                        {.fd = wake_fd, .events = POLLIN}};
  if (poll(p, 2, (int)timeout_ms) <= 0 || !(p[0].revents & POLLIN))
    return 0;
  return read(c->fd, buf, cap) > 0 ? 1 : GCMON_EIO;
}

static int sock_write(void *ctx, const uint8_t *buf, size_t n) {
  console_call *c = ctx;
  return write(c->fd, buf, n) == (ssize_t)n ? 0 : GCMON_EIO;
}

static uint64_t now_ms(void *ctx) {
  struct timespec ts;
  (void)ctx;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void console_lock(void *ctx) {
  gil_enter(&((console_call *)ctx)->r->p);
}

static void console_unlock(void *ctx) {
  gil_exit(&((console_call *)ctx)->r->p);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

typedef struct stopper {
  rig *r;
  bool stopped;
  atomic_bool done;
} stopper;

static void *serve_call(void *arg) {
  console_call *c = arg;
  gcmon_mp_console_io io = {.ctx = c, .read = sock_read, .write = sock_write,
                            .now_ms = now_ms, .lock = console_lock,
                            .unlock = console_unlock};
  gcmon_mp_runner_config idle = c->r->cfg;
  char err[GCMON_MP_LAST_ERROR_MAX];

  idle.listen = NULL;
  gil_enter(&c->r->p);
  c->rc = gcmon_mp_life_serve_console(&c->r->life, &c->r->host, &idle, &io,
                                      5000, &c->res, err, sizeof err);
  gil_exit(&c->r->p);
  return NULL;
}

static void *stop_call(void *arg) {
  stopper *c = arg;
  c->stopped = py_stop(c->r);
  atomic_store(&c->done, true);
  return NULL;
}

TEST(serve_console_starts_its_own_instance_and_pins_a_running_one) {
  rig r;
  int sv[2];
  console_call c = {0};
  stopper st = {0};
  pthread_t t, s;

  rig_open(&r);
  ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  c.r = &r;
  c.fd = sv[0];
  /* Nothing running: the call starts an instance and stops it after. */
  pthread_create(&t, NULL, serve_call, &c);
  while (!py_status(&r).running)
    sleep_ms(1);
  ASSERT_EQ(1, (int)write(sv[1], "\x03", 1)); /* the host closes */
  pthread_join(t, NULL);
  ASSERT_EQ(0, c.rc);
  ASSERT_EQ(GCMON_MP_CONSOLE_CLOSED, c.res.end);
  ASSERT_TRUE(!py_status(&r).present);
  /* Running: the call uses it, and a stop() waits for the call. */
  ASSERT_EQ(0, py_start(&r));
  pthread_create(&t, NULL, serve_call, &c);
  sleep_ms(50);
  st.r = &r;
  pthread_create(&s, NULL, stop_call, &st);
  sleep_ms(100);
  ASSERT_TRUE(!atomic_load(&st.done));
  ASSERT_TRUE(py_status(&r).running);
  ASSERT_EQ(1, (int)write(sv[1], "\x03", 1));
  pthread_join(t, NULL);
  pthread_join(s, NULL);
  ASSERT_EQ(GCMON_MP_CONSOLE_CLOSED, c.res.end);
  ASSERT_TRUE(st.stopped);
  ASSERT_TRUE(!py_status(&r).present);
  close(sv[0]);
  close(sv[1]);
  rig_close(&r);
}

#define GCMON_TESTS(X)                                                         \
  X(status_in_a_loop_while_another_thread_starts_and_stops_200_times)          \
  X(of_two_stops_at_once_one_stops_and_the_other_finds_nothing)                \
  X(of_three_starts_at_once_one_runs_and_one_stop_stops_everything)            \
  X(a_worker_the_vm_ended_is_reaped_once_and_start_works_again)              \
  X(serve_console_starts_its_own_instance_and_pins_a_running_one)
#include "gcmon_test_main.h"
