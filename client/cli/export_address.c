/* Where a tcp:// target really points, for the exporter (see export.h):
 * the cache key that makes every spelling of one board one entry (127.1,
 * 2130706433, 0x7f000001, localhost, port 07230, a trailing slash), and
 * the --probe-allow list of networks /probe may reach, checked against that
 * resolved address (as blackbox_exporter leaves to the operator, who there
 * restricts the module's targets by relabelling or a firewall).
 *
 * Resolution is getaddrinfo() on the HTTP thread that asked: the first
 * address returned, IPv4-mapped IPv6 folded to IPv4. */
#define _POSIX_C_SOURCE 200809L
#include "export.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct export_net {
  int family;       /* AF_INET or AF_INET6 */
  uint8_t addr[16]; /* network bytes */
  unsigned bits;    /* prefix length */
} export_net;

/* Split "tcp://HOST[:PORT][/]" (already checked by gcmon_uri_check). */
static int split_tcp(const char *target, char *host, size_t hostlen,
                     unsigned *port) {
  const char *p = target + 6, *end, *colon = NULL;
  size_t n;

  if (strncmp(target, "tcp://", 6) != 0)
    return -1;
  end = p + strcspn(p, "/?#");
  if (*p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close)
      return -1;
    n = (size_t)(close - p - 1);
    p++;
    colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
  } else {
    for (const char *q = p; q < end; q++)
      if (*q == ':')
        colon = q;
    n = (size_t)((colon ? colon : end) - p);
  }
  if (n == 0 || n >= hostlen)
    return -1;
  memcpy(host, p, n);
  host[n] = '\0';
  *port = GCMON_DEFAULT_PORT;
  if (colon) {
    unsigned long v = 0;
    const char *q = colon + 1;
    if (q == end)
      return -1;
    for (; q < end; q++) {
      if (*q < '0' || *q > '9' || (v = v * 10u + (unsigned)(*q - '0')) > 65535u)
        return -1;
    }
    *port = (unsigned)v;
  }
  return 0;
}

/* The first address of host, v4-mapped folded to v4. */
static int resolve(const char *host, struct sockaddr_storage *out) {
  struct addrinfo hints, *ai = NULL;

  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
    return -1;
  memset(out, 0, sizeof *out);
  memcpy(out, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  if (out->ss_family == AF_INET6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
      struct sockaddr_in a4;
      memset(&a4, 0, sizeof a4);
      a4.sin_family = AF_INET;
      memcpy(&a4.sin_addr, a6->sin6_addr.s6_addr + 12, 4);
      memset(out, 0, sizeof *out);
      memcpy(out, &a4, sizeof a4);
    }
  }
  return 0;
}

int export_resolve_tcp(const char *target, char *key, size_t keylen,
                       struct sockaddr_storage *addr) {
  char host[EXPORT_TARGET_MAX + 1], shown[INET6_ADDRSTRLEN];
  unsigned port;

  if (split_tcp(target, host, sizeof host, &port) != 0 ||
      resolve(host, addr) != 0)
    return -1;
  if (addr->ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)addr)->sin6_addr, shown,
              sizeof shown);
    snprintf(key, keylen, "tcp://[%s]:%u", shown, port);
  } else {
    inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr, shown,
              sizeof shown);
    snprintf(key, keylen, "tcp://%s:%u", shown, port);
  }
  return 0;
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET6
             ? ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr
             : (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

/* One "host", "ADDR" or "ADDR/BITS" item into a net. */
static int parse_item(const char *item, export_net *net) {
  char host[EXPORT_TARGET_MAX + 1];
  const char *slash = strchr(item, '/');
  size_t n = slash ? (size_t)(slash - item) : strlen(item);
  struct sockaddr_storage ss;
  unsigned max;

  if (n == 0 || n >= sizeof host)
    return -1;
  memcpy(host, item, n);
  host[n] = '\0';
  if (resolve(host, &ss) != 0)
    return -1;
  net->family = ss.ss_family;
  max = ss.ss_family == AF_INET6 ? 128u : 32u;
  memcpy(net->addr, addr_bytes(&ss), max / 8u);
  net->bits = max;
  if (slash) {
    char *end;
    unsigned long bits = strtoul(slash + 1, &end, 10);
    if (!slash[1] || *end || bits > max)
      return -1;
    net->bits = (unsigned)bits;
  }
  return 0;
}

int export_allow_parse(export_allow *a, const char *spec, char *msg,
                       size_t msglen) {
  const char *p = spec;

  memset(a, 0, sizeof *a);
  while (*p) {
    char item[EXPORT_TARGET_MAX + 1];
    size_t n = strcspn(p, ",");
    export_net *grown;

    if (n == 0 || n >= sizeof item) {
      snprintf(msg, msglen, "--probe-allow: an empty or overlong item in '%s'",
               spec);
      export_allow_free(a);
      return -1;
    }
    memcpy(item, p, n);
    item[n] = '\0';
    grown = realloc(a->nets, (a->n + 1) * sizeof *a->nets);
    if (!grown) {
      snprintf(msg, msglen, "out of memory");
      export_allow_free(a);
      return -1;
    }
    a->nets = grown;
    if (parse_item(item, &a->nets[a->n]) != 0) {
      snprintf(msg, msglen,
               "--probe-allow: '%s' is not a host, an address or "
               "ADDRESS/BITS",
               item);
      export_allow_free(a);
      return -1;
    }
    a->n++;
    p += n;
    if (*p == ',')
      p++;
  }
  a->on = true;
  return 0;
}

bool export_allow_match(const export_allow *a,
                        const struct sockaddr_storage *addr) {
  const uint8_t *b = addr_bytes(addr);

  if (!a->on)
    return true;
  for (size_t i = 0; i < a->n; i++) {
    const export_net *net = &a->nets[i];
    unsigned whole = net->bits / 8u, rest = net->bits % 8u;
    if (net->family != addr->ss_family || memcmp(net->addr, b, whole) != 0)
      continue;
    if (rest == 0 ||
        ((net->addr[whole] ^ b[whole]) & (uint8_t)(0xffu << (8u - rest))) == 0)
      return true;
  }
  return false;
}

void export_allow_free(export_allow *a) {
  free(a->nets);
  a->nets = NULL;
  a->n = 0;
}
