/* Target URIs: what parses, into what, and the reason given for what does
 * not. */
#include "gcmon_test.h"
#include "uri.h"

#include "gcmon/client.h"

TEST(tcp_host_defaults_to_port_7230) {
  gcmon__uri u;
  ASSERT_EQ(0, gcmon__uri_parse("tcp://k230.local", &u, NULL, 0));
  ASSERT_EQ(GCMON__URI_TCP, u.kind);
  ASSERT_STREQ("k230.local", u.host);
  ASSERT_EQ(7230, u.port);
  ASSERT_EQ(0, gcmon__uri_parse("tcp://10.0.0.2:9000/", &u, NULL, 0));
  ASSERT_STREQ("10.0.0.2", u.host);
  ASSERT_EQ(9000, u.port);
}

TEST(tcp_ipv6_literal_goes_in_brackets) {
  gcmon__uri u;
  ASSERT_EQ(0, gcmon__uri_parse("tcp://[::1]:7231", &u, NULL, 0));
  ASSERT_STREQ("::1", u.host);
  ASSERT_EQ(7231, u.port);
}

TEST(serial_path_with_default_and_given_baud) {
  gcmon__uri u;
  ASSERT_EQ(0, gcmon__uri_parse("serial:///dev/ttyUSB0", &u, NULL, 0));
  ASSERT_EQ(GCMON__URI_SERIAL, u.kind);
  ASSERT_STREQ("/dev/ttyUSB0", u.path);
  ASSERT_EQ(115200, u.baud);
  ASSERT_EQ(0,
            gcmon__uri_parse("serial:///dev/ttyS1?baud=921600", &u, NULL, 0));
  ASSERT_STREQ("/dev/ttyS1", u.path);
  ASSERT_EQ(921600, u.baud);
}

typedef struct {
  const char *uri;
  const char *reason; /* a word the message must contain */
} bad_case;

TEST(malformed_targets_are_refused_with_a_reason) {
  static const bad_case bad[] = {
      {"", "empty"},
      {"k230.local", "tcp://HOST"},
      {"http://k230", "tcp://HOST"},
      {"tcp://", "no host"},
      {"tcp://:7230", "no host"},
      {"tcp://host:0", "port"},
      {"tcp://host:65536", "port"},
      {"tcp://host:72x0", "port"},
      {"tcp://host:7230/path", "unexpected"},
      {"tcp://[::1", "]"},
      {"serial://", "absolute"},
      {"serial://dev/ttyUSB0", "absolute"},
      {"serial:///dev/ttyUSB0?baud=12345", "baud"},
      {"serial:///dev/ttyUSB0?speed=9600", "baud=N"},
      {"serial:///dev/ttyUSB0?baud=", "baud"},
      {"serial:///dev/ttyUSB0?compact=2", "compact=0|1"},
      {"serial:///dev/ttyUSB0?baud=9600&", "baud=N"},
      {"tcp://host?baud=9600", "compact=0|1"},
      {"tcp://host?compact=yes", "compact=0|1"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gcmon__uri u;
    char msg[200] = "";
    if (gcmon__uri_parse(bad[i].uri, &u, msg, sizeof msg) != GCMON_EURI)
      GCMON_TEST_FAIL("'%s' was accepted", bad[i].uri);
    if (!strstr(msg, bad[i].reason) || !strstr(msg, bad[i].uri))
      GCMON_TEST_FAIL("'%s': message '%s' lacks '%s'", bad[i].uri, msg,
                      bad[i].reason);
  }
}

/* The compact stream's switch: absent (-1: the transport decides), 0 or 1,
 * on both kinds of target and in any order with baud. */
TEST(compact_option_on_either_target) {
  gcmon__uri u;
  ASSERT_EQ(0, gcmon__uri_parse("serial:///dev/ttyS1", &u, NULL, 0));
  ASSERT_EQ(-1, u.compact);
  ASSERT_EQ(0, gcmon__uri_parse("serial:///dev/ttyS1?compact=0", &u, NULL, 0));
  ASSERT_EQ(0, u.compact);
  ASSERT_EQ(115200, u.baud);
  ASSERT_EQ(0, gcmon__uri_parse("serial:///dev/ttyS1?baud=9600&compact=1", &u,
                                NULL, 0));
  ASSERT_EQ(1, u.compact);
  ASSERT_EQ(9600, u.baud);
  ASSERT_EQ(0, gcmon__uri_parse("serial:///dev/ttyS1?compact=0&baud=9600", &u,
                                NULL, 0));
  ASSERT_EQ(0, u.compact);
  ASSERT_EQ(9600, u.baud);
  ASSERT_EQ(0, gcmon__uri_parse("tcp://k230.local?compact=1", &u, NULL, 0));
  ASSERT_EQ(1, u.compact);
  ASSERT_STREQ("k230.local", u.host);
  ASSERT_EQ(0, gcmon__uri_parse("tcp://[::1]:7231/?compact=1", &u, NULL, 0));
  ASSERT_EQ(7231, u.port);
  ASSERT_EQ(1, u.compact);
}

TEST(the_public_check_gives_the_same_verdict) {
  char msg[200];
  ASSERT_EQ(0, gcmon_uri_check("tcp://h", msg, sizeof msg));
  ASSERT_EQ(GCMON_EURI, gcmon_uri_check("udp://h", msg, sizeof msg));
  ASSERT_TRUE(strstr(msg, "udp://h") != NULL);
}

#define GCMON_TESTS(X)                                                         \
  X(tcp_host_defaults_to_port_7230)                                            \
  X(tcp_ipv6_literal_goes_in_brackets)                                         \
  X(serial_path_with_default_and_given_baud)                                   \
  X(malformed_targets_are_refused_with_a_reason)                               \
  X(compact_option_on_either_target)                                           \
  X(the_public_check_gives_the_same_verdict)
#include "gcmon_test_main.h"
