/* The console a `gcmon run` drives: a serial device opened as libgcmon
 * opens one (gcmon_serial_open: exclusively, raw 8N1; "busy (pid N has
 * it)"), with blocking-with-deadline reads; the raw REPL steps on it. */
#ifndef GCMON_CLI_RUN_CONSOLE_H
#define GCMON_CLI_RUN_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct run_console {
  int fd;
  char buf[8192]; /* bytes read and not yet consumed */
  size_t len;
  char why[256];  /* the last failure, for the user */
  uint32_t line_baud; /* told to serve_console(baud=N); 0 = USB CDC */
} run_console;

/* 0, or -1 with why set ("busy (pid N has it)" when another holds it). */
int console_open(run_console *c, const char *path, uint32_t baud);
void console_close(run_console *c);
int console_write(run_console *c, const void *p, size_t n);
/* Read until marker is in buf (consumed with what precedes it, copied to
 * out when out is given); 0, or -1 on timeout/error with why set. */
int console_expect(run_console *c, const char *marker, unsigned timeout_ms,
                   char *out, size_t cap);
/* Send code to the raw REPL to run: in raw-paste mode where the board
 * offers it (as mpremote does), else in chunks. 0 once the board runs it
 * (its output comes next), or -1 with why set. */
int console_upload(run_console *c, const char *code, size_t n);
/* The same without trying raw-paste: for stock firmware, where a port
 * may take the raw-paste request and then hang (the WebAssembly port). */
int console_upload_plain(run_console *c, const char *code, size_t n);
/* Ctrl-C, then the raw REPL (Ctrl-A) with its banner; 0 or -1. */
int console_enter_raw(run_console *c);
/* Run code in the raw REPL, following it to the end; out gets its output.
 * 0, or -1 (why: the error text, or the failure). */
int console_exec(run_console *c, const char *code, char *out, size_t cap);

#endif
