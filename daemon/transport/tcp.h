/* TCP transport: a listener whose every connection is one session.
 *
 * Loopback peers (127.0.0.0/8, ::1) are trusted for control; others need
 * the token. TCP_NODELAY and keepalive on every connection. When the agent
 * refuses a session (limit), the connection receives the agent's refusal
 * frame and is closed. */
#ifndef GCMON_TCP_H
#define GCMON_TCP_H

#include "agent.h"

#include <uv.h>

typedef struct gcmon_tcp_server gcmon_tcp_server;

/* Bind and listen on "host:port" ("0.0.0.0:7230", "[::1]:7230", ":7230").
 * 0 or a GCMON_E*, with one line in err. */
int gcmon_tcp_server_start(gcmon_tcp_server **out, uv_loop_t *loop,
                           gcmon_agent *agent, const char *listen, char *err,
                           size_t errlen);

/* The port actually bound (useful with port 0). */
int gcmon_tcp_server_port(const gcmon_tcp_server *srv);

/* Close the listener and every connection; the object is freed once libuv
 * has closed every handle (run the loop). */
void gcmon_tcp_server_stop(gcmon_tcp_server *srv);

/* Split "host:port" / "[v6]:port" / ":port". 0 or GCMON_EINVAL. */
int gcmon_parse_listen(const char *spec, char *host, size_t hostlen, int *port);

#endif
