/* The exporter's HTTP side, on libmicrohttpd: a thread per connection
 * (scrapes are few and a first /probe of a new target may wait for its
 * first sample), answering only from the cache - these threads never touch
 * the libuv loop.
 *
 *   GET /metrics             the -t targets (target="URI" on each series)
 *                            and the exporter's own figures
 *   GET /probe?target=URI    one target, the multi-target exporter pattern;
 *                            a new tcp:// target is connected and cached
 *   GET /                    a short page saying the above
 *
 * An unreachable board is HTTP 200 with gcmon_probe_success 0 and the
 * reason as a comment; HTTP errors are for what the scraper got wrong
 * (400: no or malformed target; 403: a serial device not listed with -t,
 * as a probe may not open host devices, or an address outside
 * --probe-allow; 503: over --max-targets). A tcp:// target is resolved
 * first and cached under its address, so every spelling of one board is
 * one entry and one session on it. The listening socket is ours (bind
 * errors name the cause), handed to MHD, which bounds slow clients: a
 * connection that sends nothing for IDLE_CONNECTION_S is closed (a request
 * whose headers never finish included), and one address holds at most
 * CONNECTIONS_PER_IP, so a slowloris from one host cannot fill the
 * CONNECTIONS_MAX slots real scrapes need. */
#define _POSIX_C_SOURCE 200809L
#include "export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT    "text/plain; charset=utf-8"
#define FIRST_SAMPLE_WAIT_MS 2000 /* without a scrape timeout header */
#define WAIT_MARGIN_MS       500  /* kept for rendering and sending */
#define CONNECTIONS_MAX      256
#define CONNECTIONS_PER_IP   64 /* Prometheus keeps one per /probe target */
#define IDLE_CONNECTION_S    10 /* unfinished headers, or keep-alive idle */

struct export_http {
  struct MHD_Daemon *mhd;
  export_cache *cache;
  const export_allow *allow;
  int fd;
  char address[INET6_ADDRSTRLEN + 8];
};

/* ---- responses --------------------------------------------------------- */

/* Queue t's text (taken over) with status. */
static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
                                 const char *type, export_text *t) {
  struct MHD_Response *r;
  enum MHD_Result ok;

  if (t->oom || !t->buf) {
    static const char oom[] = "gcmon export: out of memory\n";
    export_text_free(t);
    r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)(uintptr_t)oom,
                                        MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    type = CONTENT_TYPE_TEXT;
  } else {
    r = MHD_create_response_from_buffer(t->len, t->buf, MHD_RESPMEM_MUST_FREE);
    if (r)
      t->buf = NULL; /* MHD frees it */
    export_text_free(t);
  }
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  ok = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result send_message(struct MHD_Connection *conn,
                                    unsigned status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static enum MHD_Result send_message(struct MHD_Connection *conn,
                                    unsigned status, const char *fmt, ...) {
  export_text t;
  char line[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  export_text_init(&t);
  export_text_printf(&t, "gcmon export: %s\n", line);
  return send_text(conn, status, CONTENT_TYPE_TEXT, &t);
}

/* ---- endpoints --------------------------------------------------------- */

/* How long a scrape may wait for a new target's first sample: Prometheus
 * says its timeout; without it, FIRST_SAMPLE_WAIT_MS. */
static unsigned first_sample_wait_ms(struct MHD_Connection *conn) {
  const char *h = MHD_lookup_connection_value(
      conn, MHD_HEADER_KIND, "X-Prometheus-Scrape-Timeout-Seconds");
  char *end;
  double s;

  if (!h)
    return FIRST_SAMPLE_WAIT_MS;
  s = strtod(h, &end);
  if (end == h || s != s || s <= 0)
    return FIRST_SAMPLE_WAIT_MS;
  s = s * 1000.0 - WAIT_MARGIN_MS;
  return s < 100.0 ? 100u : s > 60000.0 ? 60000u : (unsigned)s;
}

static enum MHD_Result get_probe(export_http *h, struct MHD_Connection *conn) {
  const char *target =
      MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "target");
  uint64_t start = export_now_ms();
  export_snapshot snap;
  export_text t;
  char why[256], key[EXPORT_TARGET_MAX + 64];
  struct sockaddr_storage addr;
  bool tcp = strncmp(target ? target : "", "tcp://", 6) == 0;

  if (!target || !*target)
    return send_message(conn, MHD_HTTP_BAD_REQUEST,
                        "missing target: /probe?target=tcp://HOST[:PORT]");
  if (strlen(target) > EXPORT_TARGET_MAX)
    return send_message(conn, MHD_HTTP_BAD_REQUEST,
                        "target longer than %d bytes", EXPORT_TARGET_MAX);
  for (const char *p = target; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7F)
      return send_message(conn, MHD_HTTP_BAD_REQUEST,
                          "target contains a space or a control character");
  if (gcmon_uri_check(target, why, sizeof why) != 0)
    return send_message(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
  if (!tcp || export_resolve_tcp(target, key, sizeof key, &addr) != 0) {
    if (tcp && h->allow->on)
      return send_message(conn, MHD_HTTP_FORBIDDEN,
                          "%s: cannot resolve its host to check it against "
                          "--probe-allow",
                          target);
    snprintf(key, sizeof key, "%s", target); /* keyed as written */
  } else if (!export_allow_match(h->allow, &addr)) {
    return send_message(conn, MHD_HTTP_FORBIDDEN,
                        "%s: %s is not in --probe-allow", target, key + 6);
  }
  switch (export_cache_probe(h->cache, key, key, tcp,
                             first_sample_wait_ms(conn), &snap)) {
  case EXPORT_PROBE_OK:
    break;
  case EXPORT_PROBE_DENIED:
    return send_message(conn, MHD_HTTP_FORBIDDEN,
                        "%s: serial and repl targets are served only when listed with "
                        "-t (a probe may not open host devices)",
                        target);
  case EXPORT_PROBE_FULL:
    return send_message(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "probe target limit reached (%zu targets cached, "
                        "see --max-targets); %s is not served",
                        h->cache->max_probed, target);
  case EXPORT_PROBE_NOMEM:
    return send_message(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  }
  snap.probe_duration_s = (double)(export_now_ms() - start) / 1000.0;
  export_text_init(&t);
  export_render(&t, &snap, 1, 0);
  return send_text(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, &t);
}

static enum MHD_Result get_metrics(export_http *h,
                                   struct MHD_Connection *conn) {
  export_snapshot *snaps;
  export_self self;
  export_text t;
  long n = export_cache_listed(h->cache, &snaps, &self);

  if (n < 0)
    return send_message(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  export_text_init(&t);
  export_render(&t, snaps, (size_t)n, EXPORT_RENDER_TARGET_LABEL);
  export_render_self(&t, &self);
  free(snaps);
  return send_text(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, &t);
}

static enum MHD_Result get_index(export_http *h, struct MHD_Connection *conn) {
  export_text t;
  (void)h;
  export_text_init(&t);
  export_text_printf(
      &t, "<html><head><title>gcmon export</title></head><body>\n"
          "<h1>gcmon export</h1>\n"
          "<p><a href=\"/metrics\">/metrics</a>: the targets given with -t"
          "</p>\n"
          "<p>/probe?target=tcp://HOST[:PORT]: any board, for Prometheus "
          "relabelling (see docs/dashboards.md)</p>\n"
          "</body></html>\n");
  return send_text(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &t);
}

typedef enum MHD_Result (*endpoint_fn)(export_http *h,
                                       struct MHD_Connection *conn);

static const struct {
  const char *path;
  endpoint_fn fn;
} endpoints[] = {
    {"/metrics", get_metrics},
    {"/probe", get_probe},
    {"/", get_index},
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls) {
  export_http *h = cls;
  (void)version;
  (void)upload;
  (void)req_cls;

  if (*upload_size != 0) {
    *upload_size = 0; /* no endpoint takes a body: ignore it */
    return MHD_YES;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return send_message(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                        "%s: only GET and HEAD", method);
  for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
    if (strcmp(url, endpoints[i].path) == 0)
      return endpoints[i].fn(h, conn);
  return send_message(conn, MHD_HTTP_NOT_FOUND,
                      "%s: no such page; try /metrics or "
                      "/probe?target=tcp://HOST",
                      url);
}

/* ---- listening --------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" -> host, port. */
static int split_address(const char *addr, char *host, size_t hostlen,
                         const char **port) {
  const char *colon;
  size_t n;

  if (addr[0] == '[') {
    const char *close = strchr(addr, ']');
    if (!close || close[1] != ':')
      return -1;
    n = (size_t)(close - addr - 1);
    addr++;
    colon = close + 1;
  } else {
    colon = strrchr(addr, ':');
    if (!colon)
      return -1;
    n = (size_t)(colon - addr);
  }
  if (n == 0 || n >= hostlen || !colon[1])
    return -1;
  memcpy(host, addr, n);
  host[n] = '\0';
  *port = colon + 1;
  return 0;
}

static int listen_on(export_http *h, const char *addr, char *msg,
                     size_t msglen) {
  char host[256], shown[INET6_ADDRSTRLEN];
  const char *port;
  struct addrinfo hints, *ai = NULL;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  int one = 1, rc;

  if (split_address(addr, host, sizeof host, &port) != 0) {
    snprintf(msg, msglen, "--listen %s: not HOST:PORT or [V6]:PORT", addr);
    return GCMON_EINVAL;
  }
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  rc = getaddrinfo(host, port, &hints, &ai);
  if (rc != 0) {
    snprintf(msg, msglen, "--listen %s: %s", addr, gai_strerror(rc));
    return GCMON_EINVAL;
  }
  h->fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (h->fd < 0 ||
      setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(h->fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(h->fd, 64) != 0 ||
      getsockname(h->fd, (struct sockaddr *)&ss, &sl) != 0) {
    snprintf(msg, msglen, "cannot listen on %s: %s", addr, strerror(errno));
    freeaddrinfo(ai);
    if (h->fd >= 0)
      close(h->fd);
    h->fd = -1;
    return GCMON_EIO;
  }
  freeaddrinfo(ai);
  if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &a->sin6_addr, shown, sizeof shown);
    snprintf(h->address, sizeof h->address, "[%s]:%u", shown,
             (unsigned)ntohs(a->sin6_port));
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &a->sin_addr, shown, sizeof shown);
    snprintf(h->address, sizeof h->address, "%s:%u", shown,
             (unsigned)ntohs(a->sin_port));
  }
  return 0;
}

int export_http_start(export_http **out, const char *addr, export_cache *cache,
                      const export_allow *allow, char *msg, size_t msglen) {
  export_http *h = calloc(1, sizeof *h);
  int err;

  *out = NULL;
  if (!h) {
    snprintf(msg, msglen, "out of memory");
    return GCMON_ENOMEM;
  }
  h->cache = cache;
  h->allow = allow;
  err = listen_on(h, addr, msg, msglen);
  if (err != 0) {
    free(h);
    return err;
  }
  h->mhd = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
          MHD_USE_AUTO | MHD_USE_ITC,
      0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONNECTIONS_PER_IP,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_CONNECTION_S,
      MHD_OPTION_END);
  if (!h->mhd) {
    snprintf(msg, msglen, "cannot start the HTTP server on %s", h->address);
    close(h->fd);
    free(h);
    return GCMON_EIO;
  }
  *out = h;
  return 0;
}

const char *export_http_address(const export_http *h) {
  return h->address;
}

void export_http_stop(export_http *h) {
  MHD_socket fd;
  if (!h)
    return;
  /* Quiescing hands the listening socket back, so that closing it is
   * unambiguously ours; then stop waits for the connection threads. */
  fd = MHD_quiesce_daemon(h->mhd);
  MHD_stop_daemon(h->mhd);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
  free(h);
}
