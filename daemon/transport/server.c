/* Server assembly and the sampler timer (see server.h and sampler.h). */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include "sampler.h"
#include "tcp.h"
#include "uart.h"

#include <stdio.h>
#include <stdlib.h>

struct gcmon_server {
  gcmon_agent *agent;
  uv_timer_t sampler;
  uint64_t due_ms;      /* loop time the pending sample is due at */
  uint32_t interval_ms; /* the sampler's period */
  gcmon_tcp_server *tcp;
  gcmon_uart *uart;
};

static uint64_t loop_clock_us(void *data) {
  (void)data;
  return uv_hrtime() / 1000u;
}

/* Server nonces for challenge-response: the kernel's entropy (getrandom or
 * /dev/urandom, through libuv), or none: a nonce from a clock could repeat,
 * so on failure no challenge is offered. */
static int kernel_random(void *data, uint8_t *buf, size_t n) {
  (void)data;
  return uv_random(NULL, NULL, buf, n, 0, NULL) == 0 ? 0 : GCMON_EIO;
}

uint64_t gcmon__sampler_next_due(uint64_t due, uint64_t now,
                                 uint32_t interval_ms) {
  uint64_t next = due + interval_ms;
  if (now >= next + interval_ms)
    next += (now - next) / interval_ms * interval_ms;
  return next;
}

static void on_sample_tick(uv_timer_t *t) {
  gcmon_server *srv = t->data;
  uint64_t now = uv_now(t->loop);
  gcmon_agent_tick(srv->agent);
  srv->due_ms = gcmon__sampler_next_due(srv->due_ms, now, srv->interval_ms);
  uv_timer_start(t, on_sample_tick, srv->due_ms > now ? srv->due_ms - now : 0,
                 0);
}

static void on_sampler_closed(uv_handle_t *h) {
  free(h->data);
}

int gcmon_server_start(gcmon_server **out, uv_loop_t *loop,
                       const gcmon_server_config *cfg, char *err,
                       size_t errlen) {
  gcmon_agent_config acfg = cfg->agent;
  gcmon_server *srv;
  int rc;

  if (!acfg.now_us)
    acfg.now_us = loop_clock_us;
  if (!acfg.random)
    acfg.random = kernel_random;
  /* With a UART, one session slot is always kept for it: network peers
   * cannot lock the physical console out by holding every slot. */
  acfg.reserve_uart_slot = cfg->uart != NULL;
  srv = calloc(1, sizeof *srv);
  if (!srv)
    return GCMON_ENOMEM;
  rc = gcmon_agent_init(&srv->agent, &acfg);
  if (rc != 0) {
    snprintf(err, errlen, "cannot start the agent: %s", gcmon_strerror(rc));
    free(srv);
    return rc;
  }
  if (cfg->listen) {
    rc = gcmon_tcp_server_start(&srv->tcp, loop, srv->agent, cfg->listen, err,
                                errlen);
    if (rc != 0)
      goto fail;
  }
  if (cfg->uart) {
    rc = gcmon_uart_start(&srv->uart, loop, srv->agent, cfg->uart, cfg->baud,
                          err, errlen);
    if (rc != 0) {
      if (srv->tcp)
        gcmon_tcp_server_stop(srv->tcp);
      goto fail;
    }
  }
  uv_timer_init(loop, &srv->sampler);
  srv->sampler.data = srv;
  srv->interval_ms = acfg.interval_ms;
  srv->due_ms = uv_now(loop);
  uv_timer_start(&srv->sampler, on_sample_tick, 0, 0);
  *out = srv;
  return 0;

fail:
  gcmon_agent_close(srv->agent);
  free(srv);
  return rc;
}

void gcmon_server_stop(gcmon_server *srv) {
  uv_timer_stop(&srv->sampler);
  if (srv->tcp)
    gcmon_tcp_server_stop(srv->tcp);
  if (srv->uart)
    gcmon_uart_stop(srv->uart);
  gcmon_agent_close(srv->agent);
  srv->agent = NULL;
  uv_close((uv_handle_t *)&srv->sampler, on_sampler_closed);
}

gcmon_agent *gcmon_server_agent(gcmon_server *srv) {
  return srv->agent;
}

int gcmon_server_tcp_port(const gcmon_server *srv) {
  return srv->tcp ? gcmon_tcp_server_port(srv->tcp) : -1;
}
