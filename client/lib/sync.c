/* Synchronous mode: the blocking API runs the client's private loop until
 * what it waits for has happened. Never from inside a callback (a libuv
 * loop cannot be re-entered) and never on a caller's loop. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "sync.h"

int gcmon__check_sync(gcmon_client *c) {
  if (!c || !c->own || c->closing)
    return GCMON_EINVAL;
  if (c->dispatching > 0)
    return GCMON_EBUSY;
  return 0;
}

static void on_wait_timer(uv_timer_t *t) {
  gcmon_client *c = t->data;
  c->wait_expired = true;
}

int gcmon__wait(gcmon_client *c, const bool *done, unsigned timeout_ms) {
  c->wait_expired = false;
  if (timeout_ms)
    uv_timer_start(&c->wait_timer, on_wait_timer, timeout_ms, 0);
  while (!*done && !c->wait_expired) {
    if (uv_run(c->loop, UV_RUN_ONCE) == 0 && !*done)
      break; /* nothing left that could ever finish the wait */
  }
  uv_timer_stop(&c->wait_timer);
  return *done ? 0 : GCMON_ETIMEDOUT;
}

int gcmon_client_run(gcmon_client *c, unsigned timeout_ms) {
  int err = gcmon__check_sync(c);
  if (err != 0)
    return err;
  c->breaking = false;
  c->wait_expired = false;
  if (timeout_ms)
    uv_timer_start(&c->wait_timer, on_wait_timer, timeout_ms, 0);
  while (!c->breaking && !c->wait_expired && c->state != GCMON_STATE_FAILED &&
         c->state != GCMON_STATE_IDLE) {
    if (uv_run(c->loop, UV_RUN_ONCE) == 0)
      break;
  }
  uv_timer_stop(&c->wait_timer);
  c->breaking = false;
  if (c->state == GCMON_STATE_FAILED)
    return c->run_err ? c->run_err : GCMON_ECLOSED;
  if (c->state == GCMON_STATE_IDLE)
    return GCMON_ECLOSED;
  return 0;
}
