/* Target URI parsing (see uri.h). Strict on purpose: anything not exactly
 * understood is refused with a reason rather than guessed at. */
#include "uri.h"

#include "gcmon/client.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>

/* 9600 and up, as docs/cli.md says: slower lines cannot carry one sample
 * per second (a Sample frame is ~100 bytes). */
static const uint32_t bauds[] = {9600,    19200,   38400,   57600,  115200,
                                 230400,  460800,  500000,  576000, 921600,
                                 1000000, 1500000, 2000000, 3000000};

int gcmon__baud_supported(uint32_t baud) {
  for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
    if (bauds[i] == baud)
      return 1;
  return 0;
}

static int fail(char *msg, size_t len, const char *text, const char *why) {
  if (msg && len)
    snprintf(msg, len, "malformed target '%s': %s", text, why);
  return GCMON_EURI;
}

/* Decimal digits only, no sign, at most max. */
static int parse_uint(const char *s, size_t n, uint32_t max, uint32_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 10)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > max)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

/* The options after '?': name=value pairs joined by '&'. serial allows
 * baud=N; both allow compact=0|1. p points after the '?'; returns the end
 * of the options in *end. */
static int parse_options(const char *text, const char *p, bool serial,
                         bool repl, gcmon__uri *out, const char **end,
                         char *msg, size_t len) {
  const char *usage = repl     ? "options are baud=N and interval=MS"
                      : serial ? "options are baud=N and compact=0|1"
                               : "the only option is compact=0|1";
  for (;;) {
    size_t plen = strcspn(p, "&#");
    if (serial && plen >= 5 && strncmp(p, "baud=", 5) == 0) {
      if (parse_uint(p + 5, plen - 5, 4000000, &out->baud) != 0 ||
          !gcmon__baud_supported(out->baud))
        return fail(msg, len, text,
                    "unsupported baud rate (9600 to 3000000, e.g. 115200, 921600)");
      out->baud_given = true;
    } else if (repl && plen > 9 && strncmp(p, "interval=", 9) == 0) {
      if (parse_uint(p + 9, plen - 9, 3600000, &out->interval_ms) != 0 ||
          out->interval_ms == 0)
        return fail(msg, len, text,
                    "interval must be milliseconds from 1 to 3600000");
    } else if (!repl && plen == 9 && strncmp(p, "compact=", 8) == 0 &&
               (p[8] == '0' || p[8] == '1')) {
      out->compact = p[8] - '0';
    } else {
      return fail(msg, len, text, usage);
    }
    p += plen;
    if (*p != '&')
      break;
    p++;
  }
  *end = p;
  return 0;
}

static int parse_tcp(const char *text, const char *p, gcmon__uri *out,
                     char *msg, size_t len) {
  const char *host = p, *host_end, *port = NULL;
  size_t port_len = 0;

  if (*p == '[') {
    host = p + 1;
    host_end = strchr(host, ']');
    if (!host_end)
      return fail(msg, len, text, "missing ']' after an IPv6 address");
    p = host_end + 1;
  } else {
    host_end = p + strcspn(p, ":/?#");
    p = host_end;
  }
  if (host_end == host)
    return fail(msg, len, text, "no host (expected tcp://HOST[:PORT])");
  if ((size_t)(host_end - host) > GCMON__URI_HOST_MAX)
    return fail(msg, len, text, "host name too long");
  if (*p == ':') {
    port = ++p;
    port_len = strcspn(p, "/?#");
    p += port_len;
  }
  if (*p == '/' && (p[1] == '\0' || p[1] == '?'))
    p++; /* tolerate one trailing slash */
  if (*p == '?' &&
      parse_options(text, p + 1, false, false, out, &p, msg, len) != 0)
    return GCMON_EURI;
  if (*p != '\0')
    return fail(msg, len, text, "unexpected text after host and port");

  memcpy(out->host, host, (size_t)(host_end - host));
  out->host[host_end - host] = '\0';
  out->port = GCMON_DEFAULT_PORT;
  if (port) {
    uint32_t v;
    if (parse_uint(port, port_len, 65535, &v) != 0 || v == 0)
      return fail(msg, len, text, "port must be a number from 1 to 65535");
    out->port = (uint16_t)v;
  }
  out->kind = GCMON__URI_TCP;
  return 0;
}

static int parse_serial(const char *text, const char *p, gcmon__uri *out,
                        gcmon__uri_kind kind, char *msg, size_t len) {
  size_t path_len = strcspn(p, "?#");
  const char *q = p + path_len;

  if (path_len == 0 || p[0] != '/')
    return fail(msg, len, text,
                kind == GCMON__URI_REPL
                    ? "expected an absolute device path: repl:///dev/ttyACM0"
                    : "expected an absolute device path: serial:///dev/ttyUSB0");
  if (path_len > GCMON__URI_PATH_MAX)
    return fail(msg, len, text, "device path too long");
  memcpy(out->path, p, path_len);
  out->path[path_len] = '\0';
  out->baud = GCMON_DEFAULT_BAUD;

  if (*q == '?' && parse_options(text, q + 1, true, kind == GCMON__URI_REPL,
                                out, &q, msg, len) != 0)
    return GCMON_EURI;
  if (*q != '\0')
    return fail(msg, len, text, "unexpected text after the device path");
  out->kind = kind;
  return 0;
}

int gcmon__uri_parse(const char *text, gcmon__uri *out, char *msg,
                     size_t msglen) {
  memset(out, 0, sizeof *out);
  out->compact = -1;
  if (!text || !*text)
    return fail(msg, msglen, text ? text : "", "empty target");
  if (strncmp(text, "tcp://", 6) == 0)
    return parse_tcp(text, text + 6, out, msg, msglen);
  if (strncmp(text, "serial://", 9) == 0)
    return parse_serial(text, text + 9, out, GCMON__URI_SERIAL, msg, msglen);
  if (strncmp(text, "repl://", 7) == 0)
    return parse_serial(text, text + 7, out, GCMON__URI_REPL, msg, msglen);
  return fail(msg, msglen, text,
              "expected tcp://HOST[:PORT], serial:///dev/DEVICE[?baud=N] or "
              "repl:///dev/DEVICE[?baud=N]");
}
