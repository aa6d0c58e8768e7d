/* TCP transport: a listener whose every connection is one session.
 *
 * Loopback peers (127.0.0.0/8, ::1) are trusted for control; others need
 * the token. TCP_NODELAY on every connection, and a bound on how long a
 * dead or half-open peer keeps its session (see set_peer_timeout below).
 * When the agent
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

/* A peer is dropped when it acknowledges nothing for about `seconds`:
 * keepalive probes while the link is idle, TCP_USER_TIMEOUT while data is
 * queued to it (keepalive never fires then, so without it a half-open
 * subscriber would hold its slot for the ~15 min of retransmissions).
 * Applies to connections accepted from now on. Platforms without
 * TCP_USER_TIMEOUT get the keepalive half only (docs/security.md). */
#define GCMON_TCP_DEFAULT_PEER_TIMEOUT_S 60u
void gcmon_tcp_server_set_peer_timeout(gcmon_tcp_server *srv,
                                       unsigned seconds);

/* The port actually bound (useful with port 0). */
int gcmon_tcp_server_port(const gcmon_tcp_server *srv);

/* Close the listener and every connection; the object is freed once libuv
 * has closed every handle (run the loop). */
void gcmon_tcp_server_stop(gcmon_tcp_server *srv);

/* Split "host:port" / "[v6]:port" / ":port". 0 or GCMON_EINVAL. */
int gcmon_parse_listen(const char *spec, char *host, size_t hostlen, int *port);

#endif
