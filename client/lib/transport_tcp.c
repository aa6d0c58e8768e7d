/* TCP links: resolve the host (on the libuv thread pool), try each
 * address in turn, then TCP_NODELAY (docs/protocol.md: both ends set it) and
 * keep-alive so a vanished peer is noticed even on an idle session. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "transport.h"

#include "gcmon/error.h"

#include <stdio.h>
#include <string.h>

static void try_next(gcmon__transport *t);

static void describe(const struct sockaddr *sa, char *out, size_t len) {
  char ip[64] = "?";
  int port = 0;
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(s6, ip, sizeof ip);
    port = ntohs(s6->sin6_port);
    snprintf(out, len, "[%s]:%d", ip, port);
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    uv_ip4_name(s4, ip, sizeof ip);
    port = ntohs(s4->sin_port);
    snprintf(out, len, "%s:%d", ip, port);
  }
}

static void on_attempt_closed(uv_handle_t *h) {
  gcmon__transport *t = h->data;
  t->handle_live = false;
  if (t->closing) {
    gcmon__transport_maybe_free(t);
    return;
  }
  try_next(t);
}

static void on_connect(uv_connect_t *req, int status) {
  gcmon__transport *t = req->data;
  char where[96];

  if (t->closing)
    return; /* the close in progress frees t */
  if (status == 0) {
    uv_tcp_nodelay(&t->h.tcp, 1);
    uv_tcp_keepalive(&t->h.tcp, 1, 10);
    gcmon__transport_opened(t);
    return;
  }
  describe(t->next->ai_addr, where, sizeof where);
  t->next = t->next->ai_next;
  if (t->next) {
    uv_close(&t->h.handle, on_attempt_closed);
    return;
  }
  gcmon__transport_open_failed(t, GCMON_ECONNECT, "connect %s: %s", where,
                               uv_strerror(status));
}

/* Connect to t->next. */
static void try_next(gcmon__transport *t) {
  int rc = uv_tcp_init(t->loop, &t->h.tcp);
  if (rc != 0) {
    gcmon__transport_open_failed(t, GCMON_EIO, "socket: %s", uv_strerror(rc));
    return;
  }
  t->h.handle.data = t;
  t->handle_live = true;
  t->connect_req.data = t;
  rc = uv_tcp_connect(&t->connect_req, &t->h.tcp, t->next->ai_addr, on_connect);
  if (rc != 0) {
    char where[96];
    describe(t->next->ai_addr, where, sizeof where);
    gcmon__transport_open_failed(t, GCMON_ECONNECT, "connect %s: %s", where,
                                 uv_strerror(rc));
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  gcmon__transport *t = req->data;
  t->lookup = false;
  t->addrs = res;
  if (t->closing) {
    gcmon__transport_maybe_free(t);
    return;
  }
  if (status != 0 || !res) {
    gcmon__transport_open_failed(t, GCMON_ECONNECT, "resolve %s: %s",
                                 t->uri.host, uv_strerror(status));
    return;
  }
  t->next = res;
  try_next(t);
}

int gcmon__tcp_open(gcmon__transport *t) {
  struct addrinfo hints;
  char port[8];
  int rc;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  snprintf(port, sizeof port, "%u", (unsigned)t->uri.port);
  t->gai.data = t;
  t->lookup = true;
  rc = uv_getaddrinfo(t->loop, &t->gai, on_resolved, t->uri.host, port, &hints);
  if (rc != 0) {
    t->lookup = false;
    gcmon__transport_open_failed(t, GCMON_ECONNECT, "resolve %s: %s",
                                 t->uri.host, uv_strerror(rc));
  }
  return 0;
}
