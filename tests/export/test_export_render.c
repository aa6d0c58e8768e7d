/* The exposition gcmon export serves, checked line by line: names and
 * values, HELP and TYPE before every family, families kept together across
 * targets, label escaping, and what a failed probe leaves out. (Whether
 * Prometheus's own parser and linter accept it is the promtool test.) */
#include "gcmon_test.h"
#include "snapshots.h"

#include <stdlib.h>

static char *render(const export_snapshot *s, size_t n, unsigned flags) {
  export_text t;
  export_text_init(&t);
  export_render(&t, s, n, flags);
  ASSERT_TRUE(!t.oom && t.buf);
  return t.buf; /* the caller frees */
}

/* Whether text has this exact line. */
static bool has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

/* Whether any series line starts with name followed by '{' or ' '. */
static bool has_series(const char *text, const char *name) {
  size_t n = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (*p != '#' && strncmp(p, name, n) == 0 && (p[n] == '{' || p[n] == ' '))
      return true;
  return false;
}

#define NAMES_MAX 64

/* Walk the exposition the way a strict parser would: every series must
 * belong to the family whose HELP and TYPE came last; a family may appear
 * once only; counters and only counters end in _total. Returns the
 * number of families. */
static int check_structure(const char *text) {
  char seen[NAMES_MAX][80], fam[80] = "", type[16] = "";
  int nseen = 0;
  const char *p = text;

  while (*p) {
    const char *end = strchr(p, '\n');
    char line[1024];
    size_t len = end ? (size_t)(end - p) : strlen(p);
    ASSERT_TRUE(len < sizeof line);
    memcpy(line, p, len);
    line[len] = '\0';
    p = end ? end + 1 : p + len;
    if (strncmp(line, "# HELP ", 7) == 0) {
      ASSERT_TRUE(sscanf(line + 7, "%79s", fam) == 1);
      for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i], fam) == 0)
          GCMON_TEST_FAIL("family %s appears twice", fam);
      ASSERT_TRUE(nseen < NAMES_MAX);
      snprintf(seen[nseen++], sizeof seen[0], "%s", fam);
      type[0] = '\0';
    } else if (strncmp(line, "# TYPE ", 7) == 0) {
      char name[80];
      ASSERT_TRUE(sscanf(line + 7, "%79s %15s", name, type) == 2);
      ASSERT_STREQ(fam, name);
      size_t n = strlen(name);
      bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
      if (total != (strcmp(type, "counter") == 0))
        GCMON_TEST_FAIL("%s is a %s", name, type);
    } else if (line[0] == '#') {
      continue; /* a comment */
    } else {
      size_t n = strlen(fam);
      if (!type[0] || strncmp(line, fam, n) != 0 ||
          (line[n] != '{' && line[n] != ' '))
        GCMON_TEST_FAIL("series outside its family (%s): %s", fam, line);
    }
  }
  return nseen;
}

TEST(a_fresh_board_renders_every_figure_in_base_units) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://k230.local");
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "gcmon_probe_success 1"));
  ASSERT_TRUE(has_line(t, "gcmon_link_up 1"));
  ASSERT_TRUE(has_line(t, "gcmon_last_sample_age_seconds 0.200000"));
  ASSERT_TRUE(has_line(t, "gcmon_info{daemon=\"gcmond 0.1.0\",source=\"sim\","
                          "device=\"k230-sim-1\",run_id=\"d9b2041f8820f1ed\"} "
                          "1"));
  ASSERT_TRUE(has_line(t, "gcmon_sample_interval_seconds 0.500000"));
  ASSERT_TRUE(has_line(t, "gcmon_sample_seq 42"));
  ASSERT_TRUE(has_line(t, "gcmon_device_uptime_seconds 3970.066414"));
  ASSERT_TRUE(has_line(t, "gcmon_system_memory_bytes 536870912"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_size_bytes{pool=\"heap\"} 33554432"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_size_bytes{pool=\"page\"} 224395264"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_size_bytes{pool=\"mmz\"} 268435456"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_used_bytes{pool=\"mmz\"} 22544384"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_free_bytes{pool=\"mmz\"} 245891072"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_allocated_bytes 619712"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_free_bytes 3574592"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_threshold_bytes 65536"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_threshold_enabled 1"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_largest_free_bytes 3500000"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_enabled 1"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_collections_total 17"));
  ASSERT_TRUE(has_line(t, "gcmon_link_crc_errors_total 2"));
  ASSERT_TRUE(has_line(t, "gcmon_link_seq_gaps_total 1"));
  ASSERT_TRUE(has_line(t, "gcmon_link_missed_samples_total 4"));
  ASSERT_TRUE(has_line(t, "gcmon_link_reconnects_total 2"));
  ASSERT_TRUE(has_line(t, "gcmon_link_discarded_bytes_total 117"));
  ASSERT_TRUE(!has_series(t, "gcmon_probe_duration_seconds")); /* not a probe */
  ASSERT_TRUE(strstr(t, "# gcmon:") == NULL); /* no failure to explain */
  ASSERT_EQ(30, check_structure(t));
  free(t);
}

TEST(every_family_has_help_and_type_and_counters_end_in_total) {
  export_snapshot s[3];
  char *t;
  snap_board(&s[0], "tcp://a");
  snap_down(&s[1], "tcp://b");
  snap_unreached(&s[2], "tcp://c");
  s[0].probe_duration_s = 0.25;
  t = render(s, 3, EXPORT_RENDER_TARGET_LABEL);
  ASSERT_EQ(31, check_structure(t));
  ASSERT_TRUE(has_line(t, "# TYPE gcmon_gc_collections_total counter"));
  ASSERT_TRUE(has_line(t, "# TYPE gcmon_pool_used_bytes gauge"));
  free(t);
}

TEST(several_targets_keep_each_family_together_in_target_order) {
  export_snapshot s[2];
  const char *a, *b, *next_family;
  char *t;
  snap_board(&s[0], "tcp://a");
  snap_board(&s[1], "tcp://b");
  s[1].sample.sys_mmz.used = 1;
  t = render(s, 2, EXPORT_RENDER_TARGET_LABEL);
  a = strstr(t, "gcmon_pool_used_bytes{target=\"tcp://a\",pool=\"mmz\"} "
                "22544384\n");
  b = strstr(t, "gcmon_pool_used_bytes{target=\"tcp://b\",pool=\"mmz\"} 1\n");
  next_family = strstr(t, "# HELP gcmon_pool_free_bytes");
  ASSERT_TRUE(a && b && next_family);
  ASSERT_TRUE(a < b && b < next_family);
  ASSERT_TRUE(has_line(t, "gcmon_probe_success{target=\"tcp://a\"} 1"));
  ASSERT_TRUE(has_line(t, "gcmon_probe_success{target=\"tcp://b\"} 1"));
  free(t);
}

TEST(a_failed_probe_keeps_only_probe_link_and_staleness_figures) {
  export_snapshot s;
  char *t;
  snap_down(&s, "tcp://k230.local");
  s.probe_duration_s = 2.0;
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "gcmon_probe_success 0"));
  ASSERT_TRUE(has_line(t, "gcmon_link_up 0"));
  ASSERT_TRUE(has_line(t, "gcmon_probe_duration_seconds 2.000000"));
  ASSERT_TRUE(has_line(t, "gcmon_last_sample_age_seconds 12.500000"));
  ASSERT_TRUE(has_line(t, "gcmon_link_reconnects_total 2"));
  ASSERT_TRUE(has_line(t, "# gcmon: tcp://k230.local: connect 127.0.0.1:7230: "
                          "connection refused"));
  /* A stale sample is not presented as the board's current state. */
  ASSERT_TRUE(!has_series(t, "gcmon_info"));
  ASSERT_TRUE(!has_series(t, "gcmon_sample_seq"));
  ASSERT_TRUE(!has_series(t, "gcmon_pool_used_bytes"));
  ASSERT_TRUE(!has_series(t, "gcmon_gc_allocated_bytes"));
  ASSERT_TRUE(!has_series(t, "gcmon_gc_collections_total"));
  free(t);
}

TEST(a_board_never_reached_shows_no_sample_age) {
  export_snapshot s;
  char *t;
  snap_unreached(&s, "tcp://10.0.0.9");
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "gcmon_probe_success 0"));
  ASSERT_TRUE(!has_series(t, "gcmon_last_sample_age_seconds"));
  ASSERT_TRUE(has_line(t, "gcmon_link_received_bytes_total 0"));
  ASSERT_TRUE(has_line(t, "gcmon_link_reconnects_total 0"));
  free(t);
}

TEST(unknown_and_off_values_are_left_out_not_exported_as_minus_one) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://k230.local");
  s.sample.gc.mem_free = -1;
  s.sample.gc.threshold = -1;
  s.sample.gc.largest_free = -1;
  s.sample.has_sys_mmz = false;
  s.sample.sys_total = 0;
  t = render(&s, 1, 0);
  ASSERT_TRUE(!has_series(t, "gcmon_gc_free_bytes"));
  ASSERT_TRUE(!has_series(t, "gcmon_gc_threshold_bytes"));
  ASSERT_TRUE(!has_series(t, "gcmon_gc_largest_free_bytes"));
  ASSERT_TRUE(!has_series(t, "gcmon_system_memory_bytes"));
  ASSERT_TRUE(has_line(t, "gcmon_gc_threshold_enabled 0"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_used_bytes{pool=\"heap\"} 9652288"));
  ASSERT_TRUE(strstr(t, "pool=\"mmz\"") == NULL);
  ASSERT_TRUE(strstr(t, " -1\n") == NULL);
  free(t);
}

/* MemInfo.peak_used: the K230 kernel heap's peak since boot where the
 * firmware keeps one; no series at all for a pool whose peak is unknown. */
TEST(a_known_pool_peak_is_exported_and_an_unknown_one_is_not) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://k230.local");
  s.sample.sys_heap.peak_used = 12582912;
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "# TYPE gcmon_pool_peak_used_bytes gauge"));
  ASSERT_TRUE(
      has_line(t, "gcmon_pool_peak_used_bytes{pool=\"heap\"} 12582912"));
  ASSERT_TRUE(strstr(t, "gcmon_pool_peak_used_bytes{pool=\"page\"}") == NULL);
  ASSERT_TRUE(strstr(t, "gcmon_pool_peak_used_bytes{pool=\"mmz\"}") == NULL);
  free(t);
}

TEST(a_source_without_gc_has_no_gc_families) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://linux-board");
  s.sample.has_gc = false;
  t = render(&s, 1, 0);
  ASSERT_TRUE(strstr(t, "gcmon_gc_") == NULL);
  ASSERT_TRUE(has_series(t, "gcmon_pool_size_bytes"));
  free(t);
}

TEST(large_values_print_exactly_as_integers) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://k230.local");
  s.link.bytes_in = UINT64_MAX;
  s.sample.sys_mmz.total = (1ull << 53) + 1; /* not exact as a double */
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "gcmon_link_received_bytes_total "
                          "18446744073709551615"));
  ASSERT_TRUE(has_line(t, "gcmon_pool_size_bytes{pool=\"mmz\"} "
                          "9007199254740993"));
  free(t);
}

TEST(label_values_escape_backslash_quote_and_newline) {
  export_snapshot s;
  char *t;
  snap_board(&s, "tcp://a\"b\\c\nd");
  snprintf(s.info.device_id, sizeof s.info.device_id, "say \"hi\"");
  t = render(&s, 1, EXPORT_RENDER_TARGET_LABEL);
  ASSERT_TRUE(has_line(t,
                       "gcmon_probe_success{target=\"tcp://a\\\"b\\\\c\\nd\"}"
                       " 1"));
  ASSERT_TRUE(strstr(t, "device=\"say \\\"hi\\\"\"") != NULL);
  free(t);
}

static void check_label(const char *in, const char *want) {
  export_text t;
  export_text_init(&t);
  export_render_label_value(&t, in);
  ASSERT_TRUE(t.buf != NULL);
  ASSERT_STREQ(want, t.buf);
  export_text_free(&t);
}

TEST(bytes_that_are_not_utf8_become_the_replacement_character) {
  check_label("k230-\xC3\xA9t\xC3\xA9", "k230-\xC3\xA9t\xC3\xA9"); /* kept */
  check_label("\xE2\x96\x88\xF0\x9F\x98\x80", "\xE2\x96\x88\xF0\x9F\x98\x80");
  check_label("a\xFF"
              "b",
              "a\xEF\xBF\xBD"
              "b");
  check_label("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '/' */
  check_label("\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  check_label("\xED\xA0\x80",
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* D800 */
  check_label("\xF4\x90\x80\x80",                      /* above U+10FFFF */
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  check_label("cut\xE2\x96", "cut\xEF\xBF\xBD\xEF\xBF\xBD"); /* truncated */
}

TEST(a_failure_reason_stays_on_one_comment_line) {
  export_snapshot s;
  char *t;
  snap_down(&s, "tcp://k230\n.local");
  snprintf(s.error, sizeof s.error, "two\nlines\r\xFF");
  t = render(&s, 1, 0);
  ASSERT_TRUE(has_line(t, "# gcmon: tcp://k230 .local: two lines "
                          "\xEF\xBF\xBD"));
  ASSERT_EQ(15, check_structure(t)); /* probe, link and age only */
  free(t);
}

TEST(the_exporters_own_figures) {
  export_self self = {2, 48, 256, 5};
  export_text t;
  export_text_init(&t);
  export_render_self(&t, &self);
  ASSERT_TRUE(has_line(t.buf, "gcmon_exporter_targets{kind=\"listed\"} 2"));
  ASSERT_TRUE(has_line(t.buf, "gcmon_exporter_targets{kind=\"probe\"} 48"));
  ASSERT_TRUE(has_line(t.buf, "gcmon_exporter_probe_targets_max 256"));
  ASSERT_TRUE(has_line(t.buf, "gcmon_exporter_probes_rejected_total 5"));
  ASSERT_EQ(3, check_structure(t.buf));
  export_text_free(&t);
}

#define GCMON_TESTS(X)                                                         \
  X(a_fresh_board_renders_every_figure_in_base_units)                          \
  X(every_family_has_help_and_type_and_counters_end_in_total)                  \
  X(several_targets_keep_each_family_together_in_target_order)                 \
  X(a_failed_probe_keeps_only_probe_link_and_staleness_figures)                \
  X(a_board_never_reached_shows_no_sample_age)                                 \
  X(unknown_and_off_values_are_left_out_not_exported_as_minus_one)             \
  X(a_known_pool_peak_is_exported_and_an_unknown_one_is_not)                   \
  X(a_source_without_gc_has_no_gc_families)                                    \
  X(large_values_print_exactly_as_integers)                                    \
  X(label_values_escape_backslash_quote_and_newline)                           \
  X(bytes_that_are_not_utf8_become_the_replacement_character)                  \
  X(a_failure_reason_stays_on_one_comment_line)                                \
  X(the_exporters_own_figures)
#include "gcmon_test_main.h"
