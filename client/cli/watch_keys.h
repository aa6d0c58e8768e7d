/* The keys of `gcmon watch` as a small state machine, fed one byte at a
 * time and free of I/O: what each key asks for (an action for cmd_watch.c
 * to carry out), the questions it asks first (a threshold to type, y/n
 * before enable/disable), and the text of the prompt line.
 *
 *   c  collect        t  threshold: type 64K / 1M / off, Enter
 *   e  enable (y/n)   d  disable (y/n)
 *   p  pause          ?  help          q, Ctrl-C  quit
 *   Esc cancels a question; any other key answers "no". */
#ifndef GCMON_CLI_WATCH_KEYS_H
#define GCMON_CLI_WATCH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  WATCH_ASK_NONE = 0,
  WATCH_ASK_THRESHOLD, /* typing a size */
  WATCH_ASK_ENABLE,    /* y/n */
  WATCH_ASK_DISABLE    /* y/n */
} watch_ask;

typedef enum {
  WATCH_DO_NOTHING = 0,
  WATCH_DO_REDRAW, /* the picture changed (prompt, pause, help) */
  WATCH_DO_QUIT,
  WATCH_DO_COLLECT,
  WATCH_DO_THRESHOLD, /* set keys->threshold (negative: off) */
  WATCH_DO_ENABLE,
  WATCH_DO_DISABLE
} watch_do;

#define WATCH_KEYS_INPUT_MAX 24
#define WATCH_KEYS_LINE_MAX  200

typedef struct watch_keys {
  const char *target; /* named in the questions */
  watch_ask ask;
  char input[WATCH_KEYS_INPUT_MAX];
  size_t len;
  bool paused;
  bool help;
  int64_t threshold;                 /* for WATCH_DO_THRESHOLD */
  char message[WATCH_KEYS_LINE_MAX]; /* an answer, shown until the next key */
  char prompt[WATCH_KEYS_LINE_MAX];  /* the prompt line (watch_keys_prompt) */
} watch_keys;

void watch_keys_init(watch_keys *k, const char *target);
/* One byte from the terminal; returns what to do. */
watch_do watch_keys_feed(watch_keys *k, unsigned char ch);
/* The bottom line: the question being asked, else the last message, else
 * NULL. Points into k. */
const char *watch_keys_prompt(watch_keys *k);
/* Say how an action ended (the reply, or why it failed). */
void watch_keys_say(watch_keys *k, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
