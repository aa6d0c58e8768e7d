/* The `k230` source on every CanMV firmware generation: each fixture below
 * plays one generation's misc driver as its source lines say (quoted), and
 * asserts the tuple gc.sys_heap() returns on that board, the tuple gcmon
 * reports (used is always current use) and MemInfo.peak_used; then how
 * quiet the probes keep the kernel console, and /proc/media-mem read only
 * the way its driver answers. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon_test.h"
#include "k230_fake_board.h"
#include "k230_media_mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE(name) GCMON_FIXTURES "/" name
#define MISC_DEV      FIXTURE("canmv_misc")
#define MEMINFO_DEV   FIXTURE("canmv_misc") /* any openable file */
#define MMZ_FILE      FIXTURE("media_mem_short.txt")

/* A memheap kernel mid-run: 32 MiB pool, 20 MiB available now, and a
 * high-water mark of 14 MiB in use although only 12 MiB are in use now. */
#define HEAP_TOTAL (32 * MIB)
#define HEAP_FREE  (20 * MIB)
#define HEAP_NOW   (12 * MIB)
#define HEAP_PEAK  (14 * MIB)

typedef struct generation {
  const char *name;
  const char *source; /* where the behaviour is written */
  gcmon_k230_scheme scheme;
  bool late_2024;
  bool used_is_peak;  /* READ_HEAP's used_size is max_used_size */
  bool default_paths; /* misc device absent: /dev/meminfo is tried */
  const char *device_id;
  uint64_t sys_total;
} generation;

static const generation generations[] = {
    {"before Sep 2024: /dev/meminfo, 0x1024 + n",
     /* kendryte/k230_canmv micropython py/modgc.c: open("/dev/meminfo"),
      * ioctl(fd, 0x1024, &meminfo) for sys_heap and 0x1024 + 1 for
      * sys_page; items = {total_size, used_size, free_size}. */
     "k230_canmv modgc.c", GCMON_K230_SCHEME_MEMINFO, false, true, true,
     "k230/meminfo", 0},
    {"Oct-Dec 2024: /dev/canmv_misc, 0x1024 + n, size at + 6",
     /* canmv-k230/micropython py/modgc.c (2024-10-28):
      * "#define MISC_DEV_CMD_READ_HEAP (0x1024 + 0)",
      * "#define MISC_DEV_CMD_GET_MEMORY_SIZE    (0x1024 + 6)",
      * "info->items[1] = mp_obj_new_int(meminfo.used_size);" */
     "canmv-k230/micropython modgc.c 2024-10-28", GCMON_K230_SCHEME_LEGACY,
     true, true, false, "k230/legacy", 512 * MIB},
    {"2025 until May: /dev/canmv_misc, 0x1024 + n, size at + 2",
     "canmv-k230/rtsmart misc.c before 8be1068", GCMON_K230_SCHEME_LEGACY,
     false, true, false, "k230/legacy", 512 * MIB},
    {"since May 2025: _IOWR('M', n), used = max_used_size",
     /* canmv-k230/rtsmart kernel/bsp/maix3/components/canmv_misc/misc.c,
      * misc_get_heap_info() under RT_USING_MEMHEAP_AS_HEAP:
      * "_free += mh->available_size;" and "_used += mh->max_used_size;" */
     "canmv-k230/rtsmart misc.c 815b5ff", GCMON_K230_SCHEME_IOWR, false, true,
     false, "k230/iowr", 512 * MIB},
    {"since the 2026-07 fix: _IOWR('M', n), used = current",
     "canmv-k230/rtsmart misc.c, 2026-07", GCMON_K230_SCHEME_IOWR, false,
     false, false, "k230/iowr", 512 * MIB},
};

static gcmon_source *open_generation(board *b, const generation *g) {
  gcmon_source *src = NULL;
  char err[256];

  board_init(b, g->scheme);
  b->late_2024 = g->late_2024;
  b->heap[0] = HEAP_TOTAL;
  b->heap[1] = HEAP_FREE;
  b->heap[2] = g->used_is_peak ? HEAP_PEAK : HEAP_NOW;
  if (board_open(&src, b, g->default_paths ? NULL : MISC_DEV, MEMINFO_DEV,
                 MMZ_FILE, err, sizeof err) != 0)
    GCMON_TEST_FAIL("%s: open: %s", g->name, err);
  return src;
}

static gcmon_sample read_sample(gcmon_source *src) {
  gcmon_sample s;

  memset(&s, 0xa5, sizeof s);
  if (src->ops->read(src, 5, &s) != 0)
    GCMON_TEST_FAIL("read: %s", src->error);
  return s;
}

TEST(every_generation_reports_current_use_and_the_kernel_peak) {
  for (size_t i = 0; i < sizeof generations / sizeof generations[0]; i++) {
    const generation *g = &generations[i];
    board b;
    gcmon_source *src = open_generation(&b, g);
    gcmon_sample s = read_sample(src);
    /* What gc.sys_heap() itself returns there: the kernel's used. */
    uint64_t gc_sys_heap[3] = {HEAP_TOTAL, b.heap[2], HEAP_FREE};

    if (strcmp(src->device_id, g->device_id) != 0)
      GCMON_TEST_FAIL("%s: device %s", g->name, src->device_id);
    ASSERT_EQ_U64(gc_sys_heap[0], s.sys_heap.total);
    ASSERT_EQ_U64(gc_sys_heap[2], s.sys_heap.free);
    ASSERT_EQ_U64(HEAP_NOW, s.sys_heap.used); /* total - free, always */
    ASSERT_EQ_U64(g->used_is_peak ? HEAP_PEAK : 0, s.sys_heap.peak_used);
    if (g->used_is_peak && gc_sys_heap[1] == s.sys_heap.used)
      GCMON_TEST_FAIL("%s: the fixture does not tell peak from use", g->name);
    ASSERT_EQ_U64(214 * MIB, s.sys_page.total);
    ASSERT_EQ_U64(64 * MIB, s.sys_page.used);
    ASSERT_EQ_U64(0, s.sys_page.peak_used);
    ASSERT_EQ_U64(g->sys_total, s.sys_total);
    gcmon_source_close(src);
  }
}

TEST(peak_firmware_keeps_reporting_the_peak_once_use_returns_to_it) {
  board b;
  gcmon_source *src = open_generation(&b, &generations[3]);
  gcmon_sample s = read_sample(src);

  ASSERT_EQ_U64(HEAP_PEAK, s.sys_heap.peak_used);
  /* Use climbs back to the peak and past it: used + free == total now,
   * which on this kernel still means "the peak is the current use". */
  b.heap[1] = HEAP_TOTAL - 16 * MIB;
  b.heap[2] = 16 * MIB;
  s = read_sample(src);
  ASSERT_EQ_U64(16 * MIB, s.sys_heap.used);
  ASSERT_EQ_U64(16 * MIB, s.sys_heap.peak_used);
  /* And falls: used is the current use, the peak stays. */
  b.heap[1] = HEAP_TOTAL - 4 * MIB;
  s = read_sample(src);
  ASSERT_EQ_U64(4 * MIB, s.sys_heap.used);
  ASSERT_EQ_U64(16 * MIB, s.sys_heap.peak_used);
  gcmon_source_close(src);
}

TEST(current_use_firmware_never_invents_a_peak) {
  board b;
  gcmon_source *src = open_generation(&b, &generations[4]);

  for (int i = 0; i < 10; i++) {
    b.heap[1] = HEAP_TOTAL - (uint64_t)(i + 1) * MIB;
    b.heap[2] = (uint64_t)(i + 1) * MIB;
    gcmon_sample s = read_sample(src);
    ASSERT_EQ_U64((uint64_t)(i + 1) * MIB, s.sys_heap.used);
    ASSERT_EQ_U64(0, s.sys_heap.peak_used);
  }
  gcmon_source_close(src);
}

/* At most one "misc_ioctl unknown cmd" on the console, at start, and only
 * on the Sep 2024 - May 2025 boards; none after start on any board. */
TEST(probes_print_at_most_one_unknown_cmd_line_at_start) {
  static const int at_start[] = {0, 1, 1, 0, 0};

  for (size_t i = 0; i < sizeof generations / sizeof generations[0]; i++) {
    board b;
    gcmon_source *src = open_generation(&b, &generations[i]);
    if (b.console_unknown_cmd != at_start[i])
      GCMON_TEST_FAIL("%s: %d unknown-cmd lines at start", generations[i].name,
                      b.console_unknown_cmd);
    for (int n = 0; n < 100; n++)
      (void)read_sample(src);
    if (b.console_unknown_cmd != at_start[i])
      GCMON_TEST_FAIL("%s: %d unknown-cmd lines after 100 reads",
                      generations[i].name, b.console_unknown_cmd);
    gcmon_source_close(src);
  }
}

TEST(no_misc_device_and_no_meminfo_fails_open_naming_both) {
  board b;
  gcmon_source *src = NULL;
  char err[256];

  board_init(&b, GCMON_K230_SCHEME_MEMINFO);
  ASSERT_EQ(GCMON_ENODEV, board_open(&src, &b, NULL, "/dev/no_meminfo_here",
                                     MMZ_FILE, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, GCMON_K230_MISC_DEV_PATH) != NULL);
  ASSERT_TRUE(strstr(err, "/dev/no_meminfo_here") != NULL);
  ASSERT_EQ(0, b.calls);
}

/* gcmond asks /proc/media-mem only with 230-byte reads, one per sample,
 * so it never makes the driver dump its table. */
TEST(media_mem_is_read_once_per_sample_with_exactly_230_bytes) {
  board b;
  gcmon_source *src = open_generation(&b, &generations[4]);

  b.mmz_line = "total:268435456,used:75497472,remain=192937984";
  for (int i = 0; i < 4; i++) {
    gcmon_sample s = read_sample(src);
    ASSERT_TRUE(s.has_sys_mmz);
    ASSERT_EQ_U64(268435456, s.sys_mmz.total);
    ASSERT_EQ_U64(75497472, s.sys_mmz.used);
    ASSERT_EQ_U64(192937984, s.sys_mmz.free);
  }
  ASSERT_EQ(4, b.mmz_nreads);
  for (int i = 0; i < 4; i++)
    ASSERT_EQ_U64(GCMON_K230_MEDIA_MEM_READ, b.mmz_reads[i]);
  ASSERT_EQ(0, b.console_mmz_dumps);
  gcmon_source_close(src);
}

/* When the kernel splits the read (memory short), the driver sees another
 * count and answers 0 bytes: that sample is a parse error, gcmond issues no
 * further read to "get the rest", and the next sample reads normally. */
TEST(a_split_media_mem_read_is_a_parse_error_never_a_second_read) {
  board b;
  gcmon_source *src = open_generation(&b, &generations[4]);
  gcmon_sample s;

  b.mmz_line = "total:268435456,used:75497472,remain=192937984";
  b.mmz_kernel_splits = true;
  ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 1, &s));
  ASSERT_TRUE(strstr(src->error, "media-mem") != NULL);
  ASSERT_EQ(1, b.mmz_nreads); /* one read, and of 230 bytes */
  ASSERT_EQ_U64(GCMON_K230_MEDIA_MEM_READ, b.mmz_reads[0]);
  ASSERT_EQ(1, b.console_mmz_dumps); /* the kernel's split, not ours */
  b.mmz_kernel_splits = false;
  s = read_sample(src);
  ASSERT_EQ_U64(75497472, s.sys_mmz.used);
  ASSERT_EQ(2, b.mmz_nreads);
  ASSERT_EQ(1, b.console_mmz_dumps);
  gcmon_source_close(src);
}

TEST(a_short_or_odd_media_mem_answer_is_a_parse_error) {
  static const char *const answers[] = {
      "total:268435456,used:7549",     /* cut short */
      "+---ZONE: PHYS(0x10000000, ...", /* the table's first line */
      "total:100,used:140,remain=0",   /* does not add up */
  };
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    board b;
    gcmon_source *src = open_generation(&b, &generations[4]);
    gcmon_sample s;

    b.mmz_line = answers[i];
    ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 1, &s));
    ASSERT_EQ(1, b.mmz_nreads);
    ASSERT_EQ(0, b.console_mmz_dumps);
    gcmon_source_close(src);
  }
}

#define GCMON_TESTS(X)                                                         \
  X(every_generation_reports_current_use_and_the_kernel_peak)                  \
  X(peak_firmware_keeps_reporting_the_peak_once_use_returns_to_it)             \
  X(current_use_firmware_never_invents_a_peak)                                 \
  X(probes_print_at_most_one_unknown_cmd_line_at_start)                        \
  X(no_misc_device_and_no_meminfo_fails_open_naming_both)                      \
  X(media_mem_is_read_once_per_sample_with_exactly_230_bytes)                  \
  X(a_split_media_mem_read_is_a_parse_error_never_a_second_read)               \
  X(a_short_or_odd_media_mem_answer_is_a_parse_error)
#include "gcmon_test_main.h"
