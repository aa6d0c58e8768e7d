/* The terminal while `gcmon watch` owns it: alternate screen, hidden
 * cursor, and keys read one at a time without echo. term_leave() puts back
 * exactly what term_enter() found; it is safe to call twice. */
#ifndef GCMON_CLI_TERM_H
#define GCMON_CLI_TERM_H

#include <stdbool.h>
#include <stdio.h>
#include <termios.h>

typedef struct term_state {
  FILE *out;
  int in_fd; /* -1 when stdin is not a terminal */
  bool entered;
  bool raw; /* in_fd's settings were changed */
  struct termios saved;
  bool utf8; /* the locale can show block characters */
} term_state;

/* Take over the screen on out (a terminal). */
void term_enter(term_state *t, FILE *out, int in_fd);
void term_leave(term_state *t);
/* Whether to colour: not when NO_COLOR is set (to anything but ""), nor
 * when TERM is unset or "dumb" (https://no-color.org). */
bool term_colour_wanted(void);
/* Columns and rows of out's terminal (80x24 when unknown). */
void term_size(const term_state *t, int *cols, int *rows);

#endif
