/* The module's lifecycle: gcmon.start(), stop() and status() as they must
 * behave when any number of Python threads call them at once, with nothing
 * here knowing MicroPython. modgcmon.c is a thin caller; the tests drive it
 * with real threads against the pretend VM.
 *
 *     static gcmon_mp_life life = GCMON_MP_LIFE_INIT;   // one per process
 *     rc = gcmon_mp_life_start(&life, &host, &cfg, err, sizeof err);
 *     gcmon_mp_life_status(&life, &view);
 *     stopped = gcmon_mp_life_stop(&life, &host);
 *
 * The rules (each one a bug it replaces):
 *   - At most one instance runs. Starting and stopping are exclusive: a
 *     call that finds another start or stop in progress waits for it (with
 *     the GIL released), then decides; so of three concurrent start()s one
 *     succeeds and the others get GCMON_EBUSY, and a stop() that returns
 *     leaves nothing running that nobody can stop.
 *   - stop() takes the instance out of `current` before it waits for T2, so
 *     no other call (status() reaping, a second stop()) can free it too;
 *     the second of two concurrent stop()s waits and returns false.
 *   - status() copies what it reports under the lock; it frees an instance
 *     only when T2 has finished by itself (soft reset) and no start or stop
 *     is in progress.
 *
 * The instance is one calloc() block (never the gc heap). T2, the VM
 * worker, is created by the host and runs gcmon_mp_life_worker(); its
 * state lives in the instance. */
#ifndef GCMON_MP_LIFECYCLE_H
#define GCMON_MP_LIFECYCLE_H

#include "console.h"
#include "mailbox.h"
#include "runner.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gcmon_mp_instance gcmon_mp_instance;

/* What the VM side provides. release/reacquire bracket every wait (the GIL
 * on GIL builds; may be NULL). spawn starts T2: a thread registered with
 * the VM that calls gcmon_mp_life_worker(inst), deregisters, then calls
 * gcmon_mp_life_worker_finished(inst) as its very last act. 0, or a
 * GCMON_E* when no thread was started. vm_init fills the VM ops for one
 * instance; their context lives in vm_state (vm_state_size bytes, zeroed,
 * inside the instance). */
typedef struct gcmon_mp_host {
  void *ctx;
  void (*release)(void *ctx);
  void (*reacquire)(void *ctx);
  int (*spawn)(void *ctx, gcmon_mp_instance *inst);
  size_t vm_state_size;
  void (*vm_init)(void *ctx, gcmon_mp_vm *vm, void *vm_state);
  unsigned worker_poll_ms; /* how often T2 checks should_exit */
} gcmon_mp_host;

typedef struct gcmon_mp_life {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* busy cleared, or an instance changed phase */
  gcmon_mp_instance *current;
  bool busy; /* a start() or stop() is under way */
  unsigned consoles; /* serve_console() calls using current's runner */
  gcmon_mp_console_beside beside; /* serve_console(beside=True) */
} gcmon_mp_life;

#define GCMON_MP_LIFE_INIT                                                     \
  { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, false, 0,      \
    {GCMON_MP_BESIDE_IDLE} }

/* What status() reports; a copy, taken under the lock. */
typedef struct gcmon_mp_life_view {
  bool present; /* an instance exists (running or finished by itself) */
  bool running; /* its loop thread serves */
  int port;     /* as asked: -1 = no TCP */
  char uart[128];
  uint32_t interval_ms;
  unsigned scan_ms;
  gcmon_mp_status st;
} gcmon_mp_life_view;

/* Start an instance serving cfg (copied; cfg->mailbox is ignored). 0;
 * GCMON_EBUSY when one runs already; or GCMON_E* with one line in err. Call
 * with the GIL held; it is released while waiting. */
int gcmon_mp_life_start(gcmon_mp_life *life, const gcmon_mp_host *host,
                        const gcmon_mp_runner_config *cfg, char *err,
                        size_t errlen);

/* Stop the running instance and free it: true, or false when none ran
 * (including when another stop() got it first; this one waits for that
 * to finish). */
bool gcmon_mp_life_stop(gcmon_mp_life *life, const gcmon_mp_host *host);

void gcmon_mp_life_status(gcmon_mp_life *life, gcmon_mp_life_view *out);

/* gcmon.serve_console(): serve the console (console.h) on the running
 * instance's agent; when none runs, on one started for the call from
 * idle_cfg (no TCP, no UART) and stopped when it returns. While it
 * serves, the instance's runner stays (a stop() waits for the call to
 * end). 0 with *out filled; GCMON_EBUSY (a console is served already) or
 * GCMON_E* with one line in err. Call with the GIL held. */
int gcmon_mp_life_serve_console(gcmon_mp_life *life, const gcmon_mp_host *host,
                                const gcmon_mp_runner_config *idle_cfg,
                                const gcmon_mp_console_io *io,
                                unsigned idle_ms,
                                gcmon_mp_console_result *out, char *err,
                                size_t errlen);

/* T2's body, between registering with the VM and deregistering. */
void gcmon_mp_life_worker(gcmon_mp_instance *inst);
/* T2's last act: inst may be freed from here on. */
void gcmon_mp_life_worker_finished(gcmon_mp_instance *inst);

/* The instance's vm_state area (host->vm_state_size bytes): the host's
 * spawn() may keep what T2 needs to register there. */
void *gcmon_mp_life_vm_state(gcmon_mp_instance *inst);

#endif
