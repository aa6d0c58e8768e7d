/* gcmond command-line parsing (see options.h). Every flag is one row of the
 * long-options table and one line of the help text; values are checked
 * here so main() only sees a valid configuration. */
#define _GNU_SOURCE /* getopt_long */
#include "options.h"

#include "agent.h"
#include "gcmon_duration.h"
#include "sim_scenario.h"
#include "source.h"
#include "tcp.h"
#include "uart.h"
#ifdef GCMON_PLATFORM_RTSMART
#include "uart_rtsmart.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef GCMON_VERSION
#define GCMON_VERSION "0.0.0"
#endif

#ifdef GCMON_PLATFORM_RTSMART
#define RUN_FILE_DEFAULT "/sdcard/gcmond.run"
#define RUN_FILE_HELP RUN_FILE_DEFAULT
#define UART_DEFAULT_HELP "k230: /dev/uart1, else off"
#else
#define RUN_FILE_DEFAULT NULL
#define RUN_FILE_HELP "none; SIGINT/SIGTERM stop"
#define UART_DEFAULT_HELP "off"
#endif

static void print_help(FILE *f) {
  fprintf(f,
          "usage: gcmond [options]\n"
          "\n"
          "Samples the board's memory counters and serves them over TCP and "
          "UART\n(the gcmon protocol, see gcmond(1)).\n"
          "\n"
          "  --source NAME        sim | linux | k230               [sim]\n"
          "  --listen HOST:PORT   TCP address, or 'none'           "
          "[0.0.0.0:7230]\n"
          "  --uart DEV           also serve on this serial device, or"
          " 'none'\n"
          "                       [" UART_DEFAULT_HELP "]\n"
          "  --baud N             UART speed                       [115200]\n"
          "  --interval DUR       sampling period, >= %u ms  [%u ms]\n"
          "  --history N          samples kept in history          [%u]\n"
          "  --max-sessions N     clients at once, UART included   [%u]\n"
          "  --queue N            events a slow client may lag     [%u]\n"
          "  --token-file FILE    control token for remote peers (mode 600)\n"
          "  --require-mac        refuse the token in clear: remote control "
          "only\n                       by challenge-response (protocol 1.1)\n"
          "  --seed N             sim: workload seed               [random]\n"
          "  --workload NAME      sim: default | heavy             [default]\n"
          "  --max-lag MS         UART: live events at most this late [%u]\n"
          "  --scenario NAME      sim: steady, gc-leak, mmz-leak, page-leak,\n"
          "                       fragmentation, spikes, pause-heavy [none]\n"
          "  --speed N            sim: simulated seconds per second     [1]\n"
          "  --meminfo PATH       linux: meminfo file        [/proc/meminfo]\n"
          "  --misc-dev PATH      k230: misc device      [/dev/canmv_misc]\n"
          "  --media-mem PATH     k230: MMZ stats file   [/proc/media-mem]\n"
          "  --run-file PATH      stop when this file is removed   "
          "[" RUN_FILE_HELP "]\n"
          "  --stop               remove the run file: the running gcmond "
          "stops\n"
          "  -v, --verbose        also log debug detail\n"
          "  -q, --quiet          after the start-up lines, log warnings "
          "only\n"
          "  --version            print the version and exit\n"
          "  -h, --help           print this help and exit\n",
          GCMON_MIN_INTERVAL_MS, GCMON_DEFAULT_INTERVAL_MS,
          GCMON_DEFAULT_HISTORY, GCMON_DEFAULT_MAX_SESSIONS,
          GCMON_DEFAULT_QUEUE_EVENTS, GCMON_DEFAULT_MAX_LAG_MS);
}

static gcmond_options_result usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static gcmond_options_result usage(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "gcmond: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nusage: gcmond [--source NAME] [--listen HOST:PORT] "
                  "[--uart DEV] ... (see gcmond --help)\n");
  return GCMOND_OPTIONS_USAGE;
}

/* Parse an unsigned decimal in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  unsigned long long v;
  if (!s || !*s || *s == '-')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* What the TCP server will bind: HOST:PORT with an IP literal. */
static bool valid_listen(const char *spec) {
  char host[64];
  unsigned char addr[16];
  int port;
  if (gcmon_parse_listen(spec, host, sizeof host, &port) != 0)
    return false;
  return inet_pton(AF_INET, host, addr) == 1 ||
         inet_pton(AF_INET6, host, addr) == 1;
}

static bool known_source(const char *name) {
  for (const char *const *n = gcmon_source_names(); *n; n++)
    if (strcmp(*n, name) == 0)
      return true;
  return false;
}

enum {
  OPT_SOURCE = 256,
  OPT_LISTEN,
  OPT_UART,
  OPT_BAUD,
  OPT_INTERVAL,
  OPT_HISTORY,
  OPT_MAX_SESSIONS,
  OPT_QUEUE,
  OPT_TOKEN_FILE,
  OPT_REQUIRE_MAC,
  OPT_SEED,
  OPT_WORKLOAD,
  OPT_MAX_LAG,
  OPT_SCENARIO,
  OPT_SPEED,
  OPT_MEMINFO,
  OPT_MISC_DEV,
  OPT_MEDIA_MEM,
  OPT_RUN_FILE,
  OPT_STOP,
  OPT_VERSION
};

static const struct option long_options[] = {
    {"source", required_argument, NULL, OPT_SOURCE},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"uart", required_argument, NULL, OPT_UART},
    {"baud", required_argument, NULL, OPT_BAUD},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"history", required_argument, NULL, OPT_HISTORY},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"require-mac", no_argument, NULL, OPT_REQUIRE_MAC},
    {"seed", required_argument, NULL, OPT_SEED},
    {"workload", required_argument, NULL, OPT_WORKLOAD},
    {"max-lag", required_argument, NULL, OPT_MAX_LAG},
    {"scenario", required_argument, NULL, OPT_SCENARIO},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"meminfo", required_argument, NULL, OPT_MEMINFO},
    {"misc-dev", required_argument, NULL, OPT_MISC_DEV},
    {"media-mem", required_argument, NULL, OPT_MEDIA_MEM},
    {"run-file", required_argument, NULL, OPT_RUN_FILE},
    {"stop", no_argument, NULL, OPT_STOP},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

gcmond_options_result gcmond_options_parse(gcmond_options *o, int argc,
                                           char **argv) {
  uint64_t v;
  uint32_t ms;
  int c;

  *o = (gcmond_options){
      .source = "sim",
      .listen = "0.0.0.0:7230",
      .baud = 115200,
      .interval_ms = GCMON_DEFAULT_INTERVAL_MS,
      .history = GCMON_DEFAULT_HISTORY,
      .max_sessions = GCMON_DEFAULT_MAX_SESSIONS,
      .queue_events = GCMON_DEFAULT_QUEUE_EVENTS,
      .run_file = RUN_FILE_DEFAULT,
      .max_lag_ms = GCMON_DEFAULT_MAX_LAG_MS,
      .speed = 1,
  };
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":vqh", long_options, NULL)) != -1) {
    switch (c) {
    case OPT_SOURCE:
      if (!known_source(optarg))
        return usage("unknown --source '%s' (sim, linux, k230)", optarg);
      o->source = optarg;
      break;
    case OPT_LISTEN:
      o->listen = strcmp(optarg, "none") == 0 ? NULL : optarg;
      if (o->listen && !valid_listen(optarg))
        return usage("--listen '%s': an IP address and a port "
                     "(0.0.0.0:7230, [::1]:7230), or none",
                     optarg);
      break;
    case OPT_UART:
      o->uart = strcmp(optarg, "none") == 0 ? NULL : optarg;
      o->uart_set = true;
      break;
    case OPT_BAUD:
      if (parse_u64(optarg, 1, UINT32_MAX, &v) ||
          gcmon_uart_check_baud((unsigned)v) != 0)
        return usage("--baud '%s': not a supported serial speed", optarg);
      o->baud = (unsigned)v;
      break;
    case OPT_INTERVAL:
      if (gcmon_parse_duration_ms(optarg, &ms) != 0 ||
          ms < GCMON_MIN_INTERVAL_MS || ms > GCMON_MAX_SUBSCRIPTION_INTERVAL_MS)
        return usage("--interval '%s': a duration of at least %u ms (250, "
                     "250ms, 1s)",
                     optarg, GCMON_MIN_INTERVAL_MS);
      o->interval_ms = ms;
      break;
    case OPT_HISTORY:
      if (parse_u64(optarg, 1, 10u * 1000u * 1000u, &v))
        return usage("--history '%s': a sample count, 1 to 10000000", optarg);
      o->history = (uint32_t)v;
      break;
    case OPT_MAX_SESSIONS:
      if (parse_u64(optarg, 1, 1024, &v))
        return usage("--max-sessions '%s': 1 to 1024", optarg);
      o->max_sessions = (uint32_t)v;
      break;
    case OPT_QUEUE:
      if (parse_u64(optarg, 1, 1u << 20, &v))
        return usage("--queue '%s': an event count, at least 1", optarg);
      o->queue_events = (uint32_t)v;
      break;
    case OPT_TOKEN_FILE:
      o->token_file = optarg;
      break;
    case OPT_REQUIRE_MAC:
      o->require_mac = true;
      break;
    case OPT_SEED:
      if (parse_u64(optarg, 0, UINT64_MAX, &v))
        return usage("--seed '%s': an unsigned integer", optarg);
      o->seed = v;
      o->seed_set = true;
      break;
    case OPT_WORKLOAD:
      if (strcmp(optarg, "default") != 0 && strcmp(optarg, "heavy") != 0)
        return usage("--workload '%s': default or heavy", optarg);
      o->workload = optarg;
      break;
    case OPT_MAX_LAG:
      if (parse_u64(optarg, 10, 3600u * 1000u, &v))
        return usage("--max-lag '%s': milliseconds, 10 to 3600000", optarg);
      o->max_lag_ms = (uint32_t)v;
      break;
    case OPT_SCENARIO:
      if (gcmon__sim_scenario_kind(optarg) <= 0)
        return usage("unknown --scenario '%s' (steady, gc-leak, mmz-leak, "
                     "page-leak, fragmentation, spikes, pause-heavy)",
                     optarg);
      o->scenario = optarg;
      break;
    case OPT_SPEED:
      if (parse_u64(optarg, 1, 100000, &v))
        return usage("--speed '%s': a factor, 1 to 100000", optarg);
      o->speed = (uint32_t)v;
      break;
    case OPT_MEMINFO:
      o->meminfo_path = optarg;
      break;
    case OPT_MISC_DEV:
      o->misc_dev_path = optarg;
      break;
    case OPT_MEDIA_MEM:
      o->media_mem_path = optarg;
      break;
    case OPT_RUN_FILE:
      o->run_file = optarg;
      break;
    case OPT_STOP:
      o->stop = true;
      break;
    case 'v':
      o->verbosity = 1;
      break;
    case 'q':
      o->verbosity = -1;
      break;
    case OPT_VERSION:
      printf("gcmond %s (gcmon protocol %u)\n", GCMON_VERSION,
             GCMON_PROTOCOL_VERSION);
      return GCMOND_OPTIONS_EXIT_OK;
    case 'h':
      print_help(stdout);
      return GCMOND_OPTIONS_EXIT_OK;
    case ':':
      return usage("option '%s' needs a value", argv[optind - 1]);
    default:
      return usage("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    return usage("unexpected argument '%s'", argv[optind]);
  if (o->stop && !o->run_file)
    return usage("%s", "--stop needs --run-file");
#ifdef GCMON_PLATFORM_RTSMART
  if (!o->uart_set && strcmp(o->source, "k230") == 0)
    o->uart = GCMON_UART_DEFAULT_PATH;
#endif
  if (o->require_mac && !o->token_file)
    return usage("%s", "--require-mac needs --token-file (the token the "
                       "challenge-response proves)");
  if ((o->scenario || o->speed != 1) && strcmp(o->source, "sim") != 0)
    return usage("%s", "--scenario and --speed are for --source sim");
  if (!o->listen && !o->uart)
    return usage("%s", "nothing to serve: --listen none needs --uart");
  return GCMOND_OPTIONS_RUN;
}
