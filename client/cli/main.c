/* gcmon: the command-line client of gcmond.
 *
 *   gcmon [-t URI] [--token-file FILE] [--timeout DUR] COMMAND [options] [args]
 *
 * This file only parses: global options, then the command (a row of
 * cli_commands[]), then the options that command accepts (the globals are
 * accepted after the command too). Exit codes: 0 success, 1 run-time
 * failure (one line on stderr), 2 usage error. */
#define _GNU_SOURCE /* getopt_long */
#include "cli.h"
#include "units.h"

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
};

#define DEFAULT_LISTEN      "127.0.0.1:9230"
#define DEFAULT_MAX_TARGETS 256
#define DEFAULT_IDLE_MS     (5u * 60u * 1000u)

static void print_usage(FILE *f) {
  fprintf(f,
          "usage: gcmon [-t URI] [--token-file FILE] [--timeout DUR] COMMAND "
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
          "  -t, --target URI     tcp://HOST[:PORT], serial:///dev/DEV"
          "[?baud=N]\n"
          "                       or repl:///dev/DEV[?baud=N] (a MicroPython "
          "console)\n"
          "                       [$GCMON_TARGET, else %s]\n"
          "  --token-file FILE    control token for a remote daemon "
          "[$GCMON_TOKEN]\n"
          "  --timeout DUR        per-call timeout: 500 (ms), 2.5s   [5s]\n"
          "  -h, --help           this help; COMMAND --help for a command's\n"
          "  --version            print the version and exit\n"
          "\n"
          "Exit status: 0 success, 1 failure, 2 usage error. See gcmon(1).\n",
          DEFAULT_TARGET);
}

static int usage_error(const cli_ctx *x, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int usage_error(const cli_ctx *x, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", x->prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see %s%s%s --help)\n", x->prog, x->command ? " " : "",
          x->command ? x->command : "");
  return CLI_EXIT_USAGE;
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
  if (cmd && (cmd->options & CLI_OPT_INTERVAL))
    o[n++] = (struct option){"interval", required_argument, NULL, OPT_INTERVAL};
  if (cmd && (cmd->options & CLI_OPT_EXPORT)) {
    o[n++] = (struct option){"listen", required_argument, NULL, OPT_LISTEN};
    o[n++] = (struct option){"max-targets", required_argument, NULL,
                             OPT_MAX_TARGETS};
    o[n++] = (struct option){"idle-expiry", required_argument, NULL,
                             OPT_IDLE_EXPIRY};
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

/* One option; returns -1 to go on, else an exit code. */
static int apply_option(cli_ctx *x, const cli_command *cmd, int opt) {
  switch (opt) {
  case 't':
    x->target = optarg;
    for (int i = 0; i < x->ntargets; i++)
      if (strcmp(x->targets[i], optarg) == 0)
        return -1;
    if (x->ntargets == CLI_TARGETS_MAX)
      return usage_error(x, "at most %d targets with -t", CLI_TARGETS_MAX);
    x->targets[x->ntargets++] = optarg;
    return -1;
  case OPT_TOKEN_FILE:
    x->token_file = optarg;
    return -1;
  case OPT_TIMEOUT:
    if (units_parse_duration_ms(optarg, 1, &x->timeout_ms) != 0)
      return usage_error(x,
                         "--timeout: '%s' is not a duration like 500, "
                         "500ms or 2.5s",
                         optarg);
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
      return usage_error(x, "%s", "--json and --csv exclude each other");
    x->format = opt == OPT_JSON ? CLI_FORMAT_JSON : CLI_FORMAT_CSV;
    if (cmd->options & CLI_OPT_OUTFILE)
      x->out_path = optarg;
    return -1;
  case OPT_BYTES:
    x->raw_bytes = true;
    return -1;
  case OPT_SINCE:
    if (parse_u64(optarg, &x->since) != 0)
      return usage_error(x, "--since: '%s' is not a sequence number", optarg);
    return -1;
  case OPT_INTERVAL:
    if (units_parse_duration_ms(optarg, 1, &x->interval_ms) != 0)
      return usage_error(x,
                         "--interval: '%s' is not a duration like 100, "
                         "250ms or 2s",
                         optarg);
    return -1;
  case OPT_LISTEN:
    x->listen = optarg;
    return -1;
  case OPT_MAX_TARGETS: {
    uint64_t n;
    if (parse_u64(optarg, &n) != 0 || n < 1 || n > 100000)
      return usage_error(x,
                         "--max-targets: '%s' is not a number from 1 to "
                         "100000",
                         optarg);
    x->max_targets = (unsigned)n;
    return -1;
  }
  case OPT_IDLE_EXPIRY:
    if (units_parse_duration_ms(optarg, 1000, &x->idle_ms) != 0)
      return usage_error(x,
                         "--idle-expiry: '%s' is not a duration like 300, "
                         "90s or 5m",
                         optarg);
    return -1;
  default: /* getopt printed what was wrong */
    return usage_error(x, "%s", "invalid option");
  }
}

static int parse(cli_ctx *x, const cli_command *cmd, int argc, char **argv,
                 const char *shortopts) {
  struct option longopts[16];
  int opt;

  build_options(cmd, longopts);
  while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    int rc = apply_option(x, cmd, opt);
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
      cli_error(x, "--token-file %s: %s", x->token_file, strerror(errno));
      return CLI_EXIT_FAILURE;
    }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
      n--;
    if (n > GCMON_TOKEN_MAX) {
      cli_error(x, "--token-file %s: a token is at most %d bytes",
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

int main(int argc, char **argv) {
  cli_ctx x;
  const cli_command *cmd = NULL;
  char msg[256];
  char auto_target[300];
  int rc, nargs;

  /* A peer that closes its socket must be an error from write(2), not a
   * signal that kills us; a closed stdout is noticed by the writers. */
  signal(SIGPIPE, SIG_IGN);
  memset(&x, 0, sizeof x);
  x.prog = "gcmon";
  x.timeout_ms = GCMON_DEFAULT_TIMEOUT_MS;
  x.listen = DEFAULT_LISTEN;
  x.max_targets = DEFAULT_MAX_TARGETS;
  x.idle_ms = DEFAULT_IDLE_MS;
  x.target = getenv("GCMON_TARGET");
  if (!x.target || !*x.target)
    x.target = DEFAULT_TARGET;

  rc = parse(&x, NULL, argc, argv, "+t:h");
  if (rc >= 0)
    return rc;
  if (optind >= argc) {
    print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  for (const cli_command *c = cli_commands; c->name; c++)
    if (strcmp(c->name, argv[optind]) == 0)
      cmd = c;
  if (!cmd)
    return usage_error(&x, "unknown command '%s'", argv[optind]);
  x.command = cmd->name;

  /* The command's own options, anywhere after its name. */
  argc -= optind;
  argv += optind;
  optind = 0; /* glibc: full rescan */
  rc = parse(&x, cmd, argc, argv, "t:h");
  if (rc >= 0)
    return rc;
  nargs = argc - optind;
  if (nargs < cmd->min_args || nargs > cmd->max_args)
    return usage_error(&x, "%s",
                       nargs < cmd->min_args ? "missing argument"
                                             : "too many arguments");
  x.argc = nargs;
  x.argv = argv + optind;

  if (strcmp(x.target, "auto") == 0 && cmd->run != cmd_ports) {
    rc = cli_resolve_auto(&x, auto_target, sizeof auto_target);
    if (rc >= 0)
      return rc;
  }
  if (cmd->run != cmd_ports && gcmon_uri_check(x.target, msg, sizeof msg) != 0)
    return usage_error(&x, "%s", msg);
  rc = load_token(&x);
  if (rc >= 0)
    return rc;
  return cmd->run(&x);
}
