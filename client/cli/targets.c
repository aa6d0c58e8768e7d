/* Target names and the config file that defines them (see targets.h).
 * The file is a few lines of `key = value` under `[board]` headers; it is
 * read once per run, before anything connects. */
#include "targets.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void config_path(char *out, size_t len) {
  const char *xdg = getenv("XDG_CONFIG_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/')
    snprintf(out, len, "%s/gcmon/config", xdg);
  else if (home && *home)
    snprintf(out, len, "%s/.config/gcmon/config", home);
  else
    out[0] = '\0';
}

static char *trim(char *s) {
  char *end;
  while (isspace((unsigned char)*s))
    s++;
  end = s + strlen(s);
  while (end > s && isspace((unsigned char)end[-1]))
    *--end = '\0';
  return s;
}

static int copy(char *dst, size_t len, const char *src) {
  return (size_t)snprintf(dst, len, "%s", src) < len ? 0 : -1;
}

static int fail(const targets_config *c, int line, char *msg, size_t msglen,
                const char *what) {
  snprintf(msg, msglen, "%s:%d: %s", c->path, line, what);
  return -1;
}

/* One line of the file: a [name] header or key = value. */
static int parse_line(targets_config *c, char *text, int line,
                      targets_board **board, char *msg, size_t msglen) {
  char *s = trim(text), *eq, *key, *value;

  if (*s == '\0' || *s == '#' || *s == ';')
    return 0;
  if (*s == '[') {
    char *end = strchr(s, ']');
    if (!end || end[1] != '\0' || end == s + 1)
      return fail(c, line, msg, msglen, "expected [NAME]");
    *end = '\0';
    if (c->nboards == TARGETS_BOARDS_MAX)
      return fail(c, line, msg, msglen, "too many boards");
    *board = &c->boards[c->nboards++];
    if (copy((*board)->name, sizeof(*board)->name, trim(s + 1)) != 0)
      return fail(c, line, msg, msglen, "board name too long");
    return 0;
  }
  eq = strchr(s, '=');
  if (!eq)
    return fail(c, line, msg, msglen, "expected KEY = VALUE or [NAME]");
  *eq = '\0';
  key = trim(s);
  value = trim(eq + 1);
  if (!*board && strcmp(key, "default") == 0)
    return copy(c->default_target, sizeof c->default_target, value) == 0
               ? 0
               : fail(c, line, msg, msglen, "value too long");
  if (*board && strcmp(key, "target") == 0)
    return copy((*board)->target, sizeof(*board)->target, value) == 0
               ? 0
               : fail(c, line, msg, msglen, "value too long");
  if (*board && strcmp(key, "token-file") == 0) {
    const char *home = getenv("HOME");
    int n = value[0] == '~' && value[1] == '/' && home
                ? snprintf((*board)->token_file, sizeof(*board)->token_file,
                           "%s%s", home, value + 1)
                : snprintf((*board)->token_file, sizeof(*board)->token_file,
                           "%s", value);
    return n >= 0 && (size_t)n < sizeof(*board)->token_file
               ? 0
               : fail(c, line, msg, msglen, "value too long");
  }
  snprintf(msg, msglen, "%s:%d: unknown key '%s'%s", c->path, line, key,
           *board ? " (a board takes target, token-file)"
                  : " (before any [NAME]: default)");
  return -1;
}

int targets_load(targets_config *c, char *msg, size_t msglen) {
  char buf[1024];
  targets_board *board = NULL;
  FILE *f;
  int line = 0;

  memset(c, 0, sizeof *c);
  config_path(c->path, sizeof c->path);
  if (!c->path[0])
    return 0;
  f = fopen(c->path, "r");
  if (!f) {
    if (errno == ENOENT)
      return 0;
    snprintf(msg, msglen, "%s: %s", c->path, strerror(errno));
    return -1;
  }
  while (fgets(buf, sizeof buf, f)) {
    line++;
    if (parse_line(c, buf, line, &board, msg, msglen) != 0) {
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  for (int i = 0; i < c->nboards; i++)
    if (!c->boards[i].target[0]) {
      snprintf(msg, msglen, "%s: board '%s' has no target", c->path,
               c->boards[i].name);
      return -1;
    }
  return 0;
}

const targets_board *targets_find(const targets_config *c, const char *name) {
  for (int i = 0; i < c->nboards; i++)
    if (strcmp(c->boards[i].name, name) == 0)
      return &c->boards[i];
  return NULL;
}

/* A URI, a device path or a host: never a board name. */
static int address(const char *spec, char *out, size_t len) {
  int n;
  if (strstr(spec, "://"))
    n = snprintf(out, len, "%s", spec);
  else if (spec[0] == '/')
    n = snprintf(out, len, "serial://%s", spec);
  else
    n = snprintf(out, len, "tcp://%s", spec);
  return n >= 0 && (size_t)n < len ? 0 : -1;
}

int targets_resolve(const targets_config *c, const char *spec, char *out,
                    size_t len, const targets_board **board) {
  *board = strstr(spec, "://") || spec[0] == '/' ? NULL : targets_find(c, spec);
  return address(*board ? (*board)->target : spec, out, len);
}
