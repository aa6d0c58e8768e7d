/* gcmon: the command-line client of gcmond.
 *
 *   gcmon [-t TARGET] [--token-file FILE] [--timeout DUR] COMMAND [options]
 *
 * This file only parses: global options, then the command (a row of
 * cli_commands[]), then the options that command accepts (the globals are
 * accepted after the command too); then resolves the target (targets.h)
 * and, after the command, checks that its output was written. Exit codes:
 * 0 success, 1 run-time failure (one line on stderr, also for output that
 * could not be written), 2 usage error (one line, getopt's own messages
 * off). */
#define _GNU_SOURCE /* getopt_long */
#include "cli.h"
#include "gcmon_duration.h"
#include "targets.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TARGET "tcp://127.0.0.1"

enum {
  OPT_TOKEN_FILE = 256,
  OPT_REQUIRE_MAC,
  OPT_TIMEOUT,
  OPT_VERSION,
  OPT_JSON,
  OPT_CSV,
  OPT_BYTES,
  OPT_SINCE,
  OPT_INTERVAL,
  OPT_LISTEN,
  OPT_MAX_TARGETS,
  OPT_IDLE_EXPIRY,
  OPT_PROBE_ALLOW,
  OPT_WIDE,
  OPT_STATUS,
  OPT_FOR,
  OPT_IN_CSV,
  OPT_HTML,
  OPT_RUN_PERIOD,
};

#define DEFAULT_LISTEN      "127.0.0.1:9230"
#define DEFAULT_MAX_TARGETS 256
#define DEFAULT_IDLE_MS     (5u * 60u * 1000u)

static void print_usage(FILE *f) {
  fprintf(f,
          "usage: gcmon [-t TARGET] [--token-file FILE] [--timeout DUR] COMMAND "
          "[options]\n"
          "\n"
          "Reads and controls the memory of a board running gcmond.\n"
          "\n"
          "commands:\n");
  for (const cli_command *c = cli_commands; c->name; c++)
    fprintf(f, "  %-10s %s\n", c->name, c->summary);
  fprintf(f,
          "\n"
          "options:\n"
          "  -t, --target T       a board named in ~/.config/gcmon/config,\n"
          "                       HOST[:PORT], /dev/DEV, tcp://HOST[:PORT]\n"
          "                       serial:///dev/DEV[?baud=N], a MicroPython\n"
          "                       console repl:///dev/DEV or auto\n"
          "                       [$GCMON_TARGET, else the config's default,\n"
          "                        else %s]\n"
          "  --token-file FILE    read the control token for a remote daemon\n"
          "                       from FILE (else $GCMON_TOKEN, the token "
          "itself)\n"
          "  --require-mac        prove the token by challenge-response only,"
          "\n                       never send it in clear (protocol 1.1)\n"
          "  --timeout DUR        per-call timeout: 500 (ms), 500ms, 2.5s, "
          "1m [5s]\n"
          "  -h, --help           this help; COMMAND --help for a command's\n"
          "  --version            print the version and exit\n"
          "\n"
          "Exit status: 0 success, 1 failure, 2 usage error. See gcmon(1).\n",
          DEFAULT_TARGET);
}

static void print_command_help(const cli_command *c) {
  printf("usage: gcmon [global options] %s%s%s\n\n%s", c->name,
         c->args[0] ? " " : "", c->args, c->help);
}

/* Global options plus those the command accepts. */
static size_t build_options(const cli_command *cmd, struct option *o) {
  size_t n = 0;
  int outfile = cmd && (cmd->options & CLI_OPT_OUTFILE);

  o[n++] = (struct option){"target", required_argument, NULL, 't'};
  o[n++] =
      (struct option){"token-file", required_argument, NULL, OPT_TOKEN_FILE};
  o[n++] =
      (struct option){"require-mac", no_argument, NULL, OPT_REQUIRE_MAC};
  o[n++] = (struct option){"timeout", required_argument, NULL, OPT_TIMEOUT};
  o[n++] = (struct option){"help", no_argument, NULL, 'h'};
  if (!cmd)
    o[n++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
  if (cmd && (cmd->options & (CLI_OPT_JSON | CLI_OPT_OUTFILE)))
    o[n++] = (struct option){"json", outfile ? required_argument : no_argument,
                             NULL, OPT_JSON};
  if (cmd && (cmd->options & (CLI_OPT_CSV | CLI_OPT_OUTFILE)))
    o[n++] = (struct option){"csv", outfile ? required_argument : no_argument,
                             NULL, OPT_CSV};
  if (cmd && (cmd->options & CLI_OPT_BYTES))
    o[n++] = (struct option){"bytes", no_argument, NULL, OPT_BYTES};
  if (cmd && (cmd->options & CLI_OPT_SINCE))
    o[n++] = (struct option){"since", required_argument, NULL, OPT_SINCE};
  if (cmd && (cmd->options & CLI_OPT_WIDE))
    o[n++] = (struct option){"wide", no_argument, NULL, OPT_WIDE};
  if (cmd && (cmd->options & CLI_OPT_STATUS))
    o[n++] = (struct option){"status", no_argument, NULL, OPT_STATUS};
  if (cmd && (cmd->options & CLI_OPT_INTERVAL))
    o[n++] = (struct option){"interval", required_argument, NULL, OPT_INTERVAL};
  if (cmd && (cmd->options & CLI_OPT_EXPORT)) {
    o[n++] = (struct option){"listen", required_argument, NULL, OPT_LISTEN};
    o[n++] = (struct option){"max-targets", required_argument, NULL,
                             OPT_MAX_TARGETS};
    o[n++] = (struct option){"idle-expiry", required_argument, NULL,
                             OPT_IDLE_EXPIRY};
    o[n++] = (struct option){"probe-allow", required_argument, NULL,
                             OPT_PROBE_ALLOW};
  }
  if (cmd && (cmd->options & CLI_OPT_DIAGNOSE)) {
    o[n++] = (struct option){"for", required_argument, NULL, OPT_FOR};
    o[n++] = (struct option){"csv", required_argument, NULL, OPT_IN_CSV};
    o[n++] = (struct option){"html", required_argument, NULL, OPT_HTML};
    o[n++] = (struct option){"run-period", required_argument, NULL,
                             OPT_RUN_PERIOD};
  }
  o[n] = (struct option){NULL, 0, NULL, 0};
  return n;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;
  if (!s || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

#define DURATION_EXAMPLES "(a number of ms, or 500ms, 2.5s, 1m)"

/* What getopt refused (opterr is 0: it prints nothing itself), said once,
 * with the command's prefix. arg is the word it stopped at. */
static int bad_option(const cli_ctx *x, int opt, const char *arg) {
  if (opt == ':')
    return cli_usage_error(x, "%s needs a value", arg);
  if (x->command && strcmp(x->command, "threshold") == 0 && arg &&
      arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9')
    return cli_usage_error(x,
                           "'%s' is not a threshold; to turn it off: gcmon "
                           "threshold off",
                           arg);
  if (optopt && arg && arg[0] == '-' && arg[1] != '-')
    return cli_usage_error(x, "unknown option '-%c'", optopt);
  return cli_usage_error(x, "unknown option '%s'", arg ? arg : "?");
}

/* One option; returns -1 to go on, else an exit code. argv_opt is the
 * word being parsed (for messages). */
static int apply_option(cli_ctx *x, const cli_command *cmd, int opt,
                        const char *argv_opt) {
  switch (opt) {
  case 't':
    x->target = optarg;
    for (int i = 0; i < x->ntargets; i++)
      if (strcmp(x->targets[i], optarg) == 0)
        return -1;
    if (x->ntargets == CLI_TARGETS_MAX)
      return cli_usage_error(x, "at most %d targets with -t", CLI_TARGETS_MAX);
    x->targets[x->ntargets++] = optarg;
    return -1;
  case OPT_TOKEN_FILE:
    x->token_file = optarg;
    return -1;
  case OPT_REQUIRE_MAC:
    x->require_mac = true;
    return -1;
  case OPT_TIMEOUT:
    if (gcmon_parse_duration_ms(optarg, &x->timeout_ms) != 0)
      return cli_usage_error(x, "--timeout: '%s' is not a duration %s",
                             optarg, DURATION_EXAMPLES);
    return -1;
  case 'h':
    if (cmd)
      print_command_help(cmd);
    else
      print_usage(stdout);
    return CLI_EXIT_OK;
  case OPT_VERSION:
    printf("gcmon %s (libgcmon %s)\n", GCMON_CLI_VERSION, gcmon_version());
    return CLI_EXIT_OK;
  case OPT_JSON:
  case OPT_CSV:
    if (x->format != CLI_FORMAT_TEXT)
      return cli_usage_error(x, "%s", "--json and --csv exclude each other");
    x->format = opt == OPT_JSON ? CLI_FORMAT_JSON : CLI_FORMAT_CSV;
    if (cmd->options & CLI_OPT_OUTFILE)
      x->out_path = optarg;
    return -1;
  case OPT_BYTES:
    x->raw_bytes = true;
    return -1;
  case OPT_SINCE:
    if (parse_u64(optarg, &x->since) != 0)
      return cli_usage_error(x, "--since: '%s' is not a sequence number", optarg);
    return -1;
  case OPT_INTERVAL:
    if (gcmon_parse_duration_ms(optarg, &x->interval_ms) != 0)
      return cli_usage_error(x, "--interval: '%s' is not a duration %s",
                             optarg, DURATION_EXAMPLES);
    return -1;
  case OPT_WIDE:
    x->wide = true;
    return -1;
  case OPT_STATUS:
    x->status = true;
    return -1;
  case OPT_LISTEN:
    x->listen = optarg;
    return -1;
  case OPT_MAX_TARGETS: {
    uint64_t n;
    if (parse_u64(optarg, &n) != 0 || n < 1 || n > 100000)
      return cli_usage_error(x,
                         "--max-targets: '%s' is not a number from 1 to "
                         "100000",
                         optarg);
    x->max_targets = (unsigned)n;
    return -1;
  }
  case OPT_PROBE_ALLOW:
    x->probe_allow = optarg;
    return -1;
  case OPT_IDLE_EXPIRY:
    if (gcmon_parse_duration_ms(optarg, &x->idle_ms) != 0)
      return cli_usage_error(x, "--idle-expiry: '%s' is not a duration %s",
                             optarg, DURATION_EXAMPLES);
    return -1;
  case OPT_FOR:
  case OPT_RUN_PERIOD:
    if (gcmon_parse_duration_ms(optarg, opt == OPT_FOR ? &x->for_ms
                                                      : &x->run_period_ms) != 0)
      return cli_usage_error(x, "%s: '%s' is not a duration %s",
                             opt == OPT_FOR ? "--for" : "--run-period", optarg,
                             DURATION_EXAMPLES);
    return -1;
  case OPT_IN_CSV:
    x->in_csv = optarg;
    return -1;
  case OPT_HTML:
    x->html_path = optarg;
    return -1;
  default:
    return bad_option(x, opt, argv_opt);
  }
}

static int parse(cli_ctx *x, const cli_command *cmd, int argc, char **argv,
                 const char *shortopts) {
  struct option longopts[24];
  int opt;

  build_options(cmd, longopts);
  opterr = 0; /* every message is ours, one line (bad_option) */
  while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    /* getopt has moved past the word it stopped at, unless it is in the
     * middle of a cluster of short options */
    const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
    int rc = apply_option(x, cmd, opt, word);
    if (rc >= 0)
      return rc;
  }
  return -1;
}

static int load_token(cli_ctx *x) {
  const char *env = getenv("GCMON_TOKEN");
  if (x->token_file) {
    FILE *f = fopen(x->token_file, "rb");
    uint8_t buf[GCMON_TOKEN_MAX + 2];
    size_t n;
    if (!f) {
      cli_error(x, "%s %s: %s", x->token_origin, x->token_file,
                strerror(errno));
      return CLI_EXIT_FAILURE;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
      n--;
    if (n > GCMON_TOKEN_MAX) {
      cli_error(x, "%s %s: a token is at most %d bytes", x->token_origin,
                x->token_file, GCMON_TOKEN_MAX);
      return CLI_EXIT_FAILURE;
    }
    memcpy(x->token, buf, n);
    x->token_len = n;
    x->have_token = true;
  } else if (env && *env) {
    if (strlen(env) > GCMON_TOKEN_MAX) {
      cli_error(x, "GCMON_TOKEN: a token is at most %d bytes", GCMON_TOKEN_MAX);
      return CLI_EXIT_FAILURE;
    }
    x->token_len = strlen(env);
    memcpy(x->token, env, x->token_len);
    x->have_token = true;
  }
  return -1;
}

/* -t (every one of them, for export), else $GCMON_TARGET, else the
 * config's default, else DEFAULT_TARGET: each a name, an address or a URI
 * (targets.h), turned into a URI and checked before anything connects. */
static int resolve_targets(cli_ctx *x) {
  char msg[TARGETS_URI_MAX + 128];
  const targets_board *board = NULL;
  const char *env = getenv("GCMON_TARGET");

  if (targets_load(&x->config, msg, sizeof msg) != 0) {
    cli_error(x, "%s", msg);
    return CLI_EXIT_USAGE;
  }
  if (!x->target)
    x->target = env && *env                   ? env
                : x->config.default_target[0] ? x->config.default_target
                                              : DEFAULT_TARGET;
  if (strcmp(x->target, "auto") == 0 && strcmp(x->command, "ports") != 0) {
    int rc = cli_resolve_auto(x, x->auto_target, sizeof x->auto_target);
    if (rc >= 0)
      return rc;
  }
  for (int i = -1; i < x->ntargets; i++) {
    const char *spec = i < 0 ? x->target : x->targets[i];
    char *out = i < 0 ? x->target_uri : x->target_uris[i];
    const targets_board *b;
    if (targets_resolve(&x->config, spec, out, TARGETS_URI_MAX, &b) != 0)
      return cli_usage_error(x, "target '%.64s...' is too long", spec);
    if (gcmon_uri_check(out, msg, sizeof msg) != 0)
      return cli_usage_error(x, "%s", msg);
    if (i < 0)
      board = b;
    else
      x->targets[i] = out;
  }
  x->target = x->target_uri;
  if (board && board->token_file[0] && !x->token_file &&
      !(getenv("GCMON_TOKEN") && *getenv("GCMON_TOKEN"))) {
    snprintf(x->token_origin_buf, sizeof x->token_origin_buf,
             "token-file of board '%s' (%s)", board->name, x->config.path);
    x->token_origin = x->token_origin_buf;
    x->token_file = board->token_file;
  }
  return -1;
}

/* Whatever the command printed must have reached stdout: a full disk or
 * a closed pipe is a failure (exit 1, one line), except a reader that
 * went away on purpose (| head), which is EPIPE. */
static int finish_output(cli_ctx *x, int rc) {
  int err = x->out_errno;
  errno = 0;
  if (fflush(stdout) != 0 && !err)
    err = errno ? errno : EIO;
  if (ferror(stdout) && !err)
    err = EIO;
  if (fclose(stdout) != 0 && !err)
    err = errno ? errno : EIO;
  if (!err || err == EPIPE)
    return rc;
  cli_error(x, "cannot write the output: %s", strerror(err));
  return CLI_EXIT_FAILURE;
}

int main(int argc, char **argv) {
  cli_ctx x;
  const cli_command *cmd = NULL;
  int rc, nargs;

  memset(&x, 0, sizeof x);
  /* A peer that closes its socket must be an error from write(2), not a
   * signal that kills us; a closed stdout is noticed by the writers. */
  signal(SIGPIPE, SIG_IGN);
  x.prog = "gcmon";
  x.token_origin = "--token-file";
  x.timeout_ms = GCMON_DEFAULT_TIMEOUT_MS;
  x.listen = DEFAULT_LISTEN;
  x.max_targets = DEFAULT_MAX_TARGETS;
  x.idle_ms = DEFAULT_IDLE_MS;

  rc = parse(&x, NULL, argc, argv, "+:t:h");
  if (rc >= 0)
    return finish_output(&x, rc);
  if (optind >= argc)
    return cli_usage_error(&x, "%s", "no command given");
  for (const cli_command *c = cli_commands; c->name; c++)
    if (strcmp(c->name, argv[optind]) == 0)
      cmd = c;
  if (!cmd)
    return cli_usage_error(&x, "unknown command '%s'", argv[optind]);
  x.command = cmd->name;

  /* The command's own options, anywhere after its name. */
  argc -= optind;
  argv += optind;
  optind = 0; /* glibc: full rescan */
  rc = parse(&x, cmd, argc, argv, ":t:h");
  if (rc >= 0)
    return finish_output(&x, rc);
  nargs = argc - optind;
  if (nargs < cmd->min_args || nargs > cmd->max_args)
    return cli_usage_error(&x, "%s",
                           nargs < cmd->min_args ? "missing argument"
                                                 : "too many arguments");
  x.argc = nargs;
  x.argv = argv + optind;

  rc = resolve_targets(&x);
  if (rc >= 0)
    return rc;
  rc = load_token(&x);
  if (rc >= 0)
    return rc;
  return finish_output(&x, cmd->run(&x));
}
