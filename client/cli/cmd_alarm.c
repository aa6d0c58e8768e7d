/* gcmon alarm add|list|rm: rules the board evaluates at every sampler tick
 * (docs/protocol.md, "Memory insight"). The rules live in the daemon and
 * outlive this command; add and rm are control commands.
 *
 *   gcmon alarm add gc.free below 512K hysteresis=64K hold=200ms name=low
 *   gcmon alarm list
 *   gcmon alarm rm 3 */
#include "cli.h"
#include "gcmon_duration.h"
#include "units.h"

#include <stdlib.h>
#include <string.h>

static bool parse_enum(const char *s, int n, const char *(*name)(int),
                       int *out) {
  for (int i = 0; i < n; i++) {
    if (strcmp(s, name(i)) == 0) {
      *out = i;
      return true;
    }
  }
  return false;
}

static const char *pool_name(int i) {
  return gcmon_pool_name((gcmon_pool)i);
}
static const char *metric_name(int i) {
  return gcmon_alarm_metric_name((gcmon_alarm_metric)i);
}
static const char *compare_name(int i) {
  return gcmon_alarm_compare_name((gcmon_alarm_compare)i);
}

/* "gc.free": the pool and the metric. */
static bool parse_target(const char *s, gcmon_alarm_rule *r) {
  char pool[16];
  const char *dot = strchr(s, '.');
  int p, m;
  if (!dot || (size_t)(dot - s) >= sizeof pool)
    return false;
  memcpy(pool, s, (size_t)(dot - s));
  pool[dot - s] = '\0';
  if (!parse_enum(pool, GCMON_POOL_COUNT, pool_name, &p) ||
      !parse_enum(dot + 1, GCMON_ALARM_FRAGMENTATION + 1, metric_name, &m))
    return false;
  r->pool = (gcmon_pool)p;
  r->metric = (gcmon_alarm_metric)m;
  return true;
}

/* Bytes (64K, 1M) or, for fragmentation, a percentage (30%). */
static bool parse_level(const char *s, const gcmon_alarm_rule *r,
                        int64_t *out) {
  if (r->metric == GCMON_ALARM_FRAGMENTATION) {
    char *end;
    double pct = strtod(s, &end);
    if (end == s || strcmp(end, "%") != 0 || pct < 0 || pct > 100)
      return false;
    *out = (int64_t)(pct * 10000.0 + 0.5); /* ppm */
    return true;
  }
  return units_parse_size(s, out) == 0 && *out >= 0;
}

static bool parse_option(const char *arg, gcmon_alarm_rule *r) {
  const char *eq = strchr(arg, '=');
  uint32_t ms;
  if (!eq)
    return false;
  if (strncmp(arg, "hysteresis=", 11) == 0)
    return parse_level(eq + 1, r, &r->hysteresis);
  if (strncmp(arg, "hold=", 5) == 0) {
    if (strcmp(eq + 1, "0") == 0) {
      r->hold_ms = 0;
      return true;
    }
    if (gcmon_parse_duration_ms(eq + 1, &ms) != 0)
      return false;
    r->hold_ms = ms;
    return true;
  }
  if (strncmp(arg, "name=", 5) == 0 && strlen(eq + 1) <= GCMON_ALARM_NAME_MAX) {
    snprintf(r->name, sizeof r->name, "%s", eq + 1);
    return true;
  }
  return false;
}

static int usage(cli_ctx *x, const char *what, const char *arg) {
  cli_error(x, "alarm: %s '%s' (see gcmon alarm --help)", what, arg);
  return CLI_EXIT_USAGE;
}

static int parse_rule(cli_ctx *x, gcmon_alarm_rule *r) {
  int cmp;
  memset(r, 0, sizeof *r);
  if (x->argc < 4)
    return usage(x, "add needs POOL.METRIC below|above LEVEL, got",
                 x->argc > 1 ? x->argv[1] : "");
  if (!parse_target(x->argv[1], r))
    return usage(x,
                 "not a POOL.METRIC like gc.free or sys_mmz.used:", x->argv[1]);
  if (!parse_enum(x->argv[2], 2, compare_name, &cmp))
    return usage(x, "not 'below' or 'above':", x->argv[2]);
  r->compare = (gcmon_alarm_compare)cmp;
  if (!parse_level(x->argv[3], r, &r->level))
    return usage(x,
                 r->metric == GCMON_ALARM_FRAGMENTATION
                     ? "not a percentage like 30%:"
                     : "not a size like 512K:",
                 x->argv[3]);
  for (int i = 4; i < x->argc; i++)
    if (!parse_option(x->argv[i], r))
      return usage(
          x, "not hysteresis=SIZE, hold=DURATION or name=TEXT:", x->argv[i]);
  return CLI_EXIT_OK;
}

static int alarm_add(cli_ctx *x, gcmon_client *c, const gcmon_alarm_rule *r) {
  gcmon_alarm_rule installed;
  writer *w;
  int err = gcmon_add_alarm(c, r, &installed, 0);
  if (err != 0)
    return cli_fail(x, c, "add_alarm", err);
  w = cli_writer(x, stdout, false);
  w->ops->begin(w);
  emit_alarm_rule(w, &installed);
  w->ops->end(w);
  writer_free(w);
  return CLI_EXIT_OK;
}

static int alarm_list(cli_ctx *x, gcmon_client *c) {
  gcmon_alarm_list *l = malloc(sizeof *l);
  writer *w;
  int err;
  if (!l)
    return cli_fail(x, c, "list_alarms", GCMON_ENOMEM);
  err = gcmon_list_alarms(c, l, 0);
  if (err != 0) {
    free(l);
    return cli_fail(x, c, "list_alarms", err);
  }
  w = cli_writer(x, stdout, false);
  w->flags |= WRITER_WIDE; /* a rule is a row of every field */
  w->ops->begin(w);
  w->ops->list(w, "alarms");
  for (size_t i = 0; i < l->count; i++)
    emit_alarm_state(w, &l->alarms[i]);
  w->ops->list_end(w);
  w->ops->end(w);
  writer_free(w);
  free(l);
  return CLI_EXIT_OK;
}

int cmd_alarm(cli_ctx *x) {
  gcmon_alarm_rule rule;
  gcmon_client *c;
  unsigned long id = 0;
  const char *sub = x->argv[0];
  char *end;
  int rc;

  if (strcmp(sub, "add") == 0) {
    rc = parse_rule(x, &rule);
    if (rc != CLI_EXIT_OK)
      return rc;
  } else if (strcmp(sub, "rm") == 0) {
    if (x->argc != 2)
      return usage(x, "rm takes one rule id, got",
                   x->argc > 2 ? x->argv[2] : "");
    id = strtoul(x->argv[1], &end, 10);
    if (*x->argv[1] == '\0' || *end != '\0' || id == 0 || id > UINT32_MAX)
      return usage(x, "not a rule id:", x->argv[1]);
  } else if (strcmp(sub, "list") != 0 || x->argc != 1) {
    return usage(x, "expected add, list or rm, got", sub);
  }
  rc = cli_connect(x, &c);
  if (rc != CLI_EXIT_OK)
    return rc;
  if (strcmp(sub, "add") == 0) {
    rc = alarm_add(x, c, &rule);
  } else if (strcmp(sub, "rm") == 0) {
    int err = gcmon_remove_alarm(c, (uint32_t)id, 0);
    if (err != 0)
      rc = cli_fail(x, c, "remove_alarm", err);
  } else {
    rc = alarm_list(x, c);
  }
  gcmon_client_close(c);
  return rc;
}
