/* A complete gcmon server on a libuv loop: the agent, its sampler timer,
 * the TCP listener and the UART, started and stopped together. gcmond's
 * main() and the MicroPython module are both thin callers of this. */
#ifndef GCMON_SERVER_H
#define GCMON_SERVER_H

#include "agent.h"

#include <uv.h>

typedef struct gcmon_server gcmon_server;

typedef struct gcmon_server_config {
  gcmon_agent_config agent; /* source, interval, limits, token, log */
  const char *listen;       /* "0.0.0.0:7230"; NULL = no TCP */
  const char *uart;         /* "/dev/uart1"; NULL = no UART */
  unsigned baud;
} gcmon_server_config;

/* Create the agent and start sampling and serving. 0 or GCMON_E* with one
 * line in err (nothing to stop then). The clock in cfg->agent may be left
 * NULL: the loop's monotonic clock is used; so may the random source: the
 * kernel's (uv_random) is used. */
int gcmon_server_start(gcmon_server **out, uv_loop_t *loop,
                       const gcmon_server_config *cfg, char *err,
                       size_t errlen);

/* Close every session and handle; the agent is closed now, the rest is
 * freed as libuv finishes closing handles (keep running the loop). */
void gcmon_server_stop(gcmon_server *srv);

gcmon_agent *gcmon_server_agent(gcmon_server *srv);

/* TCP port bound, or -1 without TCP. */
int gcmon_server_tcp_port(const gcmon_server *srv);

#endif
