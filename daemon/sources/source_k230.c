/* The `k230` source: a CanMV K230 board's memory as RT-Smart reports it, the
 * way CanMV's own gc.sys_heap()/sys_page()/sys_total()/sys_mmz() read it:
 * ioctls on /dev/canmv_misc for the kernel heap, user pages and DDR size, and
 * /proc/media-mem for MMZ. The ABI (request numbers, struct layout) and where
 * it comes from are in source_k230.h; the media-mem formats in
 * k230_media_mem.h.
 *
 * The gc heap lives inside MicroPython, not here: has_gc is false and the gc
 * controls are NULL (the agent answers UNAVAILABLE).
 *
 * At open the device must exist and answer READ_HEAP and READ_PAGE, or open
 * fails naming the path: a daemon that cannot read the board says so at
 * start instead of serving zeros. Open also finds which numbering the board
 * speaks: _IOWR first (current releases), and 0x1024 + n when that request
 * is unknown to the driver (misc_ioctl() returns -1, which fcntl() in
 * dfs_posix.c stores as errno -1 and sys_ioctl() in lwp_syscall.c hands to
 * user space as -1, i.e. EPERM: canmv-k230/rtsmart kernel/rt-thread/
 * components; ENOTTY, EINVAL and ENOSYS are taken the same way). The DDR size
 * does not change and is read once. All ioctls go through cfg->ioctl_fn when
 * set, so tests can play a board of either generation. */
#define _POSIX_C_SOURCE 200809L
#include "source_k230.h"
#include "k230_media_mem.h"
#include "source_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef char
    k230_meminfo_is_24_bytes[sizeof(gcmon_k230_meminfo) == 24 ? 1 : -1];

#define MIB (1ull << 20)

typedef struct k230 {
  gcmon_source base;
  int fd;
  gcmon_ioctl_fn ioctl_fn;
  void *ioctl_ctx;
  gcmon_k230_scheme scheme;
  uint64_t sys_total; /* 0 when the board did not say */
  bool has_mmz;
  char dev_path[GCMON__SOURCE_PATH_MAX];
  char mmz_path[GCMON__SOURCE_PATH_MAX];
} k230;

static const char *const scheme_text[] = {"_IOWR('M', n, void *)",
                                          "0x1024 + n"};

static int real_ioctl(int fd, unsigned long request, void *arg, void *ctx) {
  (void)ctx;
  return ioctl(fd, request, arg);
}

static unsigned long request(const k230 *k, unsigned n) {
  return k->scheme == GCMON_K230_SCHEME_IOWR ? GCMON_K230_REQ_IOWR(n)
                                             : GCMON_K230_REQ_LEGACY(n);
}

/* 0, or the errno of a failed call. */
static int call(k230 *k, unsigned long req, void *arg) {
  int rc;

  errno = 0;
  rc = k->ioctl_fn(k->fd, req, arg, k->ioctl_ctx);
  if (rc == 0)
    return 0;
  return errno != 0 ? errno : EIO;
}

static bool unknown_request(int e) {
  return e == EPERM || e == ENOTTY || e == EINVAL || e == ENOSYS;
}

/* READ_HEAP or READ_PAGE into (total, used, free). 0, an errno (> 0), or -1
 * when the reply contradicts itself. */
static int read_meminfo(k230 *k, unsigned n, gcmon_mem_info *out) {
  gcmon_k230_meminfo mi;
  int e;

  memset(&mi, 0, sizeof mi);
  e = call(k, request(k, n), &mi);
  if (e != 0)
    return e;
  if (mi.total_size == 0 || mi.used_size > mi.total_size ||
      mi.free_size > mi.total_size)
    return -1;
  out->total = mi.total_size;
  out->used = mi.used_size;
  out->free = mi.free_size;
  return 0;
}

/* GET_MEMORY_SIZE, accepted only if it can be the DDR size (at least the
 * page pool): on a late-2024 legacy board 0x1024 + 2 is CPU_USAGE, which
 * writes a small int, and the size is at 0x1024 + 6. 0 when unknown. */
static uint64_t memory_size(k230 *k, uint64_t page_total) {
  unsigned long reqs[2];
  size_t n_reqs = 1;

  reqs[0] = request(k, GCMON_K230_GET_MEMORY_SIZE);
  if (k->scheme == GCMON_K230_SCHEME_LEGACY)
    reqs[n_reqs++] = GCMON_K230_REQ_LEGACY(GCMON_K230_GET_MEMORY_SIZE_2024);
  for (size_t i = 0; i < n_reqs; i++) {
    uint64_t size = 0;
    if (call(k, reqs[i], &size) == 0 && size >= page_total && size >= 16 * MIB)
      return size;
  }
  return 0;
}

static const char *what(unsigned n) {
  return n == GCMON_K230_READ_HEAP ? "READ_HEAP" : "READ_PAGE";
}

static int k230_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  k230 *k = (k230 *)src;
  static const unsigned cmds[2] = {GCMON_K230_READ_HEAP, GCMON_K230_READ_PAGE};
  gcmon_mem_info info[2], mmz;
  char why[80];

  for (int i = 0; i < 2; i++) {
    int e = read_meminfo(k, cmds[i], &info[i]);
    if (e > 0)
      return gcmon__source_fail(src, GCMON_EIO, "k230: %s: %s (%s)",
                                what(cmds[i]), strerror(e), k->dev_path);
    if (e < 0)
      return gcmon__source_fail(src, GCMON_EPARSE,
                                "k230: %s reply does not add up (%s)",
                                what(cmds[i]), k->dev_path);
  }
  memset(&mmz, 0, sizeof mmz);
  if (k->has_mmz) {
    int rc = gcmon__k230_read_media_mem(k->mmz_path, &mmz, why, sizeof why);
    if (rc != 0)
      return gcmon__source_fail(src, rc, "k230: media-mem: %s (%s)", why,
                                k->mmz_path);
  }

  out->uptime_us = now_us;
  out->has_gc = false;
  memset(&out->gc, 0, sizeof out->gc);
  out->gc.mem_free = out->gc.threshold = out->gc.largest_free = -1;
  out->sys_total = k->sys_total;
  out->has_sys_heap = out->has_sys_page = true;
  out->sys_heap = info[0];
  out->sys_page = info[1];
  out->has_sys_mmz = k->has_mmz;
  out->sys_mmz = mmz;
  return 0;
}

static void k230_close(gcmon_source *src) {
  k230 *k = (k230 *)src;

  close(k->fd);
  free(k);
}

/* No gc heap: no control ops, no collections (the agent answers
 * UNAVAILABLE). */
static const gcmon_source_ops k230_ops = {
    .name = "k230", .read = k230_read, .close = k230_close};

const char *gcmon_source_k230_scheme(const gcmon_source *src) {
  if (src == NULL || src->ops != &k230_ops)
    return NULL;
  return scheme_text[((const k230 *)src)->scheme];
}

/* Open-time failure of request n with read_meminfo() result e. */
static int probe_error(const k230 *k, unsigned n, int e, char *err,
                       size_t errlen) {
  if (e < 0) {
    gcmon__source_errf(err, errlen, "k230: %s %s: reply does not add up",
                       k->dev_path, what(n));
    return GCMON_EPARSE;
  }
  gcmon__source_errf(err, errlen, "k230: %s %s: %s", k->dev_path, what(n),
                     strerror(e));
  return GCMON_EIO;
}

/* Find the numbering and check the board answers; err on failure. */
static int probe(k230 *k, char *err, size_t errlen) {
  gcmon_mem_info heap, page;
  int e, first;

  k->scheme = GCMON_K230_SCHEME_IOWR;
  e = first = read_meminfo(k, GCMON_K230_READ_HEAP, &heap);
  if (e > 0 && unknown_request(e)) {
    k->scheme = GCMON_K230_SCHEME_LEGACY;
    e = read_meminfo(k, GCMON_K230_READ_HEAP, &heap);
    if (e > 0 && unknown_request(e)) {
      gcmon__source_errf(err, errlen,
                         "k230: %s: READ_HEAP unknown as %s (%s) and as %s "
                         "(%s): not a CanMV misc device?",
                         k->dev_path, scheme_text[0], strerror(first),
                         scheme_text[1], strerror(e));
      return GCMON_ENODEV;
    }
  }
  if (e != 0)
    return probe_error(k, GCMON_K230_READ_HEAP, e, err, errlen);
  e = read_meminfo(k, GCMON_K230_READ_PAGE, &page);
  if (e != 0)
    return probe_error(k, GCMON_K230_READ_PAGE, e, err, errlen);
  k->sys_total = memory_size(k, page.total);
  return 0;
}

int gcmon__source_k230_open(gcmon_source **out, const gcmon_source_config *cfg,
                            char *err, size_t errlen) {
  const char *dev =
      cfg->misc_dev_path ? cfg->misc_dev_path : GCMON_K230_MISC_DEV_PATH;
  const char *mmz =
      cfg->media_mem_path ? cfg->media_mem_path : GCMON_K230_MEDIA_MEM_PATH;
  struct stat st;
  k230 *k = calloc(1, sizeof *k);
  int rc;

  if (k == NULL) {
    gcmon__source_errf(err, errlen, "k230: out of memory");
    return GCMON_ENOMEM;
  }
  if (gcmon__source_copy_path(k->dev_path, dev) != 0 ||
      gcmon__source_copy_path(k->mmz_path, mmz) != 0) {
    free(k);
    gcmon__source_errf(err, errlen, "k230: device or media-mem path too long");
    return GCMON_EINVAL;
  }
  k->ioctl_fn = cfg->ioctl_fn ? cfg->ioctl_fn : real_ioctl;
  k->ioctl_ctx = cfg->ioctl_ctx;
  k->fd = open(dev, O_RDONLY | O_CLOEXEC);
  if (k->fd < 0) {
    gcmon__source_errf(err, errlen, "k230: %s: %s", dev, strerror(errno));
    free(k);
    return GCMON_ENODEV;
  }
  rc = probe(k, err, errlen);
  if (rc != 0) {
    close(k->fd);
    free(k);
    return rc;
  }
  /* No media-mem (no MMZ driver): sys_mmz is absent, not an error. */
  k->has_mmz = stat(mmz, &st) == 0;
  k->base.ops = &k230_ops;
  k->base.impl = k;
  strcpy(k->base.device_id,
         k->scheme == GCMON_K230_SCHEME_IOWR ? "k230/iowr" : "k230/legacy");
  *out = &k->base;
  return 0;
}
