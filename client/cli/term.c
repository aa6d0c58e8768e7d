/* Terminal setup and restore for the full-screen view (see term.h). Plain
 * ANSI/xterm sequences: 1049 alternate screen, 25 cursor visibility. */
#define _DEFAULT_SOURCE /* ioctl TIOCGWINSZ */
#include "term.h"

#include <langinfo.h>
#include <stdlib.h>
#include <locale.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

void term_enter(term_state *t, FILE *out, int in_fd) {
  const char *cs;

  memset(t, 0, sizeof *t);
  t->out = out;
  t->in_fd = in_fd;
  setlocale(LC_CTYPE, "");
  cs = nl_langinfo(CODESET);
  t->utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
  if (in_fd >= 0 && isatty(in_fd) && tcgetattr(in_fd, &t->saved) == 0) {
    struct termios raw = t->saved;
    /* Keys without Enter and without echo; ISIG stays, so Ctrl-C is a
     * SIGINT that the caller handles like q. */
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(in_fd, TCSANOW, &raw) == 0)
      t->raw = true;
  }
  fputs("\033[?1049h\033[?25l\033[H\033[2J", out);
  fflush(out);
  t->entered = true;
}

void term_leave(term_state *t) {
  if (!t->entered)
    return;
  fputs("\033[?25h\033[?1049l", t->out);
  fflush(t->out);
  if (t->raw)
    tcsetattr(t->in_fd, TCSANOW, &t->saved);
  t->raw = false;
  t->entered = false;
}

void term_size(const term_state *t, int *cols, int *rows) {
  struct winsize ws;
  *cols = 80;
  *rows = 24;
  if (ioctl(fileno(t->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    *cols = ws.ws_col;
    *rows = ws.ws_row;
  }
}

bool term_colour_wanted(void) {
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no && *no)
    return false;
  return term && *term && strcmp(term, "dumb") != 0;
}
