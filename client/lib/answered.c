/* What answered instead of gcmond (see answered.h). */
#include "answered.h"

#include <stdio.h>
#include <string.h>

static bool has(const uint8_t *h, size_t n, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(h + i, s, k) == 0)
      return true;
  return false;
}

/* Printable text of the bytes: control and frame bytes dropped. */
static void printable(const uint8_t *h, size_t n, char *out, size_t cap) {
  size_t j = 0;
  bool space = false;
  for (size_t i = 0; i < n && j + 2 < cap; i++) {
    uint8_t c = h[i];
    if (c >= 0x20 && c < 0x7f) {
      if (space && j > 0)
        out[j++] = ' ';
      space = false;
      out[j++] = (char)c;
    } else if (c == '\r' || c == '\n' || c == '\t') {
      space = true;
    }
  }
  out[j] = '\0';
}

bool gcmon__describe_answer(const gcmon__uri *uri, const char *target,
                            const uint8_t *heard, size_t n, char *out,
                            size_t cap) {
  char text[64];
  bool serial = uri->kind == GCMON__URI_SERIAL;

  printable(heard, n, text, sizeof text);
  if (n == 0 || text[0] == '\0' || uri->kind == GCMON__URI_REPL)
    return false;
  if (has(heard, n, ">>> ") || has(heard, n, "raw REPL") ||
      has(heard, n, "MicroPython") || has(heard, n, "Traceback") ||
      has(heard, n, "SyntaxError")) {
    if (serial)
      snprintf(out, cap,
               "%s: a MicroPython REPL answered, not the gcmon agent "
               "(it said '%.40s'); try -t repl://%s",
               target, text, uri->path);
    else
      snprintf(out, cap,
               "%s: a MicroPython prompt answered, not gcmond (it said "
               "'%.40s'); for a board's console use -t repl:///dev/DEVICE",
               target, text);
    return true;
  }
  if (serial && (has(heard, n, "\x1b[") || has(heard, n, "gcmon"))) {
    snprintf(out, cap,
             "%s: a console answered, echoing what gcmon sent (a MicroPython "
             "REPL at its prompt?); try -t repl://%s",
             target, uri->path);
    return true;
  }
  if ((n >= 5 && memcmp(heard, "HTTP/", 5) == 0) ||
      has(heard, n, "<!DOCTYPE HTML") || has(heard, n, "<!DOCTYPE html") ||
      has(heard, n, "<html")) {
    snprintf(out, cap,
             "%s: an HTTP server answered, not gcmond (it said '%.40s'); "
             "gcmond listens on port 7230",
             target, text);
    return true;
  }
  if (n >= 4 && memcmp(heard, "SSH-", 4) == 0) {
    snprintf(out, cap, "%s: an SSH server answered, not gcmond ('%.40s')",
             target, text);
    return true;
  }
  snprintf(out, cap,
           "%s: the other end sent text, not gcmon frames: '%.40s'%s", target,
           text,
           serial ? " (a board's console? try repl:// for its REPL)" : "");
  return true;
}
