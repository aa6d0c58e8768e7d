/* The `micropython` source and the T1 -> T2 mailbox against a pretend VM
 * (fake_vm.h): readings equal the heap at that moment, series readings cap
 * their scans, control round trips, collection counting, timeouts that
 * cannot act later, shutdown, and no allocation per request. T2 is a plain
 * thread here; everything else is the module's own code. */
#define _POSIX_C_SOURCE 200809L
#include "fake_vm.h"
#include "alloc_count.h"
#include "gcmon_test.h"
#include "source_micropython.h"

#include <stdlib.h>
#include <time.h>

#define MS 1000u /* now_us per millisecond */

typedef struct rig {
  fake_vm f;
  gcmon_mp_mailbox mb;
  fake_worker w;
  gcmon_source *src;
  gcmon_source *sys;
} rig;

static void rig_open(rig *r, unsigned scan_ms, unsigned timeout_ms,
                     bool with_sys) {
  gcmon_mp_source_config cfg = {0};
  char err[128];

  fake_vm_init(&r->f, 2u << 20);
  ASSERT_EQ(0, gcmon_mp_mailbox_init(&r->mb));
  fake_worker_start(&r->w, &r->mb, &r->f);
  r->sys = NULL;
  if (with_sys) {
    gcmon_source_config sim = {.name = "sim", .seed = 7};
    ASSERT_EQ(0, gcmon_source_open(&r->sys, &sim, err, sizeof err));
  }
  cfg.mailbox = &r->mb;
  cfg.scan_ms = scan_ms;
  cfg.call_timeout_ms = timeout_ms;
  cfg.sys = r->sys;
  cfg.device_id = "micropython/test";
  ASSERT_EQ(0, gcmon_mp_source_open(&r->src, &cfg, err, sizeof err));
}

static void rig_close(rig *r) {
  gcmon_mp_mailbox_close(&r->mb);
  fake_worker_join(&r->w);
  gcmon_source_close(r->src);
  gcmon_source_close(r->sys);
  gcmon_mp_mailbox_destroy(&r->mb);
  fake_vm_destroy(&r->f);
}

/* A reading as the agent takes it: seq 0 on demand, else a series one. */
static int read_at(rig *r, uint64_t seq, uint64_t now_us, gcmon_sample *s) {
  memset(s, 0, sizeof *s);
  s->seq = seq;
  return r->src->ops->read(r->src, now_us, s);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

TEST(an_on_demand_reading_equals_the_heap_at_that_moment) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  fake_vm_alloc(&r.f, 1000, false);
  fake_vm_alloc(&r.f, 5000, true);
  ASSERT_EQ(0, read_at(&r, 0, 5 * MS, &s));
  ASSERT_TRUE(s.has_gc);
  ASSERT_EQ(fake_vm_mem_alloc(&r.f), s.gc.mem_alloc);
  ASSERT_EQ(1008 + 5008, s.gc.mem_alloc);
  ASSERT_EQ((2 << 20) - 6016, s.gc.mem_free);
  ASSERT_EQ((2 << 20) - 6016, s.gc.largest_free);
  ASSERT_EQ(-1, s.gc.threshold);
  ASSERT_TRUE(s.gc.enabled);
  ASSERT_EQ_U64(5 * MS, s.uptime_us);
  /* An immediate second on-demand reading scans again. */
  fake_vm_alloc(&r.f, 16, false);
  ASSERT_EQ(0, read_at(&r, 0, 6 * MS, &s));
  ASSERT_EQ(6032, s.gc.mem_alloc);
  ASSERT_EQ(2, fake_vm_snapshot(&r.f).scans);
  ASSERT_EQ(0, s.has_sys_heap);
  ASSERT_EQ_U64(0, s.sys_total);
  rig_close(&r);
}

/* CanMV builds with MICROPY_GC_SPLIT_HEAP_AUTO: gc.mem_free() counts the
 * room the heap can still grow. The module must report the same number to
 * the byte, before, while and after the heap adds areas. */
TEST(split_heap_auto_readings_equal_gc_mem_free_while_the_heap_grows) {
  rig r;
  gcmon_sample s;
  uint64_t first_total;

  rig_open(&r, 1000, 2000, false);
  fake_vm_split_heap_auto(&r.f, 1u << 20, 8u << 20); /* 2 MiB, up to 8 */
  first_total = fake_vm_heap_total(&r.f);
  for (int i = 0; i < 24; i++) {
    fake_vm_alloc(&r.f, 256u << 10, i % 3 == 0); /* 6 MiB in all */
    ASSERT_EQ(0, read_at(&r, 0, (uint64_t)(i + 1) * MS, &s));
    ASSERT_EQ(fake_vm_mem_alloc(&r.f), s.gc.mem_alloc);
    ASSERT_EQ(fake_vm_mem_free(&r.f), s.gc.mem_free);
  }
  ASSERT_TRUE(fake_vm_heap_total(&r.f) > first_total); /* areas were added */
  ASSERT_EQ((8 << 20) - (6 << 20), s.gc.mem_free);
  rig_close(&r);
}

TEST(series_readings_scan_at_most_once_per_scan_ms_and_repeat_the_last_scan) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  for (unsigned i = 0; i < 30; i++) { /* 10 Hz for 3 s */
    fake_vm_alloc(&r.f, 160, false);
    ASSERT_EQ(0, read_at(&r, i + 1, (uint64_t)i * 100 * MS, &s));
    /* Heap figures are those of the scan at the last whole second. */
    ASSERT_EQ((i / 10 * 10 + 1) * 160, s.gc.mem_alloc);
  }
  ASSERT_EQ(3, fake_vm_snapshot(&r.f).scans);
  ASSERT_EQ(30, fake_vm_snapshot(&r.f).reads);
  rig_close(&r);
}

TEST(scan_ms_zero_scans_for_every_series_reading) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 0, 2000, false);
  for (unsigned i = 0; i < 10; i++) {
    fake_vm_alloc(&r.f, 32, false);
    ASSERT_EQ(0, read_at(&r, i + 1, (uint64_t)i * 10 * MS, &s));
    ASSERT_EQ((i + 1) * 32, s.gc.mem_alloc);
  }
  ASSERT_EQ(10, fake_vm_snapshot(&r.f).scans);
  rig_close(&r);
}

TEST(collect_frees_the_garbage_reports_it_and_counts_one_collection) {
  rig r;
  gcmon_sample s;
  int64_t freed = -1;
  uint64_t took = 99;

  rig_open(&r, 1000, 2000, false);
  fake_vm_alloc(&r.f, 1000, false);
  fake_vm_alloc(&r.f, 4096, true);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(0, r.src->ops->collect(r.src, 1 * MS, &freed, &took));
  ASSERT_EQ(4096, freed);
  ASSERT_TRUE(took < 1000000);
  ASSERT_EQ(0, read_at(&r, 0, 2 * MS, &s));
  ASSERT_EQ(1008, s.gc.mem_alloc);
  ASSERT_EQ_U64(1, s.gc.collections);
  ASSERT_EQ(1, fake_vm_snapshot(&r.f).collects);
  rig_close(&r);
}

TEST(threshold_is_set_and_read_back_in_bytes_and_off_is_minus_one) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  ASSERT_EQ(0, r.src->ops->set_threshold(r.src, 65536));
  ASSERT_EQ_U64(4096, fake_vm_snapshot(&r.f).threshold_blocks);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(65536, s.gc.threshold);
  /* Whole blocks, as gc.threshold() stores them. */
  ASSERT_EQ(0, r.src->ops->set_threshold(r.src, 100));
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(96, s.gc.threshold);
  ASSERT_EQ(0, r.src->ops->set_threshold(r.src, -1));
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(-1, s.gc.threshold);
  rig_close(&r);
}

TEST(disable_and_enable_are_seen_by_the_vm_and_read_back) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  ASSERT_EQ(0, r.src->ops->set_enabled(r.src, false));
  ASSERT_EQ(0, fake_vm_snapshot(&r.f).enabled);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(0, s.gc.enabled);
  ASSERT_EQ(0, r.src->ops->set_enabled(r.src, true));
  ASSERT_EQ(1, fake_vm_snapshot(&r.f).enabled);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_EQ(1, s.gc.enabled);
  rig_close(&r);
}

TEST(collections_the_program_does_are_counted_between_readings) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  fake_vm_alloc(&r.f, 800, true);
  ASSERT_EQ(0, read_at(&r, 1, 0, &s));
  ASSERT_EQ_U64(0, s.gc.collections);
  fake_vm_collect_by_program(&r.f);
  ASSERT_EQ(0, read_at(&r, 2, 100 * MS, &s)); /* cheap reading */
  ASSERT_EQ_U64(1, s.gc.collections);
  ASSERT_EQ(0, read_at(&r, 3, 200 * MS, &s));
  ASSERT_EQ_U64(1, s.gc.collections);
  rig_close(&r);
}

TEST(a_program_collect_and_a_remote_one_become_records_with_their_pause) {
  rig r;
  gcmon_sample s;
  gcmon_source_collection got[8];
  int64_t freed;
  uint64_t duration;
  uint64_t pause = FAKE_VM_PAUSE_US(2u << 20); /* ~1.1 ms for 2 MiB */

  rig_open(&r, 1000, 2000, false);
  ASSERT_EQ(0, read_at(&r, 1, 1000 * MS, &s));
  fake_vm_alloc(&r.f, 64 * 1024, true);
  fake_vm_collect_by_program(&r.f); /* gc.collect() in the script */
  ASSERT_EQ(0, read_at(&r, 2, 2000 * MS, &s));
  ASSERT_EQ_U64(1, s.gc.collections);
  ASSERT_EQ(1, r.src->ops->take_collections(r.src, got, 8));
  ASSERT_EQ(GCMON_COLLECTION_PROGRAM, got[0].cause);
  ASSERT_TRUE(got[0].pause_us >= pause && got[0].pause_us < pause + 50 * MS);
  ASSERT_EQ(64 * 1024, got[0].alloc_before - got[0].alloc_after);
  ASSERT_TRUE(got[0].start_us < 2000 * MS &&
              got[0].start_us > 2000 * MS - 1000 * MS);
  ASSERT_EQ(0, r.src->ops->take_collections(r.src, got, 8)); /* once */

  /* The agent's own collect is its REMOTE record, never reported here. */
  fake_vm_alloc(&r.f, 32 * 1024, true);
  ASSERT_EQ(0, r.src->ops->collect(r.src, 3000 * MS, &freed, &duration));
  ASSERT_EQ(32 * 1024, freed);
  ASSERT_TRUE(duration >= pause && duration < pause + 50 * MS);
  ASSERT_EQ(0, read_at(&r, 3, 4000 * MS, &s));
  ASSERT_EQ_U64(2, s.gc.collections);
  ASSERT_EQ(0, r.src->ops->take_collections(r.src, got, 8));
  rig_close(&r);
}

TEST(collections_the_vm_could_not_keep_are_still_counted_once) {
  rig r;
  gcmon_sample s;
  gcmon_source_collection got[16];

  rig_open(&r, 1000, 2000, false);
  ASSERT_EQ(0, read_at(&r, 1, 1000 * MS, &s));
  for (int i = 0; i < 12; i++) { /* the fake keeps 8 of them */
    fake_vm_alloc(&r.f, 1024, true);
    fake_vm_collect_by_program(&r.f);
  }
  ASSERT_EQ(0, read_at(&r, 2, 2000 * MS, &s));
  ASSERT_EQ_U64(12, s.gc.collections); /* 8 records + 4 for the agent */
  ASSERT_EQ(8, r.src->ops->take_collections(r.src, got, 16));
  for (int i = 0; i < 8; i++)
    ASSERT_EQ(GCMON_COLLECTION_PROGRAM, got[i].cause);
  rig_close(&r);
}

TEST(sys_counters_come_from_the_companion_source_when_there_is_one) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, true);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s));
  ASSERT_TRUE(s.has_gc);
  ASSERT_TRUE(s.has_sys_heap && s.has_sys_page && s.has_sys_mmz);
  ASSERT_TRUE(s.sys_total > 0);
  rig_close(&r);
}

TEST(a_request_that_times_out_before_t2_gets_the_gil_never_runs) {
  rig r;
  gcmon_sample s;
  fake_vm snap;
  int rc = -1;

  rig_open(&r, 1000, 50, false);
  pthread_mutex_lock(&r.f.gil); /* Python holds the GIL */
  ASSERT_EQ(GCMON_EBUSY, r.src->ops->set_threshold(r.src, 4096));
  ASSERT_TRUE(strstr(r.src->error, "GIL") != NULL);
  ASSERT_TRUE(strstr(r.src->error, "micropython") == NULL); /* said once */
  ASSERT_EQ(GCMON_EBUSY, r.src->ops->set_enabled(r.src, false));
  ASSERT_EQ(GCMON_EBUSY, read_at(&r, 0, 0, &s));
  pthread_mutex_unlock(&r.f.gil);
  sleep_ms(100); /* T2 gets in now: only the READ left as a mark runs */
  snap = fake_vm_snapshot(&r.f);
  ASSERT_EQ(1, snap.reads);
  ASSERT_EQ(0, snap.stores);
  ASSERT_EQ_U64(1, gcmon_mp_mailbox_get_stats(&r.mb).withdrawn);
  /* The mailbox works again (retried: 50 ms is short for a slow host). */
  for (int i = 0; i < 200 && rc != 0; i++)
    rc = read_at(&r, 0, 0, &s);
  ASSERT_EQ(0, rc);
  snap = fake_vm_snapshot(&r.f);
  ASSERT_EQ(0, snap.stores);
  ASSERT_EQ_U64(UINT64_MAX, snap.threshold_blocks);
  ASSERT_EQ(1, snap.enabled);
  rig_close(&r);
}

typedef struct collector {
  rig *r;
  int rc;
  int64_t freed;
  uint64_t took;
} collector;

static void *collect_in_thread(void *arg) {
  collector *c = arg;
  c->rc = c->r->src->ops->collect(c->r->src, 0, &c->freed, &c->took);
  return NULL;
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

TEST(while_python_holds_the_gil_samples_flow_and_vm_calls_wait_only_once) {
  rig r;
  gcmon_sample s;
  int64_t freed;
  uint64_t took, t0, first, worst = 0;
  fake_vm snap;

  rig_open(&r, 1000, 300, true);
  fake_vm_alloc(&r.f, 4096, true);
  ASSERT_EQ(0, read_at(&r, 1, 0, &s));
  ASSERT_TRUE(s.has_gc);
  pthread_mutex_lock(&r.f.gil); /* time.sleep_ms(10000) on the GIL build */
  t0 = mono_ms();
  ASSERT_EQ(GCMON_EBUSY, read_at(&r, 0, 0, &s));
  first = mono_ms() - t0;
  for (uint64_t seq = 2; seq < 40; seq++) {
    t0 = mono_ms();
    /* series samples go on, with the sys_* counters, without gc */
    ASSERT_EQ(0, read_at(&r, seq, seq * 100 * MS, &s));
    ASSERT_TRUE(!s.has_gc);
    ASSERT_TRUE(s.has_sys_heap && s.sys_total > 0);
    /* and every VM-bound call answers at once */
    ASSERT_EQ(GCMON_EBUSY, read_at(&r, 0, 0, &s));
    ASSERT_EQ(GCMON_EBUSY, r.src->ops->collect(r.src, 0, &freed, &took));
    ASSERT_EQ(GCMON_EBUSY, r.src->ops->set_enabled(r.src, false));
    if (mono_ms() - t0 > worst)
      worst = mono_ms() - t0;
  }
  printf("VM busy: first call %llu ms (timeout 300), later rounds at most "
         "%llu ms\n",
         (unsigned long long)first, (unsigned long long)worst);
  /* before: every call waited the 300 ms, so a round took 900 ms */
  ASSERT_TRUE(first >= 290 && first < 2000);
  ASSERT_TRUE(worst < 250);
  pthread_mutex_unlock(&r.f.gil);
  for (int i = 0; i < 200; i++) { /* the VM is back (T2 may be slow) */
    ASSERT_EQ(0, read_at(&r, 40 + (uint64_t)i, (4000 + 100 * i) * MS, &s));
    if (s.has_gc)
      break;
    sleep_ms(10);
  }
  ASSERT_TRUE(s.has_gc);
  ASSERT_EQ(0, r.src->ops->collect(r.src, 0, &freed, &took));
  ASSERT_EQ(4096, freed);
  snap = fake_vm_snapshot(&r.f);
  ASSERT_EQ(0, snap.stores); /* nothing that timed out ran late */
  ASSERT_EQ(1, snap.collects);
  rig_close(&r);
}

TEST(a_request_t2_has_started_is_waited_for_past_the_timeout) {
  rig r;
  collector c = {&r, -1, 0, 0};
  pthread_t t;

  rig_open(&r, 1000, 2000, false);
  fake_vm_alloc(&r.f, 2048, true);
  fake_vm_gate_collects(&r.f);
  pthread_create(&t, NULL, collect_in_thread, &c);
  fake_vm_wait_collect_started(&r.f); /* claimed: T2 is in collect() */
  sleep_ms(2500);                     /* the caller's 2 s run out */
  fake_vm_open_gate(&r.f);
  pthread_join(t, NULL);
  ASSERT_EQ(0, c.rc);
  ASSERT_EQ(2048, c.freed);
  ASSERT_TRUE(c.took >= 2000000);
  ASSERT_EQ_U64(1, gcmon_mp_mailbox_get_stats(&r.mb).overran);
  ASSERT_EQ_U64(0, gcmon_mp_mailbox_get_stats(&r.mb).withdrawn);
  rig_close(&r);
}

TEST(closing_the_mailbox_cancels_requests_and_ends_the_worker) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  gcmon_mp_mailbox_close(&r.mb);
  ASSERT_EQ(0, fake_worker_join(&r.w));
  ASSERT_EQ(GCMON_ECANCELED, read_at(&r, 0, 0, &s));
  ASSERT_TRUE(strstr(r.src->error, "stopped") != NULL);
  gcmon_source_close(r.src);
  gcmon_mp_mailbox_destroy(&r.mb);
  fake_vm_destroy(&r.f);
}

TEST(a_vm_that_wants_t2_gone_ends_the_worker_and_cancels_requests) {
  rig r;
  gcmon_sample s;

  rig_open(&r, 1000, 2000, false);
  fake_vm_set_exit(&r.f);
  ASSERT_EQ(1, fake_worker_join(&r.w));
  ASSERT_EQ(GCMON_ECANCELED, read_at(&r, 0, 0, &s));
  gcmon_source_close(r.src);
  gcmon_mp_mailbox_destroy(&r.mb);
  fake_vm_destroy(&r.f);
}

TEST(readings_and_controls_allocate_nothing_on_either_heap) {
  rig r;
  gcmon_sample s;
  int64_t freed;
  uint64_t took;
  unsigned long before;
  uint64_t heap_before;

  rig_open(&r, 100, 2000, false);
  fake_vm_alloc(&r.f, 4096, false);
  ASSERT_EQ(0, read_at(&r, 0, 0, &s)); /* warm up */
  before = gcmon_test_allocations();
  heap_before = fake_vm_snapshot(&r.f).heap_allocs;
  for (unsigned i = 0; i < 1000; i++) {
    ASSERT_EQ(0, read_at(&r, i + 1, (uint64_t)i * 10 * MS, &s));
    ASSERT_EQ(0, read_at(&r, 0, (uint64_t)i * 10 * MS, &s));
    if (i % 100 == 0) {
      ASSERT_EQ(0, r.src->ops->collect(r.src, 0, &freed, &took));
      ASSERT_EQ(0, r.src->ops->set_threshold(r.src, (int64_t)i * 16));
      ASSERT_EQ(0, r.src->ops->set_enabled(r.src, i % 200 == 0));
    }
  }
  ASSERT_EQ(0, gcmon_test_allocations() - before);
  ASSERT_EQ_U64(heap_before, fake_vm_snapshot(&r.f).heap_allocs);
  ASSERT_EQ(4096, s.gc.mem_alloc);
  rig_close(&r);
}

#define GCMON_TESTS(X)                                                         \
  X(an_on_demand_reading_equals_the_heap_at_that_moment)                       \
  X(split_heap_auto_readings_equal_gc_mem_free_while_the_heap_grows)           \
  X(series_readings_scan_at_most_once_per_scan_ms_and_repeat_the_last_scan)    \
  X(scan_ms_zero_scans_for_every_series_reading)                               \
  X(collect_frees_the_garbage_reports_it_and_counts_one_collection)            \
  X(threshold_is_set_and_read_back_in_bytes_and_off_is_minus_one)              \
  X(disable_and_enable_are_seen_by_the_vm_and_read_back)                       \
  X(collections_the_program_does_are_counted_between_readings)                 \
  X(a_program_collect_and_a_remote_one_become_records_with_their_pause)      \
  X(collections_the_vm_could_not_keep_are_still_counted_once)                 \
  X(sys_counters_come_from_the_companion_source_when_there_is_one)             \
  X(a_request_that_times_out_before_t2_gets_the_gil_never_runs)                \
  X(while_python_holds_the_gil_samples_flow_and_vm_calls_wait_only_once)       \
  X(a_request_t2_has_started_is_waited_for_past_the_timeout)                   \
  X(closing_the_mailbox_cancels_requests_and_ends_the_worker)                  \
  X(a_vm_that_wants_t2_gone_ends_the_worker_and_cancels_requests)              \
  X(readings_and_controls_allocate_nothing_on_either_heap)
#include "gcmon_test_main.h"
