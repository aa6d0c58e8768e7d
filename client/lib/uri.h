/* Target URIs: tcp://HOST[:PORT][?compact=0|1],
 * serial://PATH[?baud=N][&compact=0|1] (options in any order) and
 * repl://PATH[?baud=N][&interval=MS] (a MicroPython console: see repl.h).
 *
 * Pure parsing, no I/O: the result says which transport to open and with
 * what. Every rejection comes with one line naming what is wrong, because
 * a mistyped target is the most common user error. */
#ifndef GCMON_CLIENT_URI_H
#define GCMON_CLIENT_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCMON__URI_HOST_MAX 255
#define GCMON__URI_PATH_MAX 255

typedef enum {
  GCMON__URI_TCP = 1,
  GCMON__URI_SERIAL,
  GCMON__URI_REPL
} gcmon__uri_kind;

typedef struct gcmon__uri {
  gcmon__uri_kind kind;
  char host[GCMON__URI_HOST_MAX + 1]; /* tcp: name or address, no brackets */
  uint16_t port;                      /* tcp */
  char path[GCMON__URI_PATH_MAX + 1]; /* serial, repl: device path */
  uint32_t baud;                      /* serial, repl */
  bool baud_given;                    /* ?baud=N was in the URI */
  uint32_t interval_ms; /* repl: stock tick period asked (0 = default) */
  int compact; /* ?compact=: -1 not given, 0 off, 1 on */
} gcmon__uri;

/* Parse text into *out. Returns 0 or GCMON_EURI with a reason in msg. */
int gcmon__uri_parse(const char *text, gcmon__uri *out, char *msg,
                     size_t msglen);

/* Whether a serial line can be set to this speed (a termios B* constant
 * exists for it). */
int gcmon__baud_supported(uint32_t baud);

#endif
