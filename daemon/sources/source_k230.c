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
 * start instead of serving zeros. Open also finds which generation the
 * board is (source_k230.h): /dev/canmv_misc with _IOWR first (current
 * releases), then 0x1024 + n when that request is unknown to the driver
 * (misc_ioctl() returns -1, which fcntl() in dfs_posix.c stores as errno -1
 * and sys_ioctl() in lwp_syscall.c hands to user space as -1, i.e. EPERM:
 * canmv-k230/rtsmart kernel/rt-thread/components; ENOTTY, EINVAL and ENOSYS
 * are taken the same way); and /dev/meminfo with 0x1024 + n only when
 * /dev/canmv_misc does not exist. The order keeps the kernel console quiet:
 * a current board and a pre-Sep-2024 board see no unknown request at all; a
 * Sep 2024 - May 2025 board sees one "misc_ioctl unknown cmd" line, once, at
 * start (the _IOWR probe); after open only known requests are sent. The DDR
 * size does not change and is read once (not at all on /dev/meminfo, whose
 * driver is not known to have it). All ioctls go through cfg->ioctl_fn and
 * the media-mem read through cfg->read_fn when set, so tests can play a
 * board of every generation.
 *
 * sys_heap "used": on kernels built with RT_USING_MEMHEAP_AS_HEAP (every
 * K230 defconfig) READ_HEAP long returned the memheaps' max_used_size, a
 * high-water mark, as used (misc.c misc_get_heap_info(): "_used +=
 * mh->max_used_size;" beside "_free += mh->available_size;"), so used +
 * free != total and "used" never fell; the 2026-07 fix returns current use.
 * This source reports used = total - free on every generation and, once a
 * reply has shown used + free != total, the kernel's figure as peak_used
 * (the peak since boot) from then on; 0 (unknown) on kernels that never
 * showed it. */
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
  gcmon_read_fn read_fn;
  gcmon_k230_scheme scheme;
  bool heap_used_is_peak; /* READ_HEAP's used was seen to be a peak */
  uint64_t sys_total; /* 0 when the board did not say */
  bool has_mmz;
  char dev_path[GCMON__SOURCE_PATH_MAX];
  char mmz_path[GCMON__SOURCE_PATH_MAX];
} k230;

static const char *const scheme_text[] = {
    "_IOWR('M', n, void *)", "0x1024 + n", "/dev/meminfo 0x1024 + n"};
static const char *const scheme_id[] = {"k230/iowr", "k230/legacy",
                                        "k230/meminfo"};

static int real_ioctl(int fd, unsigned long request, void *arg, void *ctx) {
  (void)ctx;
  return ioctl(fd, request, arg);
}

static unsigned long request(const k230 *k, unsigned n) {
  return k->scheme == GCMON_K230_SCHEME_IOWR ? GCMON_K230_REQ_IOWR(n)
                                             : GCMON_K230_REQ_LEGACY(n);
}

static bool speaks_legacy(const k230 *k) {
  return k->scheme != GCMON_K230_SCHEME_IOWR;
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
  out->free = mi.free_size;
  out->used = mi.total_size - mi.free_size;
  out->peak_used = 0;
  if (n == GCMON_K230_READ_HEAP) {
    /* A used above total - free can only be the high-water mark. */
    if (mi.used_size > out->used)
      k->heap_used_is_peak = true;
    if (k->heap_used_is_peak)
      out->peak_used = mi.used_size > out->used ? mi.used_size : out->used;
  }
  return 0;
}

/* GET_MEMORY_SIZE, accepted only if it can be the DDR size (at least the
 * page pool): on a late-2024 legacy board 0x1024 + 2 is CPU_USAGE, which
 * writes a small int, and the size is at 0x1024 + 6. 0 when unknown. */
static uint64_t memory_size(k230 *k, uint64_t page_total) {
  unsigned long reqs[2];
  size_t n_reqs = 1;

  if (k->scheme == GCMON_K230_SCHEME_MEMINFO)
    return 0;
  reqs[0] = request(k, GCMON_K230_GET_MEMORY_SIZE);
  if (speaks_legacy(k))
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
    int rc = gcmon__k230_read_media_mem(k->mmz_path, k->read_fn,
                                        k->ioctl_ctx, &mmz, why, sizeof why);
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

static const gcmon_source_ops k230_ops = {"k230", k230_read, NULL,
                                          NULL,   NULL,      k230_close};

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

/* Find the numbering and check the board answers; err on failure. The
 * scheme is preset to MEMINFO for /dev/meminfo, which is asked only in its
 * own numbering. */
static int probe(k230 *k, char *err, size_t errlen) {
  gcmon_mem_info heap, page;
  int e, first;

  if (k->scheme != GCMON_K230_SCHEME_MEMINFO)
    k->scheme = GCMON_K230_SCHEME_IOWR;
  e = first = read_meminfo(k, GCMON_K230_READ_HEAP, &heap);
  if (e > 0 && unknown_request(e) && k->scheme == GCMON_K230_SCHEME_IOWR) {
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
  k->read_fn = cfg->read_fn;
  k->ioctl_ctx = cfg->ioctl_ctx;
  k->fd = open(dev, O_RDONLY | O_CLOEXEC);
  if (k->fd < 0 && errno == ENOENT && cfg->misc_dev_path == NULL) {
    /* Firmware before Sep 2024: the same requests on /dev/meminfo. */
    const char *legacy = cfg->meminfo_dev_path ? cfg->meminfo_dev_path
                                               : GCMON_K230_MEMINFO_DEV_PATH;
    k->fd = open(legacy, O_RDONLY | O_CLOEXEC);
    if (k->fd >= 0) {
      k->scheme = GCMON_K230_SCHEME_MEMINFO;
      (void)gcmon__source_copy_path(k->dev_path, legacy);
    } else {
      gcmon__source_errf(err, errlen, "k230: %s: %s (nor %s, as before Sep "
                         "2024)", dev, strerror(ENOENT), legacy);
      free(k);
      return GCMON_ENODEV;
    }
  }
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
  strcpy(k->base.device_id, scheme_id[k->scheme]);
  *out = &k->base;
  return 0;
}
