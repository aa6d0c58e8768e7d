/* The `sim` source as the agent sees it: deterministic under a seed however
 * often it is read, a MicroPython-like 4 MiB heap whose counters always add
 * up, gc controls that behave like gc.enable/disable/threshold/collect, and
 * system counters that step with the simulated camera pipeline. */
#include "gcmon_test.h"
#include "source.h"
#include "test_rand.h"

#include <stdlib.h>

#define MS   1000ull
#define S    (1000 * MS)
#define MIB  (1ll << 20)
#define HEAP (4 * MIB)
#define T0   (123 * S) /* the agent's clock when the daemon starts */

static gcmon_source *open_sim(uint64_t seed) {
  gcmon_source_config cfg = {0};
  gcmon_source *src = NULL;
  char err[128];

  cfg.name = "sim";
  cfg.seed = seed;
  ASSERT_EQ(0, gcmon_source_open(&src, &cfg, err, sizeof err));
  ASSERT_TRUE(src != NULL);
  return src;
}

static gcmon_sample read_at(gcmon_source *src, uint64_t now) {
  gcmon_sample s;

  memset(&s, 0, sizeof s);
  ASSERT_EQ(0, src->ops->read(src, now, &s));
  ASSERT_EQ_U64(now, s.uptime_us);
  return s;
}

static void assert_mem_eq(const gcmon_mem_info *a, const gcmon_mem_info *b) {
  ASSERT_EQ_U64(a->total, b->total);
  ASSERT_EQ_U64(a->used, b->used);
  ASSERT_EQ_U64(a->free, b->free);
}

static void assert_same(const gcmon_sample *a, const gcmon_sample *b) {
  ASSERT_EQ(a->gc.mem_alloc, b->gc.mem_alloc);
  ASSERT_EQ(a->gc.mem_free, b->gc.mem_free);
  ASSERT_EQ(a->gc.largest_free, b->gc.largest_free);
  ASSERT_EQ(a->gc.threshold, b->gc.threshold);
  ASSERT_EQ(a->gc.enabled, b->gc.enabled);
  ASSERT_EQ_U64(a->gc.collections, b->gc.collections);
  ASSERT_EQ_U64(a->sys_total, b->sys_total);
  assert_mem_eq(&a->sys_heap, &b->sys_heap);
  assert_mem_eq(&a->sys_page, &b->sys_page);
  assert_mem_eq(&a->sys_mmz, &b->sys_mmz);
}

static bool same_reading(const gcmon_sample *a, const gcmon_sample *b) {
  return a->gc.mem_alloc == b->gc.mem_alloc &&
         a->gc.largest_free == b->gc.largest_free &&
         a->gc.collections == b->gc.collections &&
         a->sys_heap.used == b->sys_heap.used &&
         a->sys_page.used == b->sys_page.used &&
         a->sys_mmz.used == b->sys_mmz.used;
}

TEST(sim_is_the_default_source_and_is_named_after_its_seed) {
  gcmon_source_config cfg = {0};
  gcmon_source *src = NULL;
  char err[128];

  cfg.seed = 42;
  ASSERT_EQ(0, gcmon_source_open(&src, &cfg, err, sizeof err));
  ASSERT_STREQ("sim", src->ops->name);
  ASSERT_STREQ("k230-sim-42", src->device_id);
  ASSERT_TRUE(src->ops->collect && src->ops->set_threshold &&
              src->ops->set_enabled);
  gcmon_source_close(src);

  ASSERT_EQ(0, gcmon_source_open(&src, NULL, err, sizeof err));
  ASSERT_STREQ("k230-sim-0", src->device_id);
  gcmon_source_close(src);
  gcmon_source_close(NULL);
}

TEST(source_names_list_every_compiled_source) {
  const char *const *names = gcmon_source_names();

  ASSERT_STREQ("sim", names[0]);
  ASSERT_STREQ("linux", names[1]);
  ASSERT_STREQ("k230", names[2]);
  ASSERT_TRUE(names[3] == NULL);
}

TEST(unknown_source_name_fails_open_naming_it) {
  gcmon_source_config cfg = {0};
  gcmon_source *src = (gcmon_source *)&cfg; /* must be reset to NULL */
  char err[128];

  cfg.name = "esp32";
  ASSERT_EQ(GCMON_EINVAL, gcmon_source_open(&src, &cfg, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, "esp32") != NULL);
}

TEST(same_seed_same_instants_give_identical_readings_however_often_read) {
  gcmon_source *every_10ms = open_sim(7), *every_s = open_sim(7);
  gcmon_source *jittery = open_sim(7);
  test_rand r;
  uint64_t t_jit = T0;

  test_rand_seed(&r, 99);
  for (uint64_t t = T0; t <= T0 + 180 * S; t += 10 * MS) {
    gcmon_sample a = read_at(every_10ms, t);
    if ((t - T0) % S == 0) {
      gcmon_sample b = read_at(every_s, t), c;
      while (t_jit + 37 * MS < t) {
        t_jit += test_rand_range(&r, 1, 37) * MS;
        read_at(jittery, t_jit);
      }
      t_jit = t;
      c = read_at(jittery, t);
      assert_same(&a, &b);
      assert_same(&a, &c);
    }
  }
  gcmon_source_close(every_10ms);
  gcmon_source_close(every_s);
  gcmon_source_close(jittery);
}

TEST(different_seeds_give_different_readings) {
  gcmon_source *a = open_sim(1), *b = open_sim(2);
  int differing = 0;

  ASSERT_TRUE(strcmp(a->device_id, b->device_id) != 0);
  for (uint64_t t = T0; t <= T0 + 60 * S; t += S) {
    gcmon_sample sa = read_at(a, t), sb = read_at(b, t);
    differing += !same_reading(&sa, &sb);
  }
  ASSERT_TRUE(differing > 30);
  gcmon_source_close(a);
  gcmon_source_close(b);
}

TEST(heap_and_system_counters_add_up_over_a_long_run) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    gcmon_source *src = open_sim(seed);
    gcmon_sample prev = read_at(src, T0);
    int fragmented = 0, recovered = 0;

    for (uint64_t t = T0 + 100 * MS; t <= T0 + 30 * 60 * S; t += 100 * MS) {
      gcmon_sample s = read_at(src, t);
      if ((t - T0) % (300 * S) == 0) {
        int64_t freed;
        uint64_t us;
        ASSERT_EQ(0, src->ops->collect(src, t, &freed, &us));
        s = read_at(src, t);
      }
      ASSERT_TRUE(s.has_gc && s.has_sys_heap && s.has_sys_page &&
                  s.has_sys_mmz);
      ASSERT_EQ(HEAP, s.gc.mem_alloc + s.gc.mem_free);
      ASSERT_EQ(0, s.gc.mem_alloc % 32);
      ASSERT_TRUE(s.gc.mem_alloc > 0 && s.gc.mem_free >= 0);
      ASSERT_TRUE(s.gc.largest_free >= 0);
      ASSERT_TRUE(s.gc.largest_free <= s.gc.mem_free);
      ASSERT_EQ(-1, s.gc.threshold);
      ASSERT_TRUE(s.gc.enabled);
      ASSERT_TRUE(s.gc.collections >= prev.gc.collections);
      ASSERT_EQ_U64(512 * MIB, s.sys_total);
      ASSERT_EQ_U64(s.sys_heap.total, s.sys_heap.used + s.sys_heap.free);
      ASSERT_EQ_U64(s.sys_page.total, s.sys_page.used + s.sys_page.free);
      ASSERT_EQ_U64(s.sys_mmz.total, s.sys_mmz.used + s.sys_mmz.free);
      ASSERT_EQ_U64(256 * MIB, s.sys_mmz.total);
      ASSERT_TRUE(s.sys_heap.total + s.sys_page.total + s.sys_mmz.total <=
                  s.sys_total);
      fragmented += s.gc.largest_free < s.gc.mem_free;
      recovered += s.gc.collections > prev.gc.collections &&
                   s.gc.largest_free > prev.gc.largest_free;
      prev = s;
    }
    ASSERT_TRUE(fragmented > 1000);
    ASSERT_TRUE(recovered > 10);
    gcmon_source_close(src);
  }
}

TEST(threshold_is_kept_in_whole_32_byte_blocks) {
  static const struct {
    int64_t set, reads;
  } cases[] = {{1000, 992}, {-5, -1}, {0, 0},         {31, 0},
               {32, 32},    {-1, -1}, {65536, 65536}, {1000001, 1000000}};
  gcmon_source *src = open_sim(3);

  ASSERT_EQ(-1, read_at(src, T0).gc.threshold);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ASSERT_EQ(0, src->ops->set_threshold(src, cases[i].set));
    ASSERT_EQ(cases[i].reads, read_at(src, T0 + i * MS).gc.threshold);
  }
  gcmon_source_close(src);
}

TEST(disabled_gc_never_collects_and_the_heap_fills_up) {
  gcmon_source *src = open_sim(11);
  gcmon_sample s, prev;

  ASSERT_EQ(0, src->ops->set_enabled(src, false));
  prev = read_at(src, T0);
  ASSERT_TRUE(!prev.gc.enabled);
  for (uint64_t t = T0; t <= T0 + 60 * S; t += 100 * MS) {
    s = read_at(src, t);
    ASSERT_EQ_U64(prev.gc.collections, s.gc.collections);
    ASSERT_TRUE(s.gc.mem_alloc >= prev.gc.mem_alloc);
    prev = s;
  }
  ASSERT_EQ_U64(0, s.gc.collections);
  ASSERT_EQ(HEAP, s.gc.mem_alloc);
  ASSERT_EQ(0, s.gc.largest_free);

  /* gc.enable(), answered at once with a reading as the agent does: the
   * next allocation that finds no room collects. */
  ASSERT_EQ(0, src->ops->set_enabled(src, true));
  ASSERT_TRUE(read_at(src, T0 + 60 * S).gc.enabled);
  s = read_at(src, T0 + 61 * S);
  ASSERT_TRUE(s.gc.enabled);
  ASSERT_TRUE(s.gc.collections > 0);
  ASSERT_TRUE(s.gc.mem_free > MIB);
  gcmon_source_close(src);
}

TEST(enabled_gc_collects_on_its_own_when_the_heap_runs_out) {
  for (uint64_t seed = 1; seed <= 5; seed++) {
    gcmon_source *src = open_sim(seed);
    gcmon_sample first = read_at(src, T0), last = first;

    for (uint64_t t = T0; t <= T0 + 60 * S; t += S)
      last = read_at(src, t);
    ASSERT_TRUE(last.gc.collections >= first.gc.collections + 3);
    gcmon_source_close(src);
  }
}

static uint64_t collections_after(uint64_t seed, int64_t threshold,
                                  bool enabled, uint64_t seconds) {
  gcmon_source *src = open_sim(seed);
  uint64_t n;

  ASSERT_EQ(0, src->ops->set_threshold(src, threshold));
  ASSERT_EQ(0, src->ops->set_enabled(src, enabled));
  read_at(src, T0);
  n = read_at(src, T0 + seconds * S).gc.collections;
  gcmon_source_close(src);
  return n;
}

TEST(threshold_triggers_collections_only_while_enabled) {
  uint64_t none = collections_after(5, -1, true, 60);
  uint64_t small = collections_after(5, 64 * 1024, true, 60);
  uint64_t disabled = collections_after(5, 64 * 1024, false, 60);

  ASSERT_TRUE(none > 0);
  ASSERT_TRUE(small > 5 * none);
  ASSERT_EQ_U64(0, disabled);
}

TEST(collect_frees_the_garbage_and_says_how_long_it_took) {
  gcmon_source *src = open_sim(21);
  uint64_t t = T0 + 30 * S, us = 0;
  gcmon_sample before, after;
  int64_t freed = -1;

  read_at(src, T0);
  before = read_at(src, t);
  ASSERT_EQ(0, src->ops->collect(src, t, &freed, &us));
  after = read_at(src, t);
  ASSERT_TRUE(freed > 0);
  ASSERT_EQ(before.gc.mem_alloc - after.gc.mem_alloc, freed);
  ASSERT_EQ(HEAP, after.gc.mem_alloc + after.gc.mem_free);
  ASSERT_EQ_U64(before.gc.collections + 1, after.gc.collections);
  ASSERT_TRUE(after.gc.largest_free > before.gc.largest_free);
  /* ~1-3 ms for a 4 MiB heap on the C908 */
  ASSERT_TRUE(us >= 300 && us <= 4000);

  /* Nothing became garbage since: a second collection frees nothing. */
  ASSERT_EQ(0, src->ops->collect(src, t, &freed, &us));
  ASSERT_EQ(0, freed);
  ASSERT_TRUE(us > 0);
  ASSERT_EQ_U64(before.gc.collections + 2, read_at(src, t).gc.collections);
  gcmon_source_close(src);
}

TEST(collect_works_while_automatic_collection_is_disabled) {
  gcmon_source *src = open_sim(4);
  int64_t freed;
  uint64_t us;

  ASSERT_EQ(0, src->ops->set_enabled(src, false));
  read_at(src, T0);
  ASSERT_EQ(HEAP, read_at(src, T0 + 60 * S).gc.mem_alloc);
  ASSERT_EQ(0, src->ops->collect(src, T0 + 60 * S, &freed, &us));
  ASSERT_TRUE(freed > MIB);
  ASSERT_EQ(HEAP - freed, read_at(src, T0 + 60 * S).gc.mem_alloc);
  ASSERT_TRUE(!read_at(src, T0 + 60 * S).gc.enabled);
  gcmon_source_close(src);
}

TEST(mmz_steps_when_the_pipeline_starts_and_stops) {
  gcmon_source *src = open_sim(8);
  gcmon_sample prev = read_at(src, T0);
  uint64_t idle_mmz = prev.sys_mmz.used, page_min = prev.sys_page.used;
  uint64_t page_max = page_min, heap_min = prev.sys_heap.used;
  uint64_t heap_max = heap_min;
  int ups = 0, downs = 0;

  for (uint64_t t = T0 + 10 * MS; t <= T0 + 10 * 60 * S; t += 10 * MS) {
    gcmon_sample s = read_at(src, t);
    if (s.sys_mmz.used >= prev.sys_mmz.used + 8 * MIB)
      ups++;
    if (s.sys_mmz.used + 16 * MIB <= prev.sys_mmz.used) {
      downs++;
      ASSERT_EQ_U64(idle_mmz, s.sys_mmz.used); /* all of it released */
    }
    page_min = s.sys_page.used < page_min ? s.sys_page.used : page_min;
    page_max = s.sys_page.used > page_max ? s.sys_page.used : page_max;
    heap_min = s.sys_heap.used < heap_min ? s.sys_heap.used : heap_min;
    heap_max = s.sys_heap.used > heap_max ? s.sys_heap.used : heap_max;
    prev = s;
  }
  ASSERT_TRUE(ups >= 2);
  ASSERT_TRUE(downs >= 2);
  ASSERT_TRUE(page_max >= page_min + 8 * MIB);
  ASSERT_TRUE(heap_max >= heap_min + 2 * MIB);
  gcmon_source_close(src);
}

#define GCMON_TESTS(X)                                                         \
  X(sim_is_the_default_source_and_is_named_after_its_seed)                     \
  X(source_names_list_every_compiled_source)                                   \
  X(unknown_source_name_fails_open_naming_it)                                  \
  X(same_seed_same_instants_give_identical_readings_however_often_read)        \
  X(different_seeds_give_different_readings)                                   \
  X(heap_and_system_counters_add_up_over_a_long_run)                           \
  X(threshold_is_kept_in_whole_32_byte_blocks)                                 \
  X(disabled_gc_never_collects_and_the_heap_fills_up)                          \
  X(enabled_gc_collects_on_its_own_when_the_heap_runs_out)                     \
  X(threshold_triggers_collections_only_while_enabled)                         \
  X(collect_frees_the_garbage_and_says_how_long_it_took)                       \
  X(collect_works_while_automatic_collection_is_disabled)                      \
  X(mmz_steps_when_the_pipeline_starts_and_stops)
#include "gcmon_test_main.h"
