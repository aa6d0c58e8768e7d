/* Writer plumbing shared by the text, JSON and CSV writers: the typed
 * field helpers and the dotted-path bookkeeping (see writer.h). */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void writer_free(writer *w) {
  if (!w)
    return;
  writer_flush(w);
  if (w->err_sink && w->err && !*w->err_sink)
    *w->err_sink = w->err;
  w->ops->destroy(w);
}

void writer_flush(writer *w) {
  errno = 0;
  if (fflush(w->out) != 0 && !w->err)
    w->err = errno ? errno : EIO;
  if (ferror(w->out) && !w->err)
    w->err = EIO;
}

static void put(writer *w, const char *key, wval v) {
  w->ops->field(w, key, &v);
}

void w_str(writer *w, const char *key, const char *s) {
  put(w, key, (wval){.kind = WV_STR, .s = s ? s : ""});
}

void w_u64(writer *w, const char *key, uint64_t v) {
  put(w, key, (wval){.kind = WV_U64, .u = v});
}

void w_id(writer *w, const char *key, uint64_t v) {
  put(w, key, (wval){.kind = WV_ID, .u = v});
}

void w_i64(writer *w, const char *key, int64_t v) {
  put(w, key, (wval){.kind = WV_I64, .i = v});
}

void w_bool(writer *w, const char *key, bool v) {
  put(w, key, (wval){.kind = WV_BOOL, .b = v});
}

void w_bytes(writer *w, const char *key, uint64_t v, uint64_t of) {
  put(w, key, (wval){.kind = WV_BYTES, .u = v, .of = of});
}

void w_sbytes(writer *w, const char *key, int64_t v, uint64_t of) {
  put(w, key, (wval){.kind = WV_SBYTES, .i = v, .of = of});
}

void w_threshold(writer *w, const char *key, int64_t v) {
  put(w, key, (wval){.kind = WV_THRESHOLD, .i = v});
}

void w_dbytes(writer *w, const char *key, int64_t v) {
  put(w, key, (wval){.kind = WV_DBYTES, .i = v});
}

void w_duration(writer *w, const char *key, uint64_t us) {
  put(w, key, (wval){.kind = WV_DURATION, .u = us});
}

void w_uptime(writer *w, const char *key, uint64_t us) {
  put(w, key, (wval){.kind = WV_UPTIME, .u = us});
}

void w_time(writer *w, const char *key, int64_t wall_us) {
  put(w, key, (wval){.kind = WV_TIME, .i = wall_us});
}

void writer_push(writer *w, const char *key) {
  size_t len = strlen(w->path);
  if (w->depth < 8)
    w->path_len[w->depth] = len;
  w->depth++;
  if (!key || !*key)
    return;
  if (len > 0 && len + 1 < sizeof w->path)
    w->path[len++] = '.';
  strncpy(w->path + len, key, sizeof w->path - len - 1);
  w->path[sizeof w->path - 1] = '\0';
}

void writer_pop(writer *w) {
  if (w->depth <= 0)
    return;
  w->depth--;
  if (w->depth < 8)
    w->path[w->path_len[w->depth]] = '\0';
}

void writer_full_key(const writer *w, const char *key, char *out, size_t len) {
  if (w->path[0])
    snprintf(out, len, "%s.%s", w->path, key);
  else
    snprintf(out, len, "%s", key);
}
