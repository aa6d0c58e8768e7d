/* `gcmon run` on a board with the agent (gcmon.serve_console_stop exists):
 * the script runs on the board's main thread while serve_console(beside=
 * True) serves the framed protocol on a _thread, on the same console. */
#ifndef GCMON_CLI_RUN_AGENT_H
#define GCMON_CLI_RUN_AGENT_H

#include "cli.h"
#include "run_console.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct run_agent_result {
  uint64_t samples;
  uint64_t first_seq, last_seq; /* of the samples written */
  uint64_t gaps;                /* seq missing between them */
  bool served;                  /* the agent's session came up */
  bool ended;                   /* the raw REPL finished the script */
  char err[2048];               /* the script's error text, if any */
} run_agent_result;

/* The raw REPL answers on con: upload the wrapper and script, split the
 * console (frames to a libgcmon session subscribed at x->interval_ms
 * writing samples to w, the rest to stdout) until the script has ended
 * and the raw REPL prompts again. A byte on sigfd is the user's Ctrl-C:
 * the board gets its 0x03 between frames. 0, or -1 with con->why set. */
int run_agent(cli_ctx *x, run_console *con, const char *script, size_t len,
              writer *w, int sigfd, run_agent_result *out);

/* --status: one line on stderr for a reading (either mode), between the
 * script's own lines on the terminal. */
void run_status_line(const cli_ctx *x, const gcmon_sample *s);

#endif
