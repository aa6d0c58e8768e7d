/* Which daemon a command talks to, by name or by address.
 *
 * A target may be written four ways; the first that applies wins:
 *   tcp://HOST[:PORT], serial:///dev/X[?baud=N]   a URI, used as it is
 *   /dev/ttyACM0[?baud=N]                         a serial device
 *   lab-3                                         a board named in the
 *                                                 config file
 *   k230.local, 10.0.0.3:7230, [::1]:7230         a TCP host
 *
 * The config file is $XDG_CONFIG_HOME/gcmon/config (else
 * ~/.config/gcmon/config); a missing file is no error:
 *
 *     default = lab-3            # used when neither -t nor $GCMON_TARGET
 *     [lab-3]
 *     target = tcp://10.0.0.3
 *     token-file = ~/.config/gcmon/lab-3.token     (~/ is $HOME)
 *     [bench]
 *     target = /dev/ttyACM0?baud=921600
 *
 * Precedence: -t, then $GCMON_TARGET, then the config's `default`, then
 * tcp://127.0.0.1. A board's token-file is used when neither --token-file
 * nor $GCMON_TOKEN gives a token. */
#ifndef GCMON_CLI_TARGETS_H
#define GCMON_CLI_TARGETS_H

#include <stddef.h>

#define TARGETS_URI_MAX    300
#define TARGETS_NAME_MAX   64
#define TARGETS_PATH_MAX   512
#define TARGETS_BOARDS_MAX 64

typedef struct targets_board {
  char name[TARGETS_NAME_MAX];
  char target[TARGETS_URI_MAX];
  char token_file[TARGETS_PATH_MAX];
} targets_board;

typedef struct targets_config {
  char path[TARGETS_PATH_MAX]; /* the file read ("" when none) */
  char default_target[TARGETS_URI_MAX];
  targets_board boards[TARGETS_BOARDS_MAX];
  int nboards;
} targets_config;

/* Read the config file into *c (empty when there is none). 0, or -1 with
 * one line naming the file, line and problem in msg. */
int targets_load(targets_config *c, char *msg, size_t msglen);

/* The board named name, or NULL. */
const targets_board *targets_find(const targets_config *c, const char *name);

/* spec (any of the four forms) -> a URI in out. *board is the config's
 * board when spec named one, else NULL. 0, or -1 when out is too small. */
int targets_resolve(const targets_config *c, const char *spec, char *out,
                    size_t len, const targets_board **board);

#endif
