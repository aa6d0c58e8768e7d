/* gcmond's command line: parsing, validation and --help text.
 * GCMON_PLATFORM_RTSMART builds default --run-file (no signals there) and,
 * under --source k230, --uart. */
#ifndef GCMON_OPTIONS_H
#define GCMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gcmond_options {
  const char *source; /* sim | linux | k230 */
  const char *listen; /* NULL when --listen none */
  const char *uart;   /* NULL = no UART */
  bool uart_set;      /* --uart given (rtsmart k230 defaults it) */
  const char *run_file; /* removed = stop; NULL: none (linux default) */
  bool stop;            /* --stop: ask the running gcmond to stop */
  unsigned baud;
  uint32_t interval_ms;
  uint32_t history;
  uint32_t max_sessions;
  uint32_t queue_events;
  const char *token_file;
  bool require_mac; /* refuse the cleartext token: challenge-response only */
  uint64_t seed;
  bool seed_set;
  const char *workload;  /* sim: NULL = default */
  uint32_t max_lag_ms;   /* UART: bound on a live event's lateness */
  const char *scenario; /* sim: --scenario NAME, NULL = default workload */
  uint32_t speed;       /* sim: --speed N, 1 = real time */
  const char *meminfo_path;
  const char *misc_dev_path;
  const char *media_mem_path;
  int verbosity; /* 0 = info, 1 = debug, -1 = warnings only */
} gcmond_options;

typedef enum {
  GCMOND_OPTIONS_RUN = 0, /* start the daemon */
  GCMOND_OPTIONS_EXIT_OK, /* --help / --version printed */
  GCMOND_OPTIONS_USAGE    /* bad flag: message printed, exit 2 */
} gcmond_options_result;

gcmond_options_result gcmond_options_parse(gcmond_options *o, int argc,
                                           char **argv);

#endif
