/* The `linux` source: a Linux host's memory from /proc/meminfo (the path is
 * configurable, so tests and containers can point it elsewhere).
 *
 *   sys_total = MemTotal
 *   sys_page  = (MemTotal, MemTotal - MemAvailable, MemAvailable)
 *   sys_mmz   = (CmaTotal, CmaTotal - CmaFree, CmaFree) when the kernel has a
 *               non-empty CMA pool, the closest Linux has to the K230's MMZ
 *
 * Linux has no MicroPython gc heap and no separate kernel heap figure, so
 * has_gc and has_sys_heap are false and the gc controls are absent (NULL in
 * the ops table: the agent answers UNAVAILABLE). Values are in kB in the file
 * and bytes here.
 *
 * The file stays open; each read() re-reads it from offset 0 into a stack
 * buffer (no allocation) and parses it strictly: a missing MemTotal or
 * MemAvailable, a value that is not a number, or figures that contradict each
 * other give GCMON_EPARSE and a line in src->error, never made-up numbers. */
#define _POSIX_C_SOURCE 200809L
#include "source_impl.h"
#include "source_text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/meminfo is ~1.5 KB on current kernels. */
#define MEMINFO_BUF 8192

typedef struct linux_src {
  gcmon_source base;
  int fd;
  char path[GCMON__SOURCE_PATH_MAX];
} linux_src;

typedef struct meminfo {
  uint64_t total, avail, cma_total, cma_free; /* bytes */
  bool has_total, has_avail, has_cma_total, has_cma_free;
} meminfo;

static const struct {
  const char *key;
  size_t value_off, seen_off;
} keys[] = {
    {"MemTotal:", offsetof(meminfo, total), offsetof(meminfo, has_total)},
    {"MemAvailable:", offsetof(meminfo, avail), offsetof(meminfo, has_avail)},
    {"CmaTotal:", offsetof(meminfo, cma_total),
     offsetof(meminfo, has_cma_total)},
    {"CmaFree:", offsetof(meminfo, cma_free), offsetof(meminfo, has_cma_free)},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

/* "   123 kB" to the end of the line, in bytes. */
static bool parse_kb(const char *p, const char *eol, uint64_t *bytes) {
  uint64_t kb;

  gcmon__text_blanks(&p, eol);
  if (!gcmon__text_u64(&p, eol, &kb))
    return false;
  gcmon__text_blanks(&p, eol);
  if (!gcmon__text_lit(&p, eol, "kB"))
    return false;
  gcmon__text_blanks(&p, eol);
  if (p != eol || kb > UINT64_MAX / 1024)
    return false;
  *bytes = kb * 1024;
  return true;
}

/* Parse the keys we use out of [buf, end); on failure write why. */
static int parse_meminfo(const char *buf, const char *end, meminfo *mi,
                         char *why, size_t whylen) {
  memset(mi, 0, sizeof *mi);
  for (const char *line = buf; line < end;) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (eol == NULL)
      eol = end;
    for (size_t i = 0; i < N_KEYS; i++) {
      const char *p = line;
      bool *seen = (bool *)((char *)mi + keys[i].seen_off);
      if (*seen || !gcmon__text_lit(&p, eol, keys[i].key))
        continue;
      if (!parse_kb(p, eol, (uint64_t *)((char *)mi + keys[i].value_off))) {
        gcmon__source_errf(why, whylen, "%s not a number of kB", keys[i].key);
        return GCMON_EPARSE;
      }
      *seen = true;
    }
    line = eol + 1;
  }
  if (!mi->has_total || !mi->has_avail) {
    gcmon__source_errf(why, whylen, "no %s line",
                       mi->has_total ? "MemAvailable" : "MemTotal");
    return GCMON_EPARSE;
  }
  if (mi->avail > mi->total || mi->total == 0) {
    gcmon__source_errf(why, whylen, "MemAvailable exceeds MemTotal");
    return GCMON_EPARSE;
  }
  if (mi->has_cma_total != mi->has_cma_free ||
      (mi->has_cma_total && mi->cma_free > mi->cma_total)) {
    gcmon__source_errf(why, whylen, "CmaTotal and CmaFree disagree");
    return GCMON_EPARSE;
  }
  return 0;
}

static int linux_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  linux_src *l = (linux_src *)src;
  char buf[MEMINFO_BUF];
  char why[64];
  size_t len = 0;
  meminfo mi;
  int rc;

  /* lseek + read, not pread: RT-Smart (GCMON_PLATFORM=rtsmart) has no
   * pread. */
  if (lseek(l->fd, 0, SEEK_SET) != 0)
    return gcmon__source_fail(src, GCMON_EIO, "linux: %s (%s)",
                              strerror(errno), l->path);
  while (len < sizeof buf) {
    ssize_t n = read(l->fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return gcmon__source_fail(src, GCMON_EIO, "linux: %s (%s)",
                                strerror(errno), l->path);
    if (n == 0)
      break;
    len += (size_t)n;
  }
  if (len == sizeof buf) {
    /* Longer than we read: drop the cut line. */
    while (len > 0 && buf[len - 1] != '\n')
      len--;
  }
  rc = parse_meminfo(buf, buf + len, &mi, why, sizeof why);
  if (rc != 0)
    return gcmon__source_fail(src, rc, "linux: %s (%s)", why, l->path);

  out->uptime_us = now_us;
  out->has_gc = false;
  memset(&out->gc, 0, sizeof out->gc);
  out->gc.mem_free = out->gc.threshold = out->gc.largest_free = -1;
  out->sys_total = mi.total;
  out->has_sys_heap = false;
  memset(&out->sys_heap, 0, sizeof out->sys_heap);
  out->has_sys_page = true;
  out->sys_page.total = mi.total;
  out->sys_page.used = mi.total - mi.avail;
  out->sys_page.free = mi.avail;
  out->has_sys_mmz = mi.has_cma_total && mi.cma_total > 0;
  memset(&out->sys_mmz, 0, sizeof out->sys_mmz);
  if (out->has_sys_mmz) {
    out->sys_mmz.total = mi.cma_total;
    out->sys_mmz.used = mi.cma_total - mi.cma_free;
    out->sys_mmz.free = mi.cma_free;
  }
  return 0;
}

static void linux_close(gcmon_source *src) {
  linux_src *l = (linux_src *)src;

  close(l->fd);
  free(l);
}

static const gcmon_source_ops linux_ops = {"linux", linux_read, NULL,
                                           NULL,    NULL,       linux_close};

int gcmon__source_linux_open(gcmon_source **out, const gcmon_source_config *cfg,
                             char *err, size_t errlen) {
  const char *path = cfg->meminfo_path ? cfg->meminfo_path : "/proc/meminfo";
  char host[256];
  linux_src *l = calloc(1, sizeof *l);

  if (l == NULL) {
    gcmon__source_errf(err, errlen, "linux: out of memory");
    return GCMON_ENOMEM;
  }
  if (gcmon__source_copy_path(l->path, path) != 0) {
    free(l);
    gcmon__source_errf(err, errlen, "linux: meminfo path too long");
    return GCMON_EINVAL;
  }
  l->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (l->fd < 0) {
    gcmon__source_errf(err, errlen, "linux: %s: %s", path, strerror(errno));
    free(l);
    return GCMON_ENODEV;
  }
  l->base.ops = &linux_ops;
  l->base.impl = l;
  if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
    strcpy(host, "linux");
  host[sizeof host - 1] = '\0';
  host[GCMON_DEVICE_ID_MAX] = '\0';
  strcpy(l->base.device_id, host);
  *out = &l->base;
  return 0;
}
