/* The keys of `gcmon watch` (see watch_keys.h). */
#include "watch_keys.h"
#include "units.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KEY_ESC       27
#define KEY_CTRL_C    3
#define KEY_BACKSPACE 127

void watch_keys_init(watch_keys *k, const char *target) {
  memset(k, 0, sizeof *k);
  k->target = target;
}

void watch_keys_say(watch_keys *k, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k->message, sizeof k->message, fmt, ap);
  va_end(ap);
}

static watch_do ask(watch_keys *k, watch_ask what) {
  k->ask = what;
  k->len = 0;
  k->input[0] = '\0';
  return WATCH_DO_REDRAW;
}

/* Typing the threshold: Enter sets it, Esc cancels. */
static watch_do typing(watch_keys *k, unsigned char ch) {
  if (ch == KEY_ESC) {
    k->ask = WATCH_ASK_NONE;
    watch_keys_say(k, "%s", "threshold: cancelled");
    return WATCH_DO_REDRAW;
  }
  if (ch == '\r' || ch == '\n') {
    k->ask = WATCH_ASK_NONE;
    if (strcmp(k->input, "off") == 0) {
      k->threshold = -1;
    } else if (units_parse_size(k->input, &k->threshold) != 0) {
      watch_keys_say(k,
                     "threshold: '%s' is not a size like 65536, 64K or 1M, "
                     "or off",
                     k->input);
      return WATCH_DO_REDRAW;
    }
    watch_keys_say(k, "threshold: setting %s ...", k->input);
    return WATCH_DO_THRESHOLD;
  }
  if ((ch == KEY_BACKSPACE || ch == '\b') && k->len > 0)
    k->input[--k->len] = '\0';
  else if (ch >= 0x20 && ch < 0x7f && k->len + 1 < sizeof k->input) {
    k->input[k->len++] = (char)ch;
    k->input[k->len] = '\0';
  }
  return WATCH_DO_REDRAW;
}

static watch_do confirming(watch_keys *k, unsigned char ch) {
  bool enable = k->ask == WATCH_ASK_ENABLE;
  k->ask = WATCH_ASK_NONE;
  if (ch == 'y' || ch == 'Y') {
    watch_keys_say(k, "%s: ...", enable ? "enable" : "disable");
    return enable ? WATCH_DO_ENABLE : WATCH_DO_DISABLE;
  }
  watch_keys_say(k, "%s: not done", enable ? "enable" : "disable");
  return WATCH_DO_REDRAW;
}

watch_do watch_keys_feed(watch_keys *k, unsigned char ch) {
  if (ch == KEY_CTRL_C)
    return WATCH_DO_QUIT;
  if (k->ask == WATCH_ASK_THRESHOLD)
    return typing(k, ch);
  if (k->ask != WATCH_ASK_NONE)
    return confirming(k, ch);
  k->message[0] = '\0';
  switch (ch) {
  case 'q':
  case 'Q':
    return WATCH_DO_QUIT;
  case 'c':
    watch_keys_say(k, "%s", "collect: ...");
    return WATCH_DO_COLLECT;
  case 't':
    return ask(k, WATCH_ASK_THRESHOLD);
  case 'e':
    return ask(k, WATCH_ASK_ENABLE);
  case 'd':
    return ask(k, WATCH_ASK_DISABLE);
  case 'p':
    k->paused = !k->paused;
    watch_keys_say(k, "%s",
                   k->paused ? "paused: figures frozen, p resumes" : "resumed");
    return WATCH_DO_REDRAW;
  case '?':
    k->help = !k->help;
    return WATCH_DO_REDRAW;
  default:
    return WATCH_DO_REDRAW; /* clears the last message */
  }
}

const char *watch_keys_prompt(watch_keys *k) {
  switch (k->ask) {
  case WATCH_ASK_THRESHOLD:
    snprintf(k->prompt, sizeof k->prompt,
             "threshold (64K, 1M or off; Enter sets, Esc cancels): %s_",
             k->input);
    return k->prompt;
  case WATCH_ASK_ENABLE:
  case WATCH_ASK_DISABLE:
    snprintf(k->prompt, sizeof k->prompt, "%s the gc on %s? (y/n)",
             k->ask == WATCH_ASK_ENABLE ? "enable" : "disable", k->target);
    return k->prompt;
  case WATCH_ASK_NONE:
    break;
  }
  return k->message[0] ? k->message : NULL;
}
