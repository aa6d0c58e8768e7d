/* The CLI's pure parts, without a daemon: the keys of `gcmon watch`
 * (client/cli/watch_keys.c) and target resolution with the config file
 * (client/cli/targets.c), each fed what a user types. */
#define _POSIX_C_SOURCE 200809L /* setenv, mkdtemp */
#include "gcmon_test.h"
#include "targets.h"
#include "watch_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static watch_do feed(watch_keys *k, const char *keys) {
  watch_do last = WATCH_DO_NOTHING;
  for (; *keys; keys++)
    last = watch_keys_feed(k, (unsigned char)*keys);
  return last;
}

TEST(keys_collect_and_quit_at_once) {
  watch_keys k;
  watch_keys_init(&k, "tcp://b");
  ASSERT_EQ(WATCH_DO_COLLECT, feed(&k, "c"));
  ASSERT_EQ(WATCH_DO_QUIT, feed(&k, "q"));
  ASSERT_EQ(WATCH_DO_QUIT, feed(&k, "\003"));
}

TEST(keys_threshold_is_typed_then_set_on_enter) {
  watch_keys k;
  watch_keys_init(&k, "tcp://b");
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "t"));
  ASSERT_STREQ("threshold (64K, 1M or off; Enter sets, Esc cancels): _",
               watch_keys_prompt(&k));
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "64Kq\177")); /* q typed, erased */
  ASSERT_EQ(WATCH_DO_THRESHOLD, feed(&k, "\r"));
  ASSERT_EQ(65536, k.threshold);
  feed(&k, "toff");
  ASSERT_EQ(WATCH_DO_THRESHOLD, feed(&k, "\n"));
  ASSERT_EQ(-1, k.threshold);
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "t12Q\r")); /* not a size */
  ASSERT_STREQ("threshold: '12Q' is not a size like 65536, 64K or 1M, or off",
               watch_keys_prompt(&k));
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "t64K\033")); /* Esc cancels */
  ASSERT_STREQ("threshold: cancelled", watch_keys_prompt(&k));
}

TEST(keys_enable_and_disable_ask_first) {
  watch_keys k;
  watch_keys_init(&k, "tcp://b");
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "d"));
  ASSERT_STREQ("disable the gc on tcp://b? (y/n)", watch_keys_prompt(&k));
  ASSERT_EQ(WATCH_DO_REDRAW, feed(&k, "q")); /* anything but y is no */
  ASSERT_STREQ("disable: not done", watch_keys_prompt(&k));
  ASSERT_EQ(WATCH_DO_DISABLE, feed(&k, "dy"));
  ASSERT_EQ(WATCH_DO_ENABLE, feed(&k, "eY"));
}

TEST(keys_pause_and_help_toggle) {
  watch_keys k;
  watch_keys_init(&k, "tcp://b");
  feed(&k, "p?");
  ASSERT_TRUE(k.paused && k.help);
  feed(&k, "p?");
  ASSERT_TRUE(!k.paused && !k.help);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ASSERT_TRUE(f != NULL);
  fputs(text, f);
  fclose(f);
}

TEST(targets_by_name_address_and_device) {
  char dir[] = "/tmp/gcmon-targets-XXXXXX", sub[64], path[96], out[300],
       msg[256];
  targets_config c;
  const targets_board *b;

  ASSERT_TRUE(mkdtemp(dir) != NULL);
  snprintf(sub, sizeof sub, "%s/gcmon", dir);
  ASSERT_EQ(0, mkdir(sub, 0700));
  snprintf(path, sizeof path, "%s/config", sub);
  write_file(path, "# boards\ndefault = lab-3\n\n[lab-3]\n  target = "
                   "10.0.0.3:7231 \ntoken-file = ~/t\n[bench]\ntarget = "
                   "/dev/ttyACM0?baud=921600\n");
  setenv("XDG_CONFIG_HOME", dir, 1);
  setenv("HOME", "/home/me", 1);
  ASSERT_EQ(0, targets_load(&c, msg, sizeof msg));
  ASSERT_STREQ("lab-3", c.default_target);
  ASSERT_EQ(0, targets_resolve(&c, "lab-3", out, sizeof out, &b));
  ASSERT_STREQ("tcp://10.0.0.3:7231", out);
  ASSERT_STREQ("/home/me/t", b->token_file);
  ASSERT_EQ(0, targets_resolve(&c, "bench", out, sizeof out, &b));
  ASSERT_STREQ("serial:///dev/ttyACM0?baud=921600", out);
  ASSERT_EQ(0, targets_resolve(&c, "k230.local", out, sizeof out, &b));
  ASSERT_STREQ("tcp://k230.local", out);
  ASSERT_TRUE(b == NULL);
  ASSERT_EQ(0, targets_resolve(&c, "/dev/ttyUSB0", out, sizeof out, &b));
  ASSERT_STREQ("serial:///dev/ttyUSB0", out);
  ASSERT_EQ(0, targets_resolve(&c, "tcp://lab-3", out, sizeof out, &b));
  ASSERT_STREQ("tcp://lab-3", out); /* a URI is never a name */

  write_file(path, "[x]\ntarget = a\ncolour = red\n");
  ASSERT_EQ(-1, targets_load(&c, msg, sizeof msg));
  ASSERT_TRUE(strstr(msg, "config:3: unknown key 'colour'") != NULL);
  write_file(path, "[x]\n");
  ASSERT_EQ(-1, targets_load(&c, msg, sizeof msg));
  ASSERT_TRUE(strstr(msg, "board 'x' has no target") != NULL);
  unlink(path);
  ASSERT_EQ(0, targets_load(&c, msg, sizeof msg)); /* no file: no boards */
  ASSERT_EQ(0, c.nboards);
  rmdir(sub);
  rmdir(dir);
}

#define GCMON_TESTS(X)                                                         \
  X(keys_collect_and_quit_at_once)                                             \
  X(keys_threshold_is_typed_then_set_on_enter)                                 \
  X(keys_enable_and_disable_ask_first)                                         \
  X(keys_pause_and_help_toggle)                                                \
  X(targets_by_name_address_and_device)
#include "gcmon_test_main.h"
