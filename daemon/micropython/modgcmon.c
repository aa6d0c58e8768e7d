/* The `gcmon` Python module: gcmon.start(), stop(), status(), and the VM
 * worker thread T2 they create.
 *
 *     import gcmon
 *     gcmon.start(port=7230, uart=None, baud=115200, interval_ms=1000,
 *                 token=None, scan_ms=1000, timeout_ms=2000)
 *     gcmon.status()   # {'running': True, 'port': 7230, 'samples': 12, ...}
 *     gcmon.stop()
 *     gcmon.serve_console(timeout_ms=10000, baud=0)  # the protocol on the REPL
 *     gcmon.serve_console(beside=True, ready=f)  # on a _thread, beside
 *     gcmon.serve_console_stop()  # the script on the main thread ended
 *
 * This file is the MicroPython side only: argument checks, the dicts and
 * exceptions, and T2's registration with the VM in py/modthread.c's order
 * (spawn, t2_entry). When to start, stop and free an instance, with any
 * number of Python threads calling at once, is lifecycle.h's job. T2 is
 * never joined (ports create VM threads detached). docs/micropython-internals.md
 * has the whole design.
 *
 * The module's state is one static gcmon_mp_life: a process has one VM,
 * hence one agent, and its lock must outlive the instances it guards. */
#include "console_micropython.h"
#include "lifecycle.h"
#include "uart.h"
#include "vm_micropython.h"

#include "agent.h"

#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/mpthread.h"
#include "py/obj.h"
#include "py/runtime.h"
#include "py/stackctrl.h"

#include <stdio.h>
#include <string.h>

#ifndef GCMON_MP_K230
#define GCMON_MP_K230 0
#endif

#define T2_STACK_SIZE   (32u * 1024u)
/* What ports keep below the stack limit (unix and CanMV: 8 KiB). */
#define T2_STACK_MARGIN (8u * 1024u)
#define T2_POLL_MS      50u
#define MAX_TIMEOUT_MS  600000 /* ten minutes */

static gcmon_mp_life life = GCMON_MP_LIFE_INIT;

/* Per instance, in its vm_state area: the VM ops' state and what T2 needs
 * to register. */
typedef struct t2_data {
  gcmon_mp_vm_state vm;
  mp_obj_dict_t *locals, *globals;
  size_t stack_size;
} t2_data;

/* py/modthread.c thread_entry's set-up, steps before GIL_ENTER. */
static void register_thread(mp_state_thread_t *ts, const t2_data *d) {
  memset(ts, 0, sizeof *ts);    /* v1.21 leaves nlr_jump_callback_top unset */
#if MICROPY_VERSION >= 0x011700 /* v1.23: one inline does it */
  mp_thread_init_state(ts, d->stack_size, d->locals, d->globals);
#else
  mp_thread_set_state(ts);
  mp_stack_set_top(ts + 1); /* ts is scanned as a root */
  mp_stack_set_limit(d->stack_size);
  ts->gc_lock_depth = 0;
  ts->mp_pending_exception = MP_OBJ_NULL;
  mp_locals_set(d->locals);
  mp_globals_set(d->globals);
#endif
}

static void *t2_entry(void *arg) {
  gcmon_mp_instance *inst = arg;
  mp_state_thread_t ts;

  register_thread(&ts, gcmon_mp_life_vm_state(inst));
  MP_THREAD_GIL_ENTER();
  mp_thread_start(); /* from here collections scan and signal us */
  MP_THREAD_GIL_EXIT();
  gcmon_mp_life_worker(inst);
  MP_THREAD_GIL_ENTER();
  mp_thread_finish();
  MP_THREAD_GIL_EXIT();
  gcmon_mp_life_worker_finished(inst); /* inst may be freed from here on */
  return NULL;
}

static void host_release(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_EXIT();
}

static void host_reacquire(void *ctx) {
  (void)ctx;
  MP_THREAD_GIL_ENTER();
}

/* mp_thread_create() raises on failure: turned into a code here. */
static int host_spawn(void *ctx, gcmon_mp_instance *inst) {
  t2_data *d = gcmon_mp_life_vm_state(inst);
  nlr_buf_t nlr;
  (void)ctx;

  d->locals = mp_locals_get();
  d->globals = mp_globals_get();
  d->stack_size = T2_STACK_SIZE - T2_STACK_MARGIN; /* T2 reads only this */
  if (nlr_push(&nlr) == 0) {
    size_t stack = T2_STACK_SIZE; /* mp_thread_create() may adjust it */
    mp_thread_create(t2_entry, inst, &stack);
    nlr_pop();
    return 0;
  }
  return GCMON_ENOMEM;
}

static void host_vm_init(void *ctx, gcmon_mp_vm *vm, void *state) {
  (void)ctx;
  gcmon_mp_vm_micropython(vm, &((t2_data *)state)->vm);
}

static const gcmon_mp_host host = {
    .release = host_release,
    .reacquire = host_reacquire,
    .spawn = host_spawn,
    .vm_state_size = sizeof(t2_data),
    .vm_init = host_vm_init,
    .worker_poll_ms = T2_POLL_MS,
};

/* An int argument within lo..hi, or ValueError naming it and the range
 * (also for ints too big for a machine word, which would otherwise wrap
 * or raise an OverflowError that names nothing). */
static mp_int_t int_arg(mp_obj_t v, const char *name, mp_int_t lo,
                        mp_int_t hi) {
  mp_int_t n;

  if (!mp_obj_is_int(v) || v == mp_const_true || v == mp_const_false)
    mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("%s must be an int"),
                      name);
  if (!mp_obj_is_small_int(v) || (n = MP_OBJ_SMALL_INT_VALUE(v)) < lo || n > hi)
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s must be %d..%d"),
                      name, (int)lo, (int)hi);
  return n;
}

typedef struct args {
  gcmon_mp_runner_config cfg;
  char listen[32];
  char uart[128];
  uint8_t token[64];
} args;

/* start()'s arguments, in mp_arg_parse_all order. */
enum { PORT, UART, BAUD, INTERVAL, TOKEN, SCAN, TIMEOUT };

static void copy_args(args *g, const mp_arg_val_t *a) {
  mp_obj_t port = a[PORT].u_obj, uart = a[UART].u_obj, token = a[TOKEN].u_obj;
  mp_int_t baud = int_arg(a[BAUD].u_obj, "baud", 50, 4000000);

  if (gcmon_uart_check_baud((unsigned)baud) != 0)
    mp_raise_ValueError(MP_ERROR_TEXT("baud must be a standard serial speed "
                                      "(9600, 115200, ...)"));
  g->cfg.baud = (unsigned)baud;
  g->cfg.interval_ms =
      (uint32_t)int_arg(a[INTERVAL].u_obj, "interval_ms", GCMON_MIN_INTERVAL_MS,
                        GCMON_MAX_SUBSCRIPTION_INTERVAL_MS);
  g->cfg.scan_ms = (unsigned)int_arg(a[SCAN].u_obj, "scan_ms", 0,
                                     GCMON_MAX_SUBSCRIPTION_INTERVAL_MS);
  g->cfg.call_timeout_ms =
      (unsigned)int_arg(a[TIMEOUT].u_obj, "timeout_ms", 1, MAX_TIMEOUT_MS);
  if (port != mp_const_none) {
    mp_int_t p = int_arg(port, "port", 0, 65535);
    snprintf(g->listen, sizeof g->listen, "0.0.0.0:%d", (int)p);
    g->cfg.listen = g->listen;
  }
  if (uart != mp_const_none) {
    size_t n;
    const char *s = mp_obj_str_get_data(uart, &n);
    if (n == 0 || n >= sizeof g->uart)
      mp_raise_ValueError(MP_ERROR_TEXT("uart must be a path of 1..127 "
                                        "bytes"));
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
  g->cfg.sys_source = GCMON_MP_K230 ? "k230" : NULL;
  g->cfg.device_id = GCMON_MP_K230 ? "micropython/k230" : "micropython/unix";
}

static mp_obj_t gcmon_start(size_t n_args, const mp_obj_t *pos_args,
                            mp_map_t *kw_args) {
  static const mp_arg_t allowed[] = {
      {MP_QSTR_port, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(7230)}},
      {MP_QSTR_uart, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
      {MP_QSTR_baud,
       MP_ARG_KW_ONLY | MP_ARG_OBJ,
       {.u_obj = MP_OBJ_NEW_SMALL_INT(115200)}},
      {MP_QSTR_interval_ms,
       MP_ARG_KW_ONLY | MP_ARG_OBJ,
       {.u_obj = MP_OBJ_NEW_SMALL_INT(1000)}},
      {MP_QSTR_token, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none}},
      {MP_QSTR_scan_ms,
       MP_ARG_KW_ONLY | MP_ARG_OBJ,
       {.u_obj = MP_OBJ_NEW_SMALL_INT(1000)}},
      {MP_QSTR_timeout_ms,
       MP_ARG_KW_ONLY | MP_ARG_OBJ,
       {.u_obj = MP_OBJ_NEW_SMALL_INT(2000)}},
  };
  mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
  args g;
  char err[GCMON_MP_LAST_ERROR_MAX];
  int rc;

  mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed,
                   a);
  memset(&g, 0, sizeof g);
  copy_args(&g, a); /* raises; nothing to undo yet */
  gcmon_mp_vm_gc_hook_start(); /* before the VM ops are made */
  rc = gcmon_mp_life_start(&life, &host, &g.cfg, err, sizeof err);
  if (rc == GCMON_EBUSY)
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("gcmon already running"));
  if (rc != 0)
    mp_raise_msg_varg(&mp_type_OSError, MP_ERROR_TEXT("gcmon: %s"), err);
  return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(gcmon_start_obj, 0, gcmon_start);

static mp_obj_t gcmon_stop(void) {
  bool stopped = gcmon_mp_life_stop(&life, &host);

  if (stopped)
    gcmon_mp_vm_gc_hook_stop();
  return mp_obj_new_bool(stopped);
}
static MP_DEFINE_CONST_FUN_OBJ_0(gcmon_stop_obj, gcmon_stop);

/* The framed protocol on the REPL's own console until the host closes it
 * (console.h); on the running instance, or on one started for the call
 * (no TCP, no UART, 10 Hz sampling). Returns how it ended: 'closed',
 * 'idle', 'failed' or (beside a script) 'stopped'. Ctrl-C is data
 * meanwhile, not KeyboardInterrupt: a frame may hold 0x03, and the host's
 * own 0x03 ends the call. beside=True: called on a _thread while the
 * program runs on the main thread (`gcmon run`); ready() is called once
 * it serves, the host's 0x03 raises KeyboardInterrupt in the main thread,
 * and serve_console_stop() ends it. interval_ms: the sampling period of
 * the instance started for the call (100; beside a script every tick
 * scans the heap). */
static mp_obj_t gcmon_serve_console(size_t n_args, const mp_obj_t *pos_args,
                                    mp_map_t *kw_args) {
  enum { ARG_timeout_ms, ARG_baud, ARG_beside, ARG_ready, ARG_interval_ms };
  static const mp_arg_t allowed[] = {
      {MP_QSTR_timeout_ms,
       MP_ARG_KW_ONLY | MP_ARG_INT,
       {.u_int = GCMON_MP_CONSOLE_DEFAULT_IDLE_MS}},
      {MP_QSTR_baud, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 0}},
      {MP_QSTR_beside, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false}},
      {MP_QSTR_ready, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE}},
      {MP_QSTR_interval_ms, MP_ARG_KW_ONLY | MP_ARG_INT, {.u_int = 100}},
  };
  static const char *const ends[] = {"closed", "idle", "failed", "stopped"};
  mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
  gcmon_mp_runner_config idle_cfg = {0};
  gcmon_mp_console_io io;
  gcmon_mp_console_result res;
  char err[GCMON_MP_LAST_ERROR_MAX] = "";
  mp_obj_t on_ready;
  int rc;

  mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed,
                   a);
  if (a[ARG_timeout_ms].u_int < 1 || a[ARG_timeout_ms].u_int > MAX_TIMEOUT_MS)
    mp_raise_ValueError(MP_ERROR_TEXT("timeout_ms must be 1..600000"));
  on_ready = a[ARG_ready].u_obj;
  if (on_ready != mp_const_none && !mp_obj_is_callable(on_ready))
    mp_raise_TypeError(MP_ERROR_TEXT("ready must be callable"));
  if (a[ARG_baud].u_int != 0 &&
      (a[ARG_baud].u_int < 300 || a[ARG_baud].u_int > 4000000))
    mp_raise_ValueError(MP_ERROR_TEXT("baud must be 0 (USB) or 300..4000000"));
  if (a[ARG_interval_ms].u_int < 10 || a[ARG_interval_ms].u_int > 86400000)
    mp_raise_ValueError(MP_ERROR_TEXT("interval_ms must be 10..86400000"));
  /* The instance started for the call: beside a script (gcmon run), each
   * tick scans the heap, so every sample has the script's gc figures. */
  idle_cfg.interval_ms = (unsigned)a[ARG_interval_ms].u_int;
  idle_cfg.scan_ms = a[ARG_beside].u_bool ? 0 : 1000;
  idle_cfg.call_timeout_ms = 2000;
  idle_cfg.baud = 115200;
  idle_cfg.sys_source = GCMON_MP_K230 ? "k230" : NULL;
  idle_cfg.device_id = GCMON_MP_K230 ? "micropython/k230" : "micropython/unix";
  gcmon_mp_vm_gc_hook_start();
  if (a[ARG_beside].u_bool)
    gcmon_mp_console_io_beside(&io, &life.beside, &on_ready);
  else
    gcmon_mp_console_io_micropython(&io);
  io.link_bytes_per_s = (uint32_t)a[ARG_baud].u_int / 10u; /* 8N1 */
  mp_hal_set_interrupt_char(-1);
  rc = gcmon_mp_life_serve_console(&life, &host, &idle_cfg, &io,
                                   (unsigned)a[ARG_timeout_ms].u_int, &res,
                                   err, sizeof err);
  mp_hal_set_interrupt_char(3); /* Ctrl-C, as while any code runs */
  if (rc != 0)
    mp_raise_msg_varg(&mp_type_OSError, MP_ERROR_TEXT("gcmon: %s"), err);
  return mp_obj_new_str(ends[res.end], strlen(ends[res.end]));
}
static MP_DEFINE_CONST_FUN_OBJ_KW(gcmon_serve_console_obj, 0,
                                  gcmon_serve_console);

/* The program beside which serve_console(beside=True) serves has ended:
 * the pump stops handing input on, the end line goes out, then (up to
 * timeout_ms) the host's acknowledgement and the pump's end. True when a
 * pump served; False at once when none did. */
static mp_obj_t gcmon_serve_console_stop(size_t n_args, const mp_obj_t *args) {
  mp_int_t ack = n_args > 0 ? mp_obj_get_int(args[0])
                            : (mp_int_t)GCMON_MP_CONSOLE_STOP_ACK_MS;

  if (ack < 0 || ack > MAX_TIMEOUT_MS)
    mp_raise_ValueError(MP_ERROR_TEXT("timeout_ms must be 0..600000"));
  if (!gcmon_mp_console_stop_ask(&life.beside))
    return mp_const_false;
  mp_hal_stdout_tx_strn(GCMON_MP_CONSOLE_END, sizeof GCMON_MP_CONSOLE_END - 1);
  MP_THREAD_GIL_EXIT();
  gcmon_mp_console_stop_wait(&life.beside, (unsigned)ack);
  MP_THREAD_GIL_ENTER();
  return mp_const_true;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(gcmon_serve_console_stop_obj, 0, 1,
                                           gcmon_serve_console_stop);

static void put(mp_obj_t d, qstr key, mp_obj_t value) {
  mp_obj_dict_store(d, MP_OBJ_NEW_QSTR(key), value);
}

static mp_obj_t u64(uint64_t v) {
  return mp_obj_new_int_from_ull(v);
}

static mp_obj_t gcmon_status(void) {
  gcmon_mp_life_view v;
  const gcmon_mp_status *st = &v.st; /* zeroes when nothing runs */
  mp_obj_t d;

  gcmon_mp_life_status(&life, &v); /* a copy: no lock held from here on */
  d = mp_obj_new_dict(21);
  put(d, MP_QSTR_running, mp_obj_new_bool(v.running));
  put(d, MP_QSTR_gil, mp_obj_new_bool(MICROPY_PY_THREAD_GIL));
  put(d, MP_QSTR_gc_hook,
      mp_obj_new_bool(gcmon_mp_vm_gc_hook_take_fn() != NULL));
  put(d, MP_QSTR_port, v.port >= 0 ? mp_obj_new_int(v.port) : mp_const_none);
  put(d, MP_QSTR_uart,
      v.uart[0] ? mp_obj_new_str(v.uart, strlen(v.uart)) : mp_const_none);
  put(d, MP_QSTR_interval_ms,
      v.present ? mp_obj_new_int(v.interval_ms) : mp_const_none);
  put(d, MP_QSTR_scan_ms,
      v.present ? mp_obj_new_int(v.scan_ms) : mp_const_none);
  put(d, MP_QSTR_samples, u64(st->samples));
  put(d, MP_QSTR_sessions, mp_obj_new_int(st->sessions));
  put(d, MP_QSTR_sessions_opened, u64(st->sessions_opened));
  put(d, MP_QSTR_requests, u64(st->requests));
  put(d, MP_QSTR_read_errors, u64(st->read_errors));
  put(d, MP_QSTR_vm_served, u64(st->vm.served));
  put(d, MP_QSTR_vm_withdrawn, u64(st->vm.withdrawn));
  put(d, MP_QSTR_vm_overran, u64(st->vm.overran));
  put(d, MP_QSTR_scans, u64(st->vm.scans));
  put(d, MP_QSTR_scan_us_avg,
      u64(st->vm.scans ? st->vm.scan_us_total / st->vm.scans : 0));
  put(d, MP_QSTR_scan_us_max, u64(st->vm.scan_us_max));
  put(d, MP_QSTR_last_error,
      st->last_error[0] ? mp_obj_new_str(st->last_error, strlen(st->last_error))
                        : mp_const_none);
  return d;
}
static MP_DEFINE_CONST_FUN_OBJ_0(gcmon_status_obj, gcmon_status);

static const mp_rom_map_elem_t gcmon_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_gcmon)},
    {MP_ROM_QSTR(MP_QSTR_start), MP_ROM_PTR(&gcmon_start_obj)},
    {MP_ROM_QSTR(MP_QSTR_stop), MP_ROM_PTR(&gcmon_stop_obj)},
    {MP_ROM_QSTR(MP_QSTR_status), MP_ROM_PTR(&gcmon_status_obj)},
    {MP_ROM_QSTR(MP_QSTR_serve_console),
     MP_ROM_PTR(&gcmon_serve_console_obj)},
    {MP_ROM_QSTR(MP_QSTR_serve_console_stop),
     MP_ROM_PTR(&gcmon_serve_console_stop_obj)},
};
static MP_DEFINE_CONST_DICT(gcmon_globals, gcmon_globals_table);

const mp_obj_module_t gcmon_user_cmodule = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&gcmon_globals,
};
MP_REGISTER_MODULE(MP_QSTR_gcmon, gcmon_user_cmodule);
