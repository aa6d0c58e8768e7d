/* Reading and parsing /proc/media-mem (MMZ usage) for the `k230` source; the
 * formats and why the first read is exactly 230 bytes are in
 * k230_media_mem.h. */
#define _POSIX_C_SOURCE 200809L
#include "k230_media_mem.h"
#include "source_impl.h"
#include "source_text.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The long format's summary is the last ~150 bytes of the file: keep a
 * window of the file's end, and give up on files past a sane size. */
#define WINDOW         1024
#define WINDOW_KEEP    384
#define LONG_MAX_BYTES (256 * 1024)

static bool ends_value(const char *p, const char *end) {
  return p == end || *p == '\n' || *p == '\r' || *p == '\0' || *p == ' ';
}

static bool set_info(gcmon_mem_info *out, uint64_t total, uint64_t used,
                     uint64_t free_bytes) {
  if (used > total || free_bytes > total)
    return false;
  out->total = total;
  out->used = used;
  out->free = free_bytes;
  return true;
}

/* "total:%d,used:%d,remain=%d", bytes, at the start of the buffer. */
static bool parse_short(const char *p, const char *end, gcmon_mem_info *out) {
  uint64_t total, used, remain;

  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  if (!gcmon__text_lit(&p, end, "total:") ||
      !gcmon__text_u64(&p, end, &total) ||
      !gcmon__text_lit(&p, end, ",used:") || !gcmon__text_u64(&p, end, &used) ||
      !gcmon__text_lit(&p, end, ",remain=") ||
      !gcmon__text_u64(&p, end, &remain) || !ends_value(p, end))
    return false;
  return set_info(out, total, used, remain);
}

/* <key>=<n>KB somewhere in [p, eol); advances p past it. */
static bool kb_field(const char **p, const char *eol, const char *key,
                     uint64_t *bytes) {
  const char *s = gcmon__text_find(*p, eol, key);
  uint64_t kb;

  if (s == NULL)
    return false;
  s += strlen(key);
  if (!gcmon__text_u64(&s, eol, &kb) || !gcmon__text_lit(&s, eol, "KB") ||
      kb > UINT64_MAX / 1024)
    return false;
  *bytes = kb * 1024;
  *p = s;
  return true;
}

/* The last " total size=%dKB(..),used=%dKB(..),remain=%dKB(..)" line. */
static bool parse_long(const char *buf, const char *end, gcmon_mem_info *out) {
  const char *p = gcmon__text_find_last(buf, end, "total size=");
  const char *eol;
  uint64_t total, used, remain;

  if (p == NULL)
    return false;
  eol = memchr(p, '\n', (size_t)(end - p));
  if (eol == NULL)
    eol = end;
  if (!kb_field(&p, eol, "total size=", &total) ||
      !kb_field(&p, eol, ",used=", &used) ||
      !kb_field(&p, eol, ",remain=", &remain))
    return false;
  return set_info(out, total, used, remain);
}

int gcmon__k230_parse_media_mem(const char *buf, size_t len,
                                gcmon_mem_info *out) {
  if (parse_short(buf, buf + len, out) || parse_long(buf, buf + len, out))
    return 0;
  return GCMON_EPARSE;
}

static ssize_t read_some(int fd, char *buf, size_t n) {
  ssize_t got;

  do
    got = read(fd, buf, n);
  while (got < 0 && errno == EINTR);
  return got;
}

int gcmon__k230_read_media_mem(const char *path, gcmon_mem_info *out, char *why,
                               size_t whylen) {
  char buf[WINDOW];
  size_t len, total_read;
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    gcmon__source_errf(why, whylen, "%s", strerror(errno));
    return GCMON_EIO;
  }
  n = read_some(fd, buf, GCMON_K230_MEDIA_MEM_READ);
  if (n < 0)
    goto io_error;
  len = total_read = (size_t)n;
  if (parse_short(buf, buf + len, out)) {
    close(fd);
    return 0;
  }
  for (;;) {
    if (len == sizeof buf) {
      memmove(buf, buf + len - WINDOW_KEEP, WINDOW_KEEP);
      len = WINDOW_KEEP;
    }
    n = read_some(fd, buf + len, sizeof buf - len);
    if (n < 0)
      goto io_error;
    if (n == 0)
      break;
    len += (size_t)n;
    total_read += (size_t)n;
    if (total_read > LONG_MAX_BYTES) {
      close(fd);
      gcmon__source_errf(why, whylen, "longer than %d bytes", LONG_MAX_BYTES);
      return GCMON_EPARSE;
    }
  }
  close(fd);
  if (parse_long(buf, buf + len, out))
    return 0;
  gcmon__source_errf(why, whylen,
                     "no \"total:N,used:N,remain=N\" nor \"total size=NKB\"");
  return GCMON_EPARSE;

io_error:
  gcmon__source_errf(why, whylen, "%s", strerror(errno));
  close(fd);
  return GCMON_EIO;
}
