/* gcmon export: a Prometheus exporter (see export.h for its parts).
 *
 *   gcmon export [--listen HOST:PORT] [-t URI]... [--max-targets N]
 *                [--idle-expiry DUR] [--probe-allow NETS] [--interval DUR]
 *                [--timeout DUR]
 *
 * This file wires them together on the main thread's libuv loop and takes
 * them apart again on SIGINT/SIGTERM, in the one safe order: stop the HTTP
 * threads (waking any scrape that waits), then close the clients, then
 * free the cache. No control token is ever sent: the exporter only reads,
 * and a /probe target is whatever a scraper names, within --probe-allow. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "export.h"

#include <string.h>
#include <uv.h>

typedef struct {
  cli_ctx *x;
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  export_cache cache;
  export_allow allow;
  export_links *links;
  export_http *http;
  bool stopping;
} exporter;

static void stop_exporter(exporter *e) {
  if (e->stopping)
    return;
  e->stopping = true;
  export_cache_stop(&e->cache);
  export_http_stop(e->http);
  e->http = NULL;
  export_links_close(e->links);
  uv_close((uv_handle_t *)&e->sigint, NULL);
  uv_close((uv_handle_t *)&e->sigterm, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  stop_exporter(h->data);
}

static int check_targets(cli_ctx *x) {
  char msg[256];
  for (int i = 0; i < x->ntargets; i++) {
    if (strlen(x->targets[i]) > EXPORT_TARGET_MAX) {
      cli_error(x, "-t: a target is at most %d bytes (see gcmon export --help)",
                EXPORT_TARGET_MAX);
      return CLI_EXIT_USAGE;
    }
    if (gcmon_uri_check(x->targets[i], msg, sizeof msg) != 0) {
      cli_error(x, "%s (see gcmon export --help)", msg);
      return CLI_EXIT_USAGE;
    }
  }
  return CLI_EXIT_OK;
}

static int start(exporter *e) {
  cli_ctx *x = e->x;
  export_links_options o;
  char msg[256];
  int err;

  memset(&o, 0, sizeof o);
  o.interval_ms = x->interval_ms;
  o.timeout_ms = x->timeout_ms;
  o.idle_ms = x->idle_ms;
  o.client_name = "gcmon-export";
  err = export_links_init(&e->links, &e->loop, &e->cache, &o);
  if (err != 0) {
    cli_error(x, "export: %s", gcmon_strerror(err));
    return CLI_EXIT_FAILURE;
  }
  e->cache.wake_data = e->links;
  for (int i = 0; i < x->ntargets; i++) {
    char key[EXPORT_TARGET_MAX + 64];
    struct sockaddr_storage addr;
    /* Under its address, so /probe of the same board shares its session. */
    if (export_resolve_tcp(x->targets[i], key, sizeof key, &addr) != 0)
      snprintf(key, sizeof key, "%s", x->targets[i]);
    if (!export_cache_add_listed(&e->cache, key, x->targets[i])) {
      cli_error(x, "export: out of memory");
      return CLI_EXIT_FAILURE;
    }
  }
  err = export_http_start(&e->http, x->listen, &e->cache, &e->allow, msg,
                          sizeof msg);
  if (err != 0) {
    cli_error(x, "export: %s", msg);
    return CLI_EXIT_FAILURE;
  }
  fprintf(stderr,
          "%s: exporting on http://%s/metrics (%d target%s) and "
          "/probe?target=URI\n",
          x->prog, export_http_address(e->http), x->ntargets,
          x->ntargets == 1 ? "" : "s");
  export_links_start(e->links);
  return CLI_EXIT_OK;
}

int cmd_export(cli_ctx *x) {
  exporter e;
  char msg[256];
  int rc = check_targets(x);

  if (rc != CLI_EXIT_OK)
    return rc;
  memset(&e, 0, sizeof e);
  e.x = x;
  if (x->probe_allow &&
      export_allow_parse(&e.allow, x->probe_allow, msg, sizeof msg) != 0) {
    cli_error(x, "%s (see gcmon export --help)", msg);
    return CLI_EXIT_USAGE;
  }
  uv_loop_init(&e.loop);
  if (export_cache_init(&e.cache, x->max_targets, export_links_wake, NULL) !=
      0) {
    cli_error(x, "export: out of memory");
    uv_loop_close(&e.loop);
    return CLI_EXIT_FAILURE;
  }
  uv_signal_init(&e.loop, &e.sigint);
  uv_signal_init(&e.loop, &e.sigterm);
  e.sigint.data = e.sigterm.data = &e;
  rc = start(&e);
  if (rc == CLI_EXIT_OK) {
    uv_signal_start(&e.sigint, on_signal, SIGINT);
    uv_signal_start(&e.sigterm, on_signal, SIGTERM);
  } else {
    e.stopping = true;
    export_http_stop(e.http);
    if (e.links)
      export_links_close(e.links);
    uv_close((uv_handle_t *)&e.sigint, NULL);
    uv_close((uv_handle_t *)&e.sigterm, NULL);
  }
  uv_run(&e.loop, UV_RUN_DEFAULT);
  uv_loop_close(&e.loop);
  export_cache_close(&e.cache);
  export_allow_free(&e.allow);
  return rc;
}
