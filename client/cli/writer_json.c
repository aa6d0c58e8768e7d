/* JSON writer: one compact document per top-level record, newline-ended,
 * so a stream of records is JSON Lines. Numbers are plain JSON numbers
 * (bytes as bytes, durations in microseconds: the protocol's units), all
 * below 2^53 so that a parser using doubles reads them exactly; 64-bit
 * identifiers (run_id) are hex strings, as the text output shows them. */
#include "units.h"
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>

#define JSON_DEPTH_MAX 16

typedef struct {
  writer base;
  bool first[JSON_DEPTH_MAX]; /* nothing written yet at this depth */
} json_writer;

/* Length of a valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  size_t len;
  if (p[0] < 0xC2 || p[0] > 0xF4)
    return 0;
  len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
  if (len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

static void put_string(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = 0;
  while (p[n])
    n++;
  fputc('"', f);
  for (size_t i = 0; i < n;) {
    unsigned char ch = p[i];
    if (ch == '"' || ch == '\\') {
      fputc('\\', f);
      fputc(ch, f);
      i++;
    } else if (ch < 0x20 || ch == 0x7f) {
      fprintf(f, "\\u%04x", ch);
      i++;
    } else if (ch < 0x80) {
      fputc(ch, f);
      i++;
    } else {
      size_t len = utf8_len(p + i, n - i);
      if (len == 0) {
        fputs("\\ufffd", f); /* never emit invalid UTF-8 */
        i++;
      } else {
        fwrite(p + i, 1, len, f);
        i += len;
      }
    }
  }
  fputc('"', f);
}

static void sep(json_writer *j) {
  int d = j->base.depth < JSON_DEPTH_MAX ? j->base.depth : JSON_DEPTH_MAX - 1;
  if (!j->first[d])
    fputc(',', j->base.out);
  j->first[d] = false;
}

static void key(json_writer *j, const char *k) {
  sep(j);
  put_string(j->base.out, k);
  fputc(':', j->base.out);
}

static void open_container(json_writer *j, char ch) {
  fputc(ch, j->base.out);
  writer_push(&j->base, NULL);
  if (j->base.depth < JSON_DEPTH_MAX)
    j->first[j->base.depth] = true;
}

static void j_begin(writer *w) {
  json_writer *j = (json_writer *)w;
  if (w->depth > 0)
    sep(j);
  open_container(j, '{');
}

static void j_end(writer *w) {
  fputc('}', w->out);
  writer_pop(w);
  if (w->depth == 0) {
    fputc('\n', w->out);
    writer_flush(w);
  }
}

static void j_group(writer *w, const char *k) {
  key((json_writer *)w, k);
  open_container((json_writer *)w, '{');
}

static void j_group_end(writer *w) {
  fputc('}', w->out);
  writer_pop(w);
}

static void j_list(writer *w, const char *k) {
  key((json_writer *)w, k);
  open_container((json_writer *)w, '[');
}

static void j_list_end(writer *w) {
  fputc(']', w->out);
  writer_pop(w);
}

static void j_field(writer *w, const char *k, const wval *v) {
  key((json_writer *)w, k);
  switch (v->kind) {
  case WV_STR:
    put_string(w->out, v->s);
    break;
  case WV_BOOL:
    fputs(v->b ? "true" : "false", w->out);
    break;
  case WV_ID: /* a string: doubles (jq, JavaScript) would round it */
    fprintf(w->out, "\"%016" PRIx64 "\"", v->u);
    break;
  case WV_TIME: {
    char iso[UNITS_TIME_ISO_MAX];
    units_format_time_utc(v->i, iso, sizeof iso);
    put_string(w->out, iso);
    break;
  }
  case WV_U64:
  case WV_BYTES:
  case WV_DURATION:
  case WV_UPTIME:
    fprintf(w->out, "%" PRIu64, v->u);
    break;
  case WV_I64:
  case WV_SBYTES:
  case WV_THRESHOLD:
  case WV_DBYTES:
    fprintf(w->out, "%" PRId64, v->i);
    break;
  }
}

static void j_destroy(writer *w) {
  free(w);
}

static const writer_ops json_ops = {j_begin, j_end,      j_group, j_group_end,
                                    j_list,  j_list_end, j_field, j_destroy};

writer *writer_json_new(FILE *out, unsigned flags) {
  json_writer *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  j->base.ops = &json_ops;
  j->base.out = out;
  j->base.flags = flags;
  j->first[0] = true;
  return &j->base;
}
