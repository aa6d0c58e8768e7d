/* The sim's scenarios (--scenario) and --speed as the agent sees them:
 * deterministic under a seed however often read, counters that add up,
 * the ground truth each encodes (docs/diagnose.md), an unknown name
 * refused at open, and --speed N reading at t what speed 1 reads at N t. */
#include "gcmon_test.h"
#include "source.h"

#include <stdlib.h>

#define MS  1000ull
#define S   (1000 * MS)
#define T0  (5 * S)
#define KIB 1024ll
#define MIB (1024 * KIB)

static const char *const scenarios[] = {
    "steady",        "gc-leak", "mmz-leak",    "page-leak",
    "fragmentation", "spikes",  "pause-heavy", NULL};

static gcmon_source *open_scenario(const char *name, uint64_t seed,
                                   uint32_t speed) {
  gcmon_source_config cfg = {0};
  gcmon_source *src = NULL;
  char err[128];

  cfg.seed = seed;
  cfg.scenario = name;
  cfg.speed = speed;
  ASSERT_EQ(0, gcmon_source_open(&src, &cfg, err, sizeof err));
  return src;
}

static gcmon_sample read_at(gcmon_source *src, uint64_t now) {
  gcmon_sample s;

  memset(&s, 0, sizeof s);
  ASSERT_EQ(0, src->ops->read(src, now, &s));
  return s;
}

static bool same(const gcmon_sample *a, const gcmon_sample *b) {
  return a->gc.mem_alloc == b->gc.mem_alloc &&
         a->gc.mem_free == b->gc.mem_free &&
         a->gc.largest_free == b->gc.largest_free &&
         a->gc.collections == b->gc.collections &&
         a->sys_heap.used == b->sys_heap.used &&
         a->sys_page.used == b->sys_page.used &&
         a->sys_mmz.used == b->sys_mmz.used;
}

TEST(unknown_scenario_fails_open_naming_it) {
  gcmon_source_config cfg = {0};
  gcmon_source *src = NULL;
  char err[128];

  cfg.scenario = "memory-leak";
  ASSERT_EQ(GCMON_EINVAL, gcmon_source_open(&src, &cfg, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, "memory-leak") != NULL);
}

TEST(each_scenario_is_deterministic_however_often_read) {
  for (int i = 0; scenarios[i]; i++) {
    gcmon_source *a = open_scenario(scenarios[i], 99, 1);
    gcmon_source *b = open_scenario(scenarios[i], 99, 1);
    for (uint64_t t = T0; t < T0 + 30 * S; t += 10 * MS) {
      gcmon_sample sb = read_at(b, t);
      if ((t - T0) % (250 * MS) == 0) {
        gcmon_sample sa = read_at(a, t);
        ASSERT_TRUE(same(&sa, &sb));
      }
    }
    gcmon_source_close(a);
    gcmon_source_close(b);
  }
}

TEST(each_scenario_keeps_the_counters_consistent) {
  for (int i = 0; scenarios[i]; i++) {
    gcmon_source *src = open_scenario(scenarios[i], 5, 1);
    for (uint64_t t = T0; t < T0 + 60 * S; t += 50 * MS) {
      gcmon_sample s = read_at(src, t);
      ASSERT_EQ(4 * MIB, s.gc.mem_alloc + s.gc.mem_free);
      ASSERT_TRUE(s.gc.largest_free <= s.gc.mem_free);
      ASSERT_TRUE(s.sys_heap.used + s.sys_heap.free == s.sys_heap.total);
      ASSERT_TRUE(s.sys_page.used + s.sys_page.free == s.sys_page.total);
      ASSERT_TRUE(s.sys_mmz.used + s.sys_mmz.free == s.sys_mmz.total);
      ASSERT_TRUE(s.sys_mmz.used <= s.sys_mmz.total);
    }
    gcmon_source_close(src);
  }
}

TEST(mmz_leak_is_4_kib_per_100_ms_iteration) {
  gcmon_source *src = open_scenario("mmz-leak", 3, 1);
  gcmon_sample a = read_at(src, T0), b = read_at(src, T0 + 10 * S);

  ASSERT_EQ(100 * 4 * KIB, (long long)(b.sys_mmz.used - a.sys_mmz.used));
  gcmon_source_close(src);
}

TEST(pause_heavy_collects_20_times_a_second) {
  gcmon_source *src = open_scenario("pause-heavy", 3, 1);
  gcmon_sample a = read_at(src, T0), b = read_at(src, T0 + 10 * S);
  uint64_t n = b.gc.collections - a.gc.collections;

  ASSERT_TRUE(n >= 200 && n <= 210);
  ASSERT_TRUE(a.gc.mem_alloc > 2 * MIB); /* the big live set */
  gcmon_source_close(src);
}

TEST(steady_moves_nothing_but_noise) {
  gcmon_source *src = open_scenario("steady", 3, 1);
  gcmon_sample a = read_at(src, T0), b;

  for (uint64_t t = T0; t < T0 + 120 * S; t += 500 * MS) {
    b = read_at(src, t);
    ASSERT_EQ_U64(a.sys_mmz.used, b.sys_mmz.used);
    ASSERT_TRUE(llabs((long long)(b.sys_page.used - a.sys_page.used)) <
                2 * MIB);
  }
  gcmon_source_close(src);
}

/* --speed N: the workload at real time t is speed 1's at N t. */
TEST(speed_compresses_the_workload_clock) {
  const char *names[] = {"gc-leak", NULL}; /* a scenario and the default */

  for (int i = 0; i < 2; i++) {
    gcmon_source *fast = open_scenario(names[i], 8, 4);
    gcmon_source *slow = open_scenario(names[i], 8, 1);
    read_at(fast, T0);
    read_at(slow, T0);
    for (uint64_t k = 1; k <= 40; k++) {
      gcmon_sample f = read_at(fast, T0 + k * 250 * MS);
      gcmon_sample s = read_at(slow, T0 + k * 1000 * MS);
      ASSERT_TRUE(same(&f, &s));
      ASSERT_EQ_U64(T0 + k * 250 * MS, f.uptime_us); /* the agent's clock */
    }
    gcmon_source_close(fast);
    gcmon_source_close(slow);
  }
}

#define GCMON_TESTS(X)                                                         \
  X(unknown_scenario_fails_open_naming_it)                                     \
  X(each_scenario_is_deterministic_however_often_read)                         \
  X(each_scenario_keeps_the_counters_consistent)                               \
  X(mmz_leak_is_4_kib_per_100_ms_iteration)                                    \
  X(pause_heavy_collects_20_times_a_second)                                    \
  X(steady_moves_nothing_but_noise)                                            \
  X(speed_compresses_the_workload_clock)
#include "gcmon_test_main.h"
