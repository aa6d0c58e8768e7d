/* gcmon ports, and -t auto: which serial device is the board. */
#include "cli.h"
#include "ports.h"

#include <stdlib.h>
#include <string.h>

int cmd_ports(cli_ctx *x) {
  port_info *ports = calloc(PORTS_MAX, sizeof *ports);
  size_t n;
  writer *w;

  if (!ports) {
    cli_error(x, "out of memory");
    return CLI_EXIT_FAILURE;
  }
  n = ports_scan(ports, PORTS_MAX);
  w = cli_writer(x, stdout, true);
  for (size_t i = 0; i < n; i++) {
    const port_info *p = &ports[i];
    char id[16];
    w->ops->begin(w);
    w_str(w, "device", p->dev);
    w_str(w, "by_id", p->by_id);
    if (p->usb) {
      snprintf(id, sizeof id, "%04x:%04x", p->vid, p->pid);
      w_str(w, "usb_id", id);
      w_str(w, "product", p->product);
    } else {
      w_str(w, "usb_id", "");
      w_str(w, "product", "");
    }
    w_bool(w, "canmv", p->canmv);
    w->ops->end(w);
  }
  writer_free(w);
  if (n == 0 && x->format == CLI_FORMAT_TEXT)
    fprintf(stderr, "%s: no serial devices found\n", x->prog);
  free(ports);
  return CLI_EXIT_OK;
}

int cli_resolve_auto(cli_ctx *x, char *buf, size_t cap) {
  port_info *ports = calloc(PORTS_MAX, sizeof *ports);
  size_t n, found = 0, pick = 0;

  if (!ports) {
    cli_error(x, "out of memory");
    return CLI_EXIT_FAILURE;
  }
  n = ports_scan(ports, PORTS_MAX);
  for (size_t i = 0; i < n; i++)
    if (ports[i].canmv) {
      found++;
      pick = i;
    }
  if (found == 1) {
    snprintf(buf, cap, "repl://%s",
             ports[pick].by_id[0] ? ports[pick].by_id : ports[pick].dev);
    x->target = buf;
    free(ports);
    return -1;
  }
  cli_error(x, "-t auto: %s; candidates:",
            found ? "more than one CanMV board" : "no CanMV board found");
  for (size_t i = 0; i < n; i++)
    if (!found || ports[i].canmv)
      fprintf(stderr, "  repl://%s%s%s%s\n",
              ports[i].by_id[0] ? ports[i].by_id : ports[i].dev,
              ports[i].product[0] ? "  (" : "", ports[i].product,
              ports[i].product[0] ? ")" : "");
  if (n == 0)
    fprintf(stderr, "  (no serial devices)\n");
  free(ports);
  return CLI_EXIT_FAILURE;
}
