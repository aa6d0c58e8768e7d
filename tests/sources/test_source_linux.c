/* The `linux` source: /proc/meminfo figures in bytes, CMA as the MMZ
 * stand-in, no gc heap, and a parse error (never invented numbers) for a
 * file that lacks or garbles what it needs. Driven by fixture files. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon_test.h"
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define KB            1024ull
#define FIXTURE(name) GCMON_FIXTURES "/" name

static int open_linux(gcmon_source **src, const char *path, char *err,
                      size_t errlen) {
  gcmon_source_config cfg = {0};

  cfg.name = "linux";
  cfg.meminfo_path = path;
  return gcmon_source_open(src, &cfg, err, errlen);
}

static gcmon_source *must_open(const char *path) {
  gcmon_source *src = NULL;
  char err[128];

  ASSERT_EQ(0, open_linux(&src, path, err, sizeof err));
  return src;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");

  ASSERT_TRUE(f != NULL);
  ASSERT_TRUE(fputs(text, f) >= 0);
  ASSERT_EQ(0, fclose(f));
}

TEST(meminfo_gives_total_and_page_figures_in_bytes) {
  gcmon_source *src = must_open(FIXTURE("meminfo_plain.txt"));
  gcmon_sample s;

  memset(&s, 0xa5, sizeof s);
  ASSERT_EQ(0, src->ops->read(src, 777, &s));
  ASSERT_EQ_U64(777, s.uptime_us);
  ASSERT_EQ_U64(8041960 * KB, s.sys_total);
  ASSERT_TRUE(s.has_sys_page);
  ASSERT_EQ_U64(8041960 * KB, s.sys_page.total);
  ASSERT_EQ_U64((8041960 - 5033488) * KB, s.sys_page.used);
  ASSERT_EQ_U64(5033488 * KB, s.sys_page.free);
  ASSERT_TRUE(!s.has_gc);
  ASSERT_TRUE(!s.has_sys_heap);
  ASSERT_TRUE(!s.has_sys_mmz);
  gcmon_source_close(src);
}

TEST(linux_has_no_gc_controls) {
  gcmon_source *src = must_open(FIXTURE("meminfo_plain.txt"));

  ASSERT_STREQ("linux", src->ops->name);
  ASSERT_TRUE(src->ops->collect == NULL);
  ASSERT_TRUE(src->ops->set_threshold == NULL);
  ASSERT_TRUE(src->ops->set_enabled == NULL);
  gcmon_source_close(src);
}

TEST(device_id_is_the_hostname_truncated) {
  gcmon_source *src = must_open(FIXTURE("meminfo_plain.txt"));
  char host[256] = "";

  ASSERT_TRUE(strlen(src->device_id) > 0);
  ASSERT_TRUE(strlen(src->device_id) <= GCMON_DEVICE_ID_MAX);
  if (gethostname(host, sizeof host) == 0 && host[0] != '\0')
    ASSERT_EQ(0, strncmp(host, src->device_id, strlen(src->device_id)));
  gcmon_source_close(src);
}

TEST(cma_lines_give_the_mmz_figures) {
  gcmon_source *src = must_open(FIXTURE("meminfo_cma.txt"));
  gcmon_sample s;

  ASSERT_EQ(0, src->ops->read(src, 1, &s));
  ASSERT_TRUE(s.has_sys_mmz);
  ASSERT_EQ_U64(262144 * KB, s.sys_mmz.total);
  ASSERT_EQ_U64((262144 - 82800) * KB, s.sys_mmz.used);
  ASSERT_EQ_U64(82800 * KB, s.sys_mmz.free);
  ASSERT_EQ_U64(426068 * KB, s.sys_total);
  gcmon_source_close(src);
}

static void assert_parse_error(const char *path, const char *mentions) {
  gcmon_source *src = must_open(path);
  gcmon_sample s;

  ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 1, &s));
  /* The reason first; the path follows as far as the line has room. */
  ASSERT_EQ(0, strncmp(src->error, "linux: ", 7));
  ASSERT_TRUE(strstr(src->error, mentions) != NULL);
  gcmon_source_close(src);
}

TEST(missing_memavailable_is_a_parse_error_not_numbers) {
  assert_parse_error(FIXTURE("meminfo_no_available.txt"), "MemAvailable");
}

TEST(garbage_number_is_a_parse_error) {
  assert_parse_error(FIXTURE("meminfo_garbage.txt"), "MemTotal");
}

TEST(cma_total_without_cma_free_is_a_parse_error) {
  assert_parse_error(FIXTURE("meminfo_cma_half.txt"), "Cma");
}

TEST(missing_file_fails_open_naming_the_path) {
  gcmon_source *src = (gcmon_source *)1;
  char err[128];

  ASSERT_EQ(GCMON_ENODEV,
            open_linux(&src, FIXTURE("no_such_meminfo"), err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, FIXTURE("no_such_meminfo")) != NULL);
}

TEST(every_read_rereads_the_file) {
  char path[] = "/tmp/gcmon-meminfo-XXXXXX";
  int fd = mkstemp(path);
  gcmon_source *src;
  gcmon_sample s;

  ASSERT_TRUE(fd >= 0);
  close(fd);
  write_file(path, "MemTotal: 1000 kB\nMemAvailable: 600 kB\n");
  src = must_open(path);
  ASSERT_EQ(0, src->ops->read(src, 1, &s));
  ASSERT_EQ_U64(400 * KB, s.sys_page.used);

  write_file(path, "MemTotal: 1000 kB\nMemAvailable: 100 kB\n");
  ASSERT_EQ(0, src->ops->read(src, 2, &s));
  ASSERT_EQ_U64(900 * KB, s.sys_page.used);

  write_file(path, "MemTotal: 1000 kB\nMemAvailable: 2000 kB\n");
  ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 3, &s));

  write_file(path, "MemTotal: 1000 kB\nMemAvailable: 999 kB\n");
  ASSERT_EQ(0, src->ops->read(src, 4, &s));
  ASSERT_EQ_U64(1 * KB, s.sys_page.used);
  gcmon_source_close(src);
  unlink(path);
}

TEST(this_machines_proc_meminfo_reads_when_present) {
  gcmon_source *src = NULL;
  gcmon_sample s;
  char err[128];

  if (open_linux(&src, NULL, err, sizeof err) != 0)
    return; /* no /proc here */
  ASSERT_EQ(0, src->ops->read(src, 1, &s));
  ASSERT_TRUE(s.sys_total > 0);
  ASSERT_EQ_U64(s.sys_page.total, s.sys_page.used + s.sys_page.free);
  gcmon_source_close(src);
}

#define GCMON_TESTS(X)                                                         \
  X(meminfo_gives_total_and_page_figures_in_bytes)                             \
  X(linux_has_no_gc_controls)                                                  \
  X(device_id_is_the_hostname_truncated)                                       \
  X(cma_lines_give_the_mmz_figures)                                            \
  X(missing_memavailable_is_a_parse_error_not_numbers)                         \
  X(garbage_number_is_a_parse_error)                                           \
  X(cma_total_without_cma_free_is_a_parse_error)                               \
  X(missing_file_fails_open_naming_the_path)                                   \
  X(every_read_rereads_the_file)                                               \
  X(this_machines_proc_meminfo_reads_when_present)
#include "gcmon_test_main.h"
