/* Reading and parsing /proc/media-mem (MMZ usage) for the `k230` source: one
 * read of exactly 230 bytes per sample, the short line only (see
 * k230_media_mem.h for why no other read is ever issued). */
#define _POSIX_C_SOURCE 200809L
#include "k230_media_mem.h"
#include "source_impl.h"
#include "source_text.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static bool ends_value(const char *p, const char *end) {
  return p == end || *p == '\n' || *p == '\r' || *p == '\0' || *p == ' ';
}

int gcmon__k230_parse_media_mem(const char *buf, size_t len,
                                gcmon_mem_info *out) {
  const char *p = buf, *end = buf + len;
  uint64_t total, used, remain;

  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  if (!gcmon__text_lit(&p, end, "total:") ||
      !gcmon__text_u64(&p, end, &total) ||
      !gcmon__text_lit(&p, end, ",used:") || !gcmon__text_u64(&p, end, &used) ||
      !gcmon__text_lit(&p, end, ",remain=") ||
      !gcmon__text_u64(&p, end, &remain) || !ends_value(p, end) ||
      used > total || remain > total)
    return GCMON_EPARSE;
  out->total = total;
  out->used = used;
  out->free = remain;
  out->peak_used = 0;
  return 0;
}

static long real_read(int fd, void *buf, unsigned long n, void *ctx) {
  (void)ctx;
  return (long)read(fd, buf, n);
}

int gcmon__k230_read_media_mem(const char *path, gcmon_read_fn read_fn,
                               void *ctx, gcmon_mem_info *out, char *why,
                               size_t whylen) {
  char buf[GCMON_K230_MEDIA_MEM_READ];
  long n;
  int fd = open(path, O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    gcmon__source_errf(why, whylen, "%s", strerror(errno));
    return GCMON_EIO;
  }
  if (read_fn == NULL)
    read_fn = real_read;
  /* Exactly one read of exactly this size; EINTR is the only retry, and
   * it repeats the same request. */
  do
    n = read_fn(fd, buf, sizeof buf, ctx);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    gcmon__source_errf(why, whylen, "%s", strerror(errno));
    close(fd);
    return GCMON_EIO;
  }
  close(fd);
  if (gcmon__k230_parse_media_mem(buf, (size_t)n, out) != 0) {
    gcmon__source_errf(why, whylen,
                       n == 0 ? "empty answer to the %d-byte read"
                              : "no \"total:N,used:N,remain=N\" in the "
                                "answer to the %d-byte read",
                       GCMON_K230_MEDIA_MEM_READ);
    return GCMON_EPARSE;
  }
  return 0;
}
