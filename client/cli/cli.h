/* What every gcmon command shares: the parsed global options, the command
 * table's row type, and the helpers that open a client and turn a failure
 * into the one line on stderr the user sees. */
#ifndef GCMON_CLI_H
#define GCMON_CLI_H

#include "gcmon/client.h"
#include "targets.h"
#include "writer.h"

#include <stdbool.h>
#include <stdio.h>

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE   2

#define CLI_TARGETS_MAX 64 /* -t given several times (export) */

/* Output format chosen on the command line. */
typedef enum {
  CLI_FORMAT_TEXT = 0,
  CLI_FORMAT_JSON,
  CLI_FORMAT_CSV
} cli_format;

typedef struct cli_ctx {
  const char *prog;                     /* "gcmon" */
  const char *command;                  /* the command's name */
  const char *target;                   /* -t / GCMON_TARGET */
  const char *targets[CLI_TARGETS_MAX]; /* every -t, in order (export) */
  int ntargets;
  const char *token_file;
  const char *token_origin; /* where token_file came from, for messages */
  uint8_t token[GCMON_TOKEN_MAX];
  size_t token_len;
  bool have_token;
  bool require_mac; /* --require-mac: never send the token in clear */
  unsigned timeout_ms;  /* --timeout, default 5 s */
  cli_format format;    /* --json / --csv */
  bool raw_bytes;       /* --bytes */
  const char *out_path; /* record: --csv/--json FILE */
  uint64_t since;       /* history: --since */
  unsigned interval_ms; /* watch, record, export: --interval */
  const char *listen;   /* export: --listen */
  unsigned max_targets; /* export: --max-targets */
  unsigned idle_ms;     /* export: --idle-expiry */
  const char *probe_allow; /* export: --probe-allow */
  uint32_t for_ms;      /* diagnose: --for */
  const char *in_csv;   /* diagnose: --csv FILE (input) */
  const char *html_path;     /* diagnose: --html FILE */
  uint32_t run_period_ms;    /* diagnose: --run-period */
  int argc;             /* positional arguments after the command */
  char **argv;
  bool wide;            /* watch, history: --wide (every field) */
  bool status;          /* run: --status (a line per reading on stderr) */
  int out_errno;        /* first failed write to stdout (writers) */
  targets_config config;                           /* ~/.config/gcmon/config */
  char target_uri[TARGETS_URI_MAX];                /* target, resolved */
  char auto_target[TARGETS_URI_MAX];               /* -t auto: the board */
  char token_origin_buf[TARGETS_NAME_MAX + TARGETS_PATH_MAX + 32];
  char target_uris[CLI_TARGETS_MAX][TARGETS_URI_MAX]; /* targets, resolved */
} cli_ctx;

typedef int (*cli_command_fn)(cli_ctx *x);

/* Options a command accepts beyond the global ones (bit set). */
enum {
  CLI_OPT_JSON = 1 << 0,
  CLI_OPT_CSV = 1 << 1,
  CLI_OPT_BYTES = 1 << 2,
  CLI_OPT_SINCE = 1 << 3,
  CLI_OPT_INTERVAL = 1 << 4,
  CLI_OPT_OUTFILE = 1 << 5, /* --csv FILE / --json FILE */
  CLI_OPT_EXPORT = 1 << 6,   /* --listen, --max-targets, --idle-expiry,
                                --probe-allow */
  CLI_OPT_WIDE = 1 << 7,     /* --wide */
  CLI_OPT_DIAGNOSE = 1 << 8, /* --for, --csv FILE, --html, --run-period */
  CLI_OPT_STATUS = 1 << 9,   /* --status */
};

typedef struct cli_command {
  const char *name;
  cli_command_fn run;
  unsigned options; /* CLI_OPT_* */
  int min_args, max_args;
  const char *args;    /* positional synopsis, e.g. "[BYTES|off]" */
  const char *summary; /* one line for the command list */
  const char *help;    /* the command's --help body */
} cli_command;

/* commands.c: the table, NULL-terminated by name. */
extern const cli_command cli_commands[];

/* connect.c */
/* Open a synchronous client and say hello. On failure prints the line and
 * returns CLI_EXIT_FAILURE with *out NULL. */
int cli_connect(cli_ctx *x, gcmon_client **out);
/* Event-loop client with reconnect (watch, record); not yet started. */
int cli_client_for_loop(cli_ctx *x, struct uv_loop_s *loop,
                        gcmon_state_cb on_state, void *data,
                        gcmon_client **out);
/* Print the one-line explanation of err for call (NULL: connecting) and
 * return CLI_EXIT_FAILURE. */
int cli_fail(cli_ctx *x, gcmon_client *c, const char *call, int err);
/* Print "gcmon: <message>" to stderr. */
void cli_error(const cli_ctx *x, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A usage error: "gcmon[ COMMAND]: <message> (see gcmon[ COMMAND]
 * --help)", one line; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_ctx *x, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Say on stderr when the daemon granted another interval than asked. */
void cli_note_interval(const cli_ctx *x, uint32_t granted_ms);
/* A writer for x->format on out; stream: records arrive one by one. A
 * write error on stdout is kept for main() to report. */
writer *cli_writer(cli_ctx *x, FILE *out, bool stream);

/* emit.c: host wall-clock time of samples. The board only knows its
 * uptime, so a run's first sample is anchored to the host's clock when it
 * arrives (or by an explicit anchor) and later ones are placed by uptime,
 * which keeps replayed samples (history, resumes) at their true time. */
typedef struct cli_clock {
  uint64_t run_id;
  uint64_t uptime_us;
  int64_t wall_us;
  bool set;
} cli_clock;
int64_t cli_wall_now_us(void);
void cli_clock_anchor(cli_clock *k, uint64_t run_id, uint64_t uptime_us,
                      int64_t wall_us);
int64_t cli_clock_wall(cli_clock *k, uint64_t run_id, const gcmon_sample *s);

/* emit.c: the protocol's structs through a writer, with docs/protocol.md's
 * field names, plus "time" (ISO 8601, host clock) on series samples. */
void emit_sample_fields(writer *w, const gcmon_sample *s);
void emit_sample(writer *w, const gcmon_sample *s);
void emit_sample_at(writer *w, const gcmon_sample *s, int64_t wall_us);
/* wm: the sample's watermarks (a subscription that asked), or NULL. */
void emit_series_sample(writer *w, uint64_t run_id, const gcmon_sample *s,
                        const gcmon_watermarks *wm, int64_t wall_us);
void emit_gap(writer *w, uint64_t run_id, uint64_t first, uint64_t last);
void emit_restart(writer *w, uint64_t run_id, uint64_t prev_run_id);
/* ci: the console link's mode and costs (repl://), or NULL. */
void emit_info(writer *w, const gcmon_info *info, const gcmon_console_info *ci);
void emit_collect(writer *w, const gcmon_collect_result *r);
void emit_link_stats(writer *w, const gcmon_link_stats *s);
/* CSV columns of a series stream (record, history). */
extern const char *const emit_series_columns[];

/* emit_insight.c: memory insight (protocol 1.1). */
/* An alarm row; wall_us is the host time of its sample (cli_clock_wall). */
void emit_alarm(writer *w, uint64_t run_id, const gcmon_alarm_event *e,
                int64_t wall_us);
void emit_alarm_rule(writer *w, const gcmon_alarm_rule *r);
void emit_alarm_state(writer *w, const gcmon_alarm_state *st);
/* The "watermarks" group of a sample row (pools present only). */
void emit_watermarks(writer *w, const gcmon_watermarks *wm);
/* A collection row (event "collection"); wall_us is the host time of its
 * start. */
void emit_collection(writer *w, uint64_t run_id, const gcmon_collection *c,
                     int64_t wall_us);
/* A live stream that also carries alarm events (watch). */
int cli_subscribe_with_alarms(gcmon_client *c, uint32_t interval_ms,
                              gcmon_event_cb cb, void *data,
                              gcmon_subscription **out);
/* A live stream with everything 1.1 has: watermarks with each sample,
 * collection records, alarm events (record); a 1.0 daemon sends samples. */
int cli_subscribe_with_insight(gcmon_client *c, uint32_t interval_ms,
                               gcmon_event_cb cb, void *data,
                               gcmon_subscription **out);

/* Commands (cmd_*.c). */
int cmd_info(cli_ctx *x);
int cmd_stat(cli_ctx *x);
int cmd_watch(cli_ctx *x);
int cmd_alarm(cli_ctx *x);
int cmd_collect(cli_ctx *x);
int cmd_threshold(cli_ctx *x);
int cmd_enable(cli_ctx *x);
int cmd_disable(cli_ctx *x);
int cmd_history(cli_ctx *x);
int cmd_record(cli_ctx *x);
int cmd_export(cli_ctx *x);
int cmd_ports(cli_ctx *x);
int cmd_run(cli_ctx *x);

/* cmd_ports.c: -t auto. Sets x->target to repl://<the only CanMV board>
 * (kept in buf) and returns -1, or prints the candidates and returns
 * CLI_EXIT_FAILURE. */
int cli_resolve_auto(cli_ctx *x, char *buf, size_t cap);
int cmd_diagnose(cli_ctx *x);

#endif
