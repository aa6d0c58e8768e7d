/* Prints an exposition for `promtool check metrics` to judge:
 *
 *   dump_exposition metrics   three targets, as /metrics renders them
 *   dump_exposition probe     one board, as /probe renders it
 *   dump_exposition down      one unreachable board, as /probe renders it
 */
#include "snapshots.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  export_snapshot s[3];
  export_self self = {3, 7, 256, 1};
  export_text t;
  const char *what = argc > 1 ? argv[1] : "";

  export_text_init(&t);
  if (strcmp(what, "metrics") == 0) {
    snap_board(&s[0], "tcp://k230-a.local");
    snap_down(&s[1], "tcp://[fe80::1]:7230");
    snap_unreached(&s[2], "serial:///dev/ttyUSB0?baud=921600");
    export_render(&t, s, 3, EXPORT_RENDER_TARGET_LABEL);
    export_render_self(&t, &self);
  } else if (strcmp(what, "probe") == 0) {
    snap_board(&s[0], "tcp://k230-a.local");
    s[0].probe_duration_s = 0.0004;
    export_render(&t, s, 1, 0);
  } else if (strcmp(what, "down") == 0) {
    snap_down(&s[0], "tcp://k230-b.local");
    s[0].probe_duration_s = 2.0;
    export_render(&t, s, 1, 0);
  } else {
    fprintf(stderr, "usage: dump_exposition metrics|probe|down\n");
    return 2;
  }
  if (t.oom)
    return 1;
  fwrite(t.buf, 1, t.len, stdout);
  export_text_free(&t);
  return 0;
}
