/* The output writer: commands say *what* to print (records of typed,
 * named fields, nested groups, lists); a writer decides *how* - text for
 * people, JSON, CSV. No command formats anything itself.
 *
 *     writer *w = writer_json_new(stdout, 0);
 *     w->ops->begin(w);              {            (a record)
 *     w_u64(w, "seq", 12);             "seq":12,
 *     w->ops->group(w, "gc");          "gc":{
 *     w_bytes(w, "mem_alloc", n, t);     "mem_alloc":n
 *     w->ops->group_end(w);            }
 *     w->ops->end(w);                }\n
 *     writer_free(w);
 *
 * Keys are docs/protocol.md's field names; JSON and CSV print them as they are,
 * the text writer looks up a label for each dotted path. A record inside a
 * list, or any record of a stream writer, is one row of a table (text),
 * one element (JSON) or one line (JSON Lines, CSV). */
#ifndef GCMON_CLI_WRITER_H
#define GCMON_CLI_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  WV_STR,       /* text */
  WV_U64,       /* a count */
  WV_ID,        /* a 64-bit identifier (text shows it in hex, as logs do) */
  WV_I64,       /* a signed count */
  WV_BOOL,      /* yes / no */
  WV_BYTES,     /* unsigned bytes; `of` (if non-zero) gives a percentage */
  WV_SBYTES,    /* signed bytes, negative = unknown */
  WV_THRESHOLD, /* signed bytes, negative = off */
  WV_DBYTES,    /* a signed change in bytes */
  WV_DURATION,  /* microseconds */
  WV_UPTIME,    /* microseconds since the device started */
  WV_TIME       /* host wall-clock microseconds since 1970 (i): ISO 8601 */
} wv_kind;

typedef struct wval {
  wv_kind kind;
  const char *s;
  uint64_t u;
  int64_t i;
  bool b;
  uint64_t of;
} wval;

typedef struct writer writer;

typedef struct writer_ops {
  void (*begin)(writer *w); /* open a record */
  void (*end)(writer *w);   /* close it (a stream record is flushed) */
  void (*group)(writer *w, const char *key);
  void (*group_end)(writer *w);
  void (*list)(writer *w, const char *key);
  void (*list_end)(writer *w);
  void (*field)(writer *w, const char *key, const wval *v);
  void (*destroy)(writer *w);
} writer_ops;

/* Writer flags. */
enum {
  WRITER_STREAM = 1 << 0,    /* top-level records are rows of a stream */
  WRITER_RAW_BYTES = 1 << 1, /* text: bytes as plain numbers */
  WRITER_WIDE = 1 << 2,      /* text rows: every field, not what fits 80 */
};

#define WRITER_PATH_MAX 96

struct writer {
  const writer_ops *ops;
  FILE *out;
  unsigned flags;
  int err;        /* errno of the first failed write, 0 while all is well */
  int *err_sink;  /* if set, receives err when the writer is freed */
  int depth;                  /* open records and groups */
  char path[WRITER_PATH_MAX]; /* dotted path of the open groups */
  size_t path_len[8];         /* path length at each depth */
};

writer *writer_text_new(FILE *out, unsigned flags);
writer *writer_json_new(FILE *out, unsigned flags);
/* columns: the dotted paths to print, NULL-terminated; the header line is
 * written at once. Fields not in columns are ignored. */
writer *writer_csv_new(FILE *out, unsigned flags, const char *const *columns);
void writer_free(writer *w);
/* Flush w->out and remember the first write error in w->err (every
 * implementation flushes through here, so no command checks by itself). */
void writer_flush(writer *w);

/* Field helpers. */
void w_str(writer *w, const char *key, const char *s);
void w_u64(writer *w, const char *key, uint64_t v);
void w_id(writer *w, const char *key, uint64_t v);
void w_i64(writer *w, const char *key, int64_t v);
void w_bool(writer *w, const char *key, bool v);
void w_bytes(writer *w, const char *key, uint64_t v, uint64_t of);
void w_sbytes(writer *w, const char *key, int64_t v, uint64_t of);
void w_threshold(writer *w, const char *key, int64_t v);
void w_dbytes(writer *w, const char *key, int64_t v);
void w_duration(writer *w, const char *key, uint64_t us);
void w_uptime(writer *w, const char *key, uint64_t us);
void w_time(writer *w, const char *key, int64_t wall_us);

/* Path bookkeeping shared by the implementations: push on group, pop on
 * group_end; writer_full_key() is the dotted path of a field. */
void writer_push(writer *w, const char *key);
void writer_pop(writer *w);
void writer_full_key(const writer *w, const char *key, char *out, size_t len);

#endif
