/* The `gcmon` Python module: gcmon.start(), stop(), status(), and the VM
 * worker thread T2 they create.
 *
 *     import gcmon
 *     gcmon.start(port=7230, uart=None, baud=115200, interval_ms=1000,
 *                 token=None, scan_ms=1000, timeout_ms=2000)
 *     gcmon.status()   # {'running': True, 'port': 7230, 'samples': 12, ...}
 *     gcmon.stop()
 *
 * start() creates T2 with mp_thread_create(); T2 registers with the VM in
 * py/modthread.c's order, starts the loop thread T1 (runner.h), reports
 * back, and then serves T1's requests (mailbox.h) until stop() or a soft
 * reset, when it stops T1 and calls mp_thread_finish(). T2 is never joined
 * (ports create VM threads detached): stop() waits for T2's "finished" with
 * the GIL released. docs/micropython.md has the whole design.
 *
 * The module's state is one static pointer and one static mutex/condvar
 * pair: a process has one VM, hence one agent, and the handshake objects
 * must outlive the instance they guard (T2's last act is to signal them).
 * Everything else lives in one calloc() block, never on the gc heap. */
#include "mailbox.h"
#include "runner.h"
#include "vm_micropython.h"

#include "py/mperrno.h"
#include "py/mpthread.h"
#include "py/obj.h"
#include "py/runtime.h"
#include "py/stackctrl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GCMON_MP_K230
#define GCMON_MP_K230 0
#endif

#define T2_STACK_SIZE   (32u * 1024u)
/* What ports keep below the stack limit (unix and CanMV: 8 KiB). */
#define T2_STACK_MARGIN (8u * 1024u)
#define T2_POLL_MS      50u

enum { STARTING, RUNNING, FAILED, FINISHED };

typedef struct instance {
  gcmon_mp_mailbox mb;
  gcmon_mp_vm vm;
  gcmon_mp_vm_state vm_state;
  gcmon_mp_runner_config cfg;
  char listen[32];
  char uart[128];
  uint8_t token[64];
  int port; /* as asked; -1 = no TCP */
  size_t stack_size;
  mp_obj_dict_t *locals, *globals;
  /* Under life_mu: */
  int phase;
  char error[GCMON_MP_LAST_ERROR_MAX];
  gcmon_mp_runner *runner;     /* while T1 runs */
  gcmon_mp_status last_status; /* once T1 stopped */
} instance;

static instance *current;
static pthread_mutex_t life_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t life_cv = PTHREAD_COND_INITIALIZER;

static void set_phase(instance *g, int phase) {
  pthread_mutex_lock(&life_mu);
  g->phase = phase;
  pthread_cond_broadcast(&life_cv);
  pthread_mutex_unlock(&life_mu);
}

/* From Python: wait for g to reach phase (or a later one) with the GIL
 * released meanwhile (T2 may need it); returns the phase seen. Condition
 * waits do not fail on the unix GC signal. */
static int wait_phase(instance *g, int phase) {
  int seen;

  MP_THREAD_GIL_EXIT();
  pthread_mutex_lock(&life_mu);
  while (g->phase < phase)
    pthread_cond_wait(&life_cv, &life_mu);
  seen = g->phase;
  pthread_mutex_unlock(&life_mu);
  MP_THREAD_GIL_ENTER();
  return seen;
}

/* py/modthread.c thread_entry's set-up, steps before GIL_ENTER. */
static void register_thread(mp_state_thread_t *ts, instance *g) {
  memset(ts, 0, sizeof *ts);    /* v1.21 leaves nlr_jump_callback_top unset */
#if MICROPY_VERSION >= 0x011700 /* v1.23: one inline does it */
  mp_thread_init_state(ts, g->stack_size, g->locals, g->globals);
#else
  mp_thread_set_state(ts);
  mp_stack_set_top(ts + 1); /* ts is scanned as a root */
  mp_stack_set_limit(g->stack_size);
  ts->gc_lock_depth = 0;
  ts->mp_pending_exception = MP_OBJ_NULL;
  mp_locals_set(g->locals);
  mp_globals_set(g->globals);
#endif
}

static void *t2_main(void *arg) {
  instance *g = arg;
  mp_state_thread_t ts;
  char err[GCMON_MP_LAST_ERROR_MAX] = "";
  gcmon_mp_runner *runner = NULL;
  int rc;

  register_thread(&ts, g);
  MP_THREAD_GIL_ENTER();
  mp_thread_start(); /* from here collections scan and signal us */
  MP_THREAD_GIL_EXIT();

  rc = gcmon_mp_runner_start(&runner, &g->cfg, err, sizeof err);
  pthread_mutex_lock(&life_mu);
  g->runner = runner;
  snprintf(g->error, sizeof g->error, "%s", err);
  g->phase = rc == 0 ? RUNNING : FAILED;
  pthread_cond_broadcast(&life_cv);
  pthread_mutex_unlock(&life_mu);

  if (rc == 0) {
    gcmon_mp_mailbox_serve(&g->mb, &g->vm, T2_POLL_MS);
    gcmon_mp_mailbox_close(&g->mb); /* T1 must not wait on us now */
    pthread_mutex_lock(&life_mu);
    gcmon_mp_runner_status(runner, &g->last_status);
    g->runner = NULL;
    pthread_mutex_unlock(&life_mu);
    gcmon_mp_runner_stop(runner);
  }

  MP_THREAD_GIL_ENTER();
  mp_thread_finish();
  MP_THREAD_GIL_EXIT();
  set_phase(g, FINISHED); /* g may be freed from here on */
  return NULL;
}

static void destroy(instance *g) {
  gcmon_mp_mailbox_destroy(&g->mb);
  free(g);
}

/* A T2 that left on its own (soft reset) is reaped on the next call. */
static void reap_finished(void) {
  bool done;

  if (current == NULL)
    return;
  pthread_mutex_lock(&life_mu);
  done = current->phase == FINISHED;
  pthread_mutex_unlock(&life_mu);
  if (done) {
    destroy(current);
    current = NULL;
  }
}

static void copy_args(instance *g, mp_obj_t port, mp_obj_t uart, mp_int_t baud,
                      mp_int_t interval_ms, mp_obj_t token, mp_int_t scan_ms,
                      mp_int_t timeout_ms) {
  if (interval_ms < 10)
    mp_raise_ValueError(MP_ERROR_TEXT("interval_ms must be at least 10"));
  if (baud <= 0 || scan_ms < 0 || timeout_ms <= 0)
    mp_raise_ValueError(MP_ERROR_TEXT("baud, scan_ms or timeout_ms"));
  g->port = -1;
  if (port != mp_const_none) {
    mp_int_t p = mp_obj_get_int(port);
    if (p < 0 || p > 65535)
      mp_raise_ValueError(MP_ERROR_TEXT("port must be 0..65535"));
    g->port = (int)p;
    snprintf(g->listen, sizeof g->listen, "0.0.0.0:%d", g->port);
    g->cfg.listen = g->listen;
  }
  if (uart != mp_const_none) {
    size_t n;
    const char *s = mp_obj_str_get_data(uart, &n);
    if (n == 0 || n >= sizeof g->uart)
      mp_raise_ValueError(MP_ERROR_TEXT("uart path"));
    memcpy(g->uart, s, n);
    g->cfg.uart = g->uart;
  }
  if (token != mp_const_none) {
    mp_buffer_info_t b;
    mp_get_buffer_raise(token, &b, MP_BUFFER_READ);
    if (b.len == 0 || b.len > sizeof g->token)
      mp_raise_ValueError(MP_ERROR_TEXT("token must be 1..64 bytes"));
    memcpy(g->token, b.buf, b.len);
    g->cfg.token = g->token;
    g->cfg.token_len = b.len;
  }
  if (g->cfg.listen == NULL && g->cfg.uart == NULL)
    mp_raise_ValueError(MP_ERROR_TEXT("need a port or a uart"));
  g->cfg.baud = (unsigned)baud;
  g->cfg.interval_ms = (uint32_t)interval_ms;
  g->cfg.scan_ms = (unsigned)scan_ms;
  g->cfg.call_timeout_ms = (unsigned)timeout_ms;
  g->cfg.mailbox = &g->mb;
  g->cfg.sys_source = GCMON_MP_K230 ? "k230" : NULL;
  g->cfg.device_id = GCMON_MP_K230 ? "micropython/k230" : "micropython/unix";
}

static mp_obj_t gcmon_start(size_t n_args, const mp_obj_t *pos_args,
                            mp_map_t *kw_args) {
  enum { PORT, UART, BAUD, INTERVAL, TOKEN, SCAN, TIMEOUT };
  static const mp_arg_t allowed[] = {
      {MP_QSTR_port, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(7230)}},
      {MP_QSTR_uart, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
      {MP_QSTR_baud, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 115200}},
      {MP_QSTR_interval_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 1000}},
      {MP_QSTR_token, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
      {MP_QSTR_scan_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 1000}},
      {MP_QSTR_timeout_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 2000}},
  };
  mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
  nlr_buf_t nlr;
  instance *g;

  mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed,
                   a);
  reap_finished();
  if (current != NULL)
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("gcmon already running"));
  g = calloc(1, sizeof *g);
  if (g == NULL)
    mp_raise_OSError(MP_ENOMEM);
  if (nlr_push(&nlr) == 0) {
    copy_args(g, a[PORT].u_obj, a[UART].u_obj, a[BAUD].u_int, a[INTERVAL].u_int,
              a[TOKEN].u_obj, a[SCAN].u_int, a[TIMEOUT].u_int);
    nlr_pop();
  } else {
    free(g);
    nlr_jump(nlr.ret_val);
  }
  if (gcmon_mp_mailbox_init(&g->mb) != 0) {
    free(g);
    mp_raise_OSError(MP_ENOMEM);
  }
  gcmon_mp_vm_micropython(&g->vm, &g->vm_state);
  g->phase = STARTING;
  g->locals = mp_locals_get();
  g->globals = mp_globals_get();
  g->stack_size = T2_STACK_SIZE - T2_STACK_MARGIN; /* T2 reads only this */
  if (nlr_push(&nlr) == 0) {
    size_t stack = T2_STACK_SIZE; /* mp_thread_create() may adjust it */
    mp_thread_create(t2_main, g, &stack);
    nlr_pop();
  } else {
    destroy(g);
    nlr_jump(nlr.ret_val);
  }
  if (wait_phase(g, RUNNING) != RUNNING) { /* failed, or gone at once */
    char msg[GCMON_MP_LAST_ERROR_MAX];
    wait_phase(g, FINISHED);
    snprintf(msg, sizeof msg, "%s",
             g->error[0] ? g->error : "the VM stopped it at once");
    destroy(g);
    mp_raise_msg_varg(&mp_type_OSError, MP_ERROR_TEXT("gcmon: %s"), msg);
  }
  current = g;
  return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(gcmon_start_obj, 0, gcmon_start);

static mp_obj_t gcmon_stop(void) {
  instance *g = current;

  if (g == NULL)
    return mp_const_false;
  gcmon_mp_mailbox_close(&g->mb); /* T2 leaves serve(), stops T1 */
  wait_phase(g, FINISHED);
  current = NULL;
  destroy(g);
  return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_0(gcmon_stop_obj, gcmon_stop);

static void put(mp_obj_t d, qstr key, mp_obj_t value) {
  mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(key), value);
}

static mp_obj_t u64(uint64_t v) {
  return mp_obj_new_int_from_ull(v);
}

static mp_obj_t gcmon_status(void) {
  mp_obj_t d = mp_obj_new_dict(20);
  instance *g;
  gcmon_mp_status st;
  bool running = false;

  reap_finished();
  g = current;
  memset(&st, 0, sizeof st);
  if (g != NULL) {
    pthread_mutex_lock(&life_mu);
    running = g->runner != NULL;
    if (running)
      gcmon_mp_runner_status(g->runner, &st);
    else
      st = g->last_status;
    pthread_mutex_unlock(&life_mu);
  }
  put(d, MP_QSTR_running, mp_obj_new_bool(running));
  put(d, MP_QSTR_gil, mp_obj_new_bool(MICROPY_PY_THREAD_GIL));
  put(d, MP_QSTR_port,
      g && g->port >= 0 ? mp_obj_new_int(st.tcp_port) : mp_const_none);
  put(d, MP_QSTR_uart,
      g && g->cfg.uart ? mp_obj_new_str(g->uart, strlen(g->uart))
                       : mp_const_none);
  put(d, MP_QSTR_interval_ms,
      g ? mp_obj_new_int(g->cfg.interval_ms) : mp_const_none);
  put(d, MP_QSTR_scan_ms, g ? mp_obj_new_int(g->cfg.scan_ms) : mp_const_none);
  put(d, MP_QSTR_samples, u64(st.samples));
  put(d, MP_QSTR_sessions, mp_obj_new_int(st.sessions));
  put(d, MP_QSTR_sessions_opened, u64(st.sessions_opened));
  put(d, MP_QSTR_requests, u64(st.requests));
  put(d, MP_QSTR_read_errors, u64(st.read_errors));
  put(d, MP_QSTR_vm_served, u64(st.vm.served));
  put(d, MP_QSTR_vm_withdrawn, u64(st.vm.withdrawn));
  put(d, MP_QSTR_vm_overran, u64(st.vm.overran));
  put(d, MP_QSTR_scans, u64(st.vm.scans));
  put(d, MP_QSTR_scan_us_avg,
      u64(st.vm.scans ? st.vm.scan_us_total / st.vm.scans : 0));
  put(d, MP_QSTR_scan_us_max, u64(st.vm.scan_us_max));
  put(d, MP_QSTR_last_error,
      st.last_error[0] ? mp_obj_new_str(st.last_error, strlen(st.last_error))
                       : mp_const_none);
  return d;
}
static MP_DEFINE_CONST_FUN_OBJ_0(gcmon_status_obj, gcmon_status);

static const mp_rom_map_elem_t gcmon_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_gcmon)},
    {MP_ROM_QSTR(MP_QSTR_start), MP_ROM_PTR(&gcmon_start_obj)},
    {MP_ROM_QSTR(MP_QSTR_stop), MP_ROM_PTR(&gcmon_stop_obj)},
    {MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&gcmon_status_obj)},
};
static MP_DEFINE_CONST_DICT(gcmon_globals, gcmon_globals_table);

const mp_obj_module_t gcmon_user_cmodule = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&gcmon_globals,
};
MP_REGISTER_MODULE(MP_QSTR_gcmon, gcmon_user_cmodule);
