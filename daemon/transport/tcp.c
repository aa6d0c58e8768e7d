/* TCP listener and its connections (see tcp.h). Connection objects are
 * allocated on accept and freed when their handle has closed; nothing is
 * allocated per request or per sample. */
#define _POSIX_C_SOURCE 200809L
#include "tcp.h"

#include "conn.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tcp_conn {
  uv_tcp_t handle;
  gcmon__conn conn;
  gcmon_tcp_server *server;
  struct tcp_conn *next;
  uv_write_t refusal_req;
  uint8_t refusal[64];
} tcp_conn;

struct gcmon_tcp_server {
  uv_tcp_t listener;
  gcmon_agent *agent;
  tcp_conn *conns; /* every open connection, for stop() */
  int port;
  unsigned peer_timeout_s;
  bool stopping;
  unsigned handles_open; /* listener + connections not yet closed */
};

int gcmon_parse_listen(const char *spec, char *host, size_t hostlen,
                       int *port) {
  const char *colon;
  char *end;
  long p;
  size_t n;

  if (!spec || !*spec)
    return GCMON_EINVAL;
  if (spec[0] == '[') {
    const char *close = strchr(spec, ']');
    if (!close || close[1] != ':')
      return GCMON_EINVAL;
    n = (size_t)(close - spec - 1);
    spec++;
    colon = close + 1;
  } else {
    colon = strrchr(spec, ':');
    if (!colon)
      return GCMON_EINVAL;
    n = (size_t)(colon - spec);
  }
  if (n >= hostlen)
    return GCMON_EINVAL;
  memcpy(host, spec, n);
  host[n] = '\0';
  if (n == 0)
    snprintf(host, hostlen, "0.0.0.0");
  p = strtol(colon + 1, &end, 10);
  if (*end || end == colon + 1 || p < 0 || p > 65535)
    return GCMON_EINVAL;
  *port = (int)p;
  return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    const uint8_t *b = in6->sin6_addr.s6_addr;
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                         0, 0, 0, 0, 0xff, 0xff};
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
      return true;
    return memcmp(b, v4mapped, 12) == 0 && b[12] == 127;
  }
  return false;
}

static void format_peer(const struct sockaddr_storage *ss, char *out,
                        size_t len) {
  char ip[INET6_ADDRSTRLEN] = "?"; /* so "tcp:<ip>:<port>" provably fits */
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    uv_ip4_name(in, ip, sizeof ip);
    port = ntohs(in->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(in6, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
  }
  snprintf(out, len, "tcp:%s:%d", ip, port);
}

static void on_handle_closed(uv_handle_t *h) {
  gcmon_tcp_server *srv = h->data;
  if (h != (uv_handle_t *)&srv->listener) {
    tcp_conn *tc = (tcp_conn *)(void *)h; /* handle is the first member */
    tcp_conn **pp = &srv->conns;
    while (*pp && *pp != tc)
      pp = &(*pp)->next;
    if (*pp)
      *pp = tc->next;
    free(tc);
  }
  if (--srv->handles_open == 0 && srv->stopping)
    free(srv);
}

static void close_conn(tcp_conn *tc) {
  if (!uv_is_closing((uv_handle_t *)&tc->handle)) {
    tc->handle.data = tc->server;
    uv_close((uv_handle_t *)&tc->handle, on_handle_closed);
  }
}

static void on_conn_end(gcmon__conn *c, int status) {
  (void)status;
  close_conn(c->data);
}

static void on_refusal_written(uv_write_t *req, int status) {
  (void)status;
  close_conn(req->data);
}

static void refuse(tcp_conn *tc) {
  size_t n =
      gcmon_agent_refusal(tc->server->agent, tc->refusal, sizeof tc->refusal);
  uv_buf_t buf = uv_buf_init((char *)tc->refusal, (unsigned)n);
  tc->refusal_req.data = tc;
  if (n == 0 || uv_write(&tc->refusal_req, (uv_stream_t *)&tc->handle, &buf, 1,
                         on_refusal_written) != 0)
    close_conn(tc);
}

/* A fixed, small kernel send buffer. Left to autotuning, Linux lets the
 * socket of a client that stops reading absorb megabytes of events before
 * the daemon sees any backpressure: kernel memory per stalled session that
 * the agent's own bound (queue events, then whole events dropped) never
 * gets to apply. 16 KiB (the kernel doubles it) holds about half a second
 * of the busiest stream (100 Hz, four subscriptions) and any response. */
#define SEND_BUFFER_BYTES 16384

static void set_send_buffer(tcp_conn *tc) {
  int size = SEND_BUFFER_BYTES;
  (void)uv_send_buffer_size((uv_handle_t *)&tc->handle, &size);
}

/* Half of the bound idle, then three probes over the other half; with
 * TCP_USER_TIMEOUT the same bound also covers unacknowledged data (and
 * decides when failed keepalive probes end the connection). */
static void set_peer_timeout(tcp_conn *tc, unsigned secs) {
  unsigned idle = secs / 2u;
  uv_os_fd_t fd;

  uv_tcp_keepalive(&tc->handle, 1, idle ? idle : 1u);
  if (uv_fileno((uv_handle_t *)&tc->handle, &fd) != 0)
    return;
#if defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  {
    int cnt = 3, intvl = (int)((secs - idle) / 3u);
    if (intvl < 1)
      intvl = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  }
#endif
#ifdef TCP_USER_TIMEOUT
  {
    unsigned ms = secs * 1000u;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
  }
#endif
}

void gcmon_tcp_server_set_peer_timeout(gcmon_tcp_server *srv,
                                       unsigned seconds) {
  srv->peer_timeout_s = seconds ? seconds : GCMON_TCP_DEFAULT_PEER_TIMEOUT_S;
}

static void on_connection(uv_stream_t *listener, int status) {
  gcmon_tcp_server *srv = listener->data;
  struct sockaddr_storage peer;
  int peerlen = sizeof peer;
  char peername[64];
  gcmon_session_config how = {0};
  tcp_conn *tc;

  if (status < 0 || srv->stopping)
    return;
  tc = calloc(1, sizeof *tc);
  if (!tc)
    return;
  tc->server = srv;
  uv_tcp_init(listener->loop, &tc->handle);
  srv->handles_open++;
  tc->next = srv->conns;
  srv->conns = tc;
  tc->handle.data = srv;
  if (uv_accept(listener, (uv_stream_t *)&tc->handle) != 0) {
    close_conn(tc);
    return;
  }
  uv_tcp_nodelay(&tc->handle, 1);
  set_peer_timeout(tc, srv->peer_timeout_s);
  set_send_buffer(tc);
  memset(&peer, 0, sizeof peer);
  uv_tcp_getpeername(&tc->handle, (struct sockaddr *)&peer, &peerlen);
  format_peer(&peer, peername, sizeof peername);

  tc->conn.on_end = on_conn_end;
  tc->conn.data = tc;
  how.trusted = is_loopback(&peer);
  how.peer = peername;
  if (gcmon__conn_start(&tc->conn, srv->agent, (uv_stream_t *)&tc->handle,
                        &how) != 0)
    refuse(tc);
}

int gcmon_tcp_server_start(gcmon_tcp_server **out, uv_loop_t *loop,
                           gcmon_agent *agent, const char *listen, char *err,
                           size_t errlen) {
  char host[64];
  int port, rc;
  struct sockaddr_storage addr;
  struct sockaddr_storage bound;
  int boundlen = sizeof bound;
  gcmon_tcp_server *srv;

  if (gcmon_parse_listen(listen, host, sizeof host, &port) != 0) {
    snprintf(err, errlen, "--listen '%s': expected HOST:PORT", listen);
    return GCMON_EINVAL;
  }
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
    snprintf(err, errlen, "--listen '%s': '%s' is not an IP address", listen,
             host);
    return GCMON_EINVAL;
  }
  srv = calloc(1, sizeof *srv);
  if (!srv)
    return GCMON_ENOMEM;
  srv->agent = agent;
  srv->peer_timeout_s = GCMON_TCP_DEFAULT_PEER_TIMEOUT_S;
  uv_tcp_init(loop, &srv->listener);
  srv->listener.data = srv;
  srv->handles_open = 1;
  rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&srv->listener, 64, on_connection);
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen on %s: %s", listen, uv_strerror(rc));
    srv->stopping = true;
    uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
    return GCMON_EIO;
  }
  uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &boundlen);
  srv->port = bound.ss_family == AF_INET6
                  ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                  : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  *out = srv;
  return 0;
}

int gcmon_tcp_server_port(const gcmon_tcp_server *srv) {
  return srv->port;
}

void gcmon_tcp_server_stop(gcmon_tcp_server *srv) {
  srv->stopping = true;
  for (tcp_conn *tc = srv->conns; tc; tc = tc->next) {
    if (tc->conn.session)
      gcmon__conn_end(&tc->conn, UV_ECANCELED);
    else
      close_conn(tc);
  }
  uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
}
