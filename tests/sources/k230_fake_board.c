/* The fake CanMV K230 board (see k230_fake_board.h). */
#define _POSIX_C_SOURCE 200809L
#include "k230_fake_board.h"
#include "gcmon_test.h"
#include "k230_media_mem.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void board_init(board *b, gcmon_k230_scheme scheme) {
  memset(b, 0, sizeof *b);
  b->scheme = scheme;
  b->unknown_errno = EPERM; /* the misc driver returns -1 */
  b->heap[0] = 32 * MIB;    /* total */
  b->heap[1] = 20 * MIB;    /* free */
  b->heap[2] = 12 * MIB;    /* used */
  b->page[0] = 214 * MIB;
  b->page[1] = 150 * MIB;
  b->page[2] = 64 * MIB;
  b->ddr = 512 * MIB;
}

unsigned long board_req(const board *b, unsigned n) {
  return b->scheme == GCMON_K230_SCHEME_IOWR ? GCMON_K230_REQ_IOWR(n)
                                             : GCMON_K230_REQ_LEGACY(n);
}

/* What RT-Smart's lwp_put_to_user() would copy: the raw kernel struct. */
static void put_meminfo(void *arg, const uint64_t v[3]) {
  unsigned char raw[24];

  memcpy(raw + 0, &v[0], 8);
  memcpy(raw + 8, &v[1], 8);
  memcpy(raw + 16, &v[2], 8);
  memcpy(arg, raw, sizeof raw);
}

static int unknown(board *b) {
  b->console_unknown_cmd++; /* misc_ioctl's default case prints */
  errno = b->unknown_errno;
  return -1;
}

int board_ioctl(int fd, unsigned long request, void *arg, void *ctx) {
  board *b = ctx;

  ASSERT_TRUE(fd >= 0);
  if (b->calls < 16)
    b->seen[b->calls] = request;
  b->calls++;
  if (b->fail_errno != 0 && request == b->fail_req) {
    errno = b->fail_errno;
    return -1;
  }
  if (request == board_req(b, GCMON_K230_READ_HEAP)) {
    put_meminfo(arg, b->heap);
    return 0;
  }
  if (request == board_req(b, GCMON_K230_READ_PAGE)) {
    put_meminfo(arg, b->page);
    return 0;
  }
  if (b->scheme == GCMON_K230_SCHEME_MEMINFO)
    return unknown(b);
  if (b->scheme == GCMON_K230_SCHEME_LEGACY && b->late_2024) {
    if (request == GCMON_K230_REQ_LEGACY(2)) {
      int usage = 37; /* CPU_USAGE writes an int */
      memcpy(arg, &usage, sizeof usage);
      return 0;
    }
    if (request == GCMON_K230_REQ_LEGACY(6)) {
      memcpy(arg, &b->ddr, 8);
      return 0;
    }
  } else if (!b->no_memory_size &&
             request == board_req(b, GCMON_K230_GET_MEMORY_SIZE)) {
    memcpy(arg, &b->ddr, 8);
    return 0;
  }
  return unknown(b);
}

/* mmz_read_proc: the short line for a read of exactly 230 bytes; for any
 * other count the table goes to the console and the read returns 0. */
long board_read(int fd, void *buf, unsigned long n, void *ctx) {
  board *b = ctx;
  size_t len;

  if (b->mmz_line == NULL)
    return (long)read(fd, buf, n);
  if (b->mmz_nreads < 8)
    b->mmz_reads[b->mmz_nreads] = n;
  b->mmz_nreads++;
  if (n != GCMON_K230_MEDIA_MEM_READ || b->mmz_kernel_splits) {
    b->console_mmz_dumps++;
    return 0;
  }
  memset(buf, 0, n);
  len = strlen(b->mmz_line);
  memcpy(buf, b->mmz_line, len < n ? len : n);
  return (long)n; /* the driver copies its whole 230-byte buffer */
}

int board_open(gcmon_source **src, board *b, const char *dev,
               const char *meminfo_dev, const char *mmz, char *err,
               size_t errlen) {
  gcmon_source_config cfg = {0};

  cfg.name = "k230";
  cfg.misc_dev_path = dev;
  cfg.meminfo_dev_path = meminfo_dev;
  cfg.media_mem_path = mmz;
  cfg.ioctl_fn = board_ioctl;
  cfg.read_fn = board_read;
  cfg.ioctl_ctx = b;
  return gcmon_source_open(src, &cfg, err, errlen);
}
