/* The cross-codec case table: one Packet per call, per result, a failed
 * response, an event, and one Packet at every nanopb bound at once.
 *
 * Values are chosen to be telling: strings and the token at their exact
 * bounds, sint64 at -1, INT64_MIN and INT64_MAX, uint64 at UINT64_MAX, bytes
 * 0x7E/0x7D that framing must escape, absent and present-but-empty
 * sub-messages. tests/proto/test_independent_decoders.py restates every
 * value on its own; keep the two in step. */
#include "codec_view.h"
#include "gcmon.pb.h" /* field numbers only */

#define CASE_ASSERT(cond, name) typedef char name[(cond) ? 1 : -1]

/* Strings at their exact bounds (gcmon.options; PROTOCOL.md). */
#define CLIENT_32    "gcmon-cli 0.1.0 on build-host-07"
#define DAEMON_32    "gcmond 0.1.0 (canmv k230 v1.4.2)"
#define SOURCE_16    "micropython-k230"
#define DEVICE_ID_32 "k230-canmv-001:de:ad:be:ef:7e:7d"
#define DENIED_96                                                              \
  "permission denied: control requests need the daemon token on this TCP "     \
  "peer, or use UART/loopback"
#define INTERNAL_96                                                            \
  "internal: history ring changed while this reply was being built; please "   \
  "ask again from next_seq."

CASE_ASSERT(sizeof CLIENT_32 == 33, client_is_32_bytes);
CASE_ASSERT(sizeof DAEMON_32 == 33, daemon_is_32_bytes);
CASE_ASSERT(sizeof SOURCE_16 == 17, source_is_16_bytes);
CASE_ASSERT(sizeof DEVICE_ID_32 == 33, device_id_is_32_bytes);
CASE_ASSERT(sizeof DENIED_96 == 97, denied_is_96_bytes);
CASE_ASSERT(sizeof INTERNAL_96 == 97, internal_is_96_bytes);

/* 64 bytes: (37 * i + 0x7E) mod 256, so it holds 0x7E, 0x7D and 0x00. */
static const uint8_t token_64[64] = {
    0x7e, 0xa3, 0xc8, 0xed, 0x12, 0x37, 0x5c, 0x81, 0xa6, 0xcb, 0xf0,
    0x15, 0x3a, 0x5f, 0x84, 0xa9, 0xce, 0xf3, 0x18, 0x3d, 0x62, 0x87,
    0xac, 0xd1, 0xf6, 0x1b, 0x40, 0x65, 0x8a, 0xaf, 0xd4, 0xf9, 0x1e,
    0x43, 0x68, 0x8d, 0xb2, 0xd7, 0xfc, 0x21, 0x46, 0x6b, 0x90, 0xb5,
    0xda, 0xff, 0x24, 0x49, 0x6e, 0x93, 0xb8, 0xdd, 0x02, 0x27, 0x4c,
    0x71, 0x96, 0xbb, 0xe0, 0x05, 0x2a, 0x4f, 0x74, 0x99};

#define S64(x) ((uint64_t)(int64_t)(x)) /* a sint64 field's view slot */

/* Every field set, none at its default: negative int64s, -1 meaning
 * "unknown/disabled", UINT64_MAX, all three MemInfo present. */
#define SAMPLE_FULL                                                            \
  {                                                                            \
    .seq = 42, .uptime_us = UINT64_MAX, .has_gc = true,                        \
    .gc = {.mem_alloc = -123456789,                                            \
           .mem_free = -1,                                                     \
           .threshold = -1,                                                    \
           .enabled = true,                                                    \
           .collections = UINT64_MAX,                                          \
           .largest_free = INT64_MIN},                                         \
    .sys_total = UINT64_MAX, .has_sys_heap = true, .has_sys_page = true,       \
    .has_sys_mmz = true, .sys_heap = {UINT64_MAX, 1, UINT64_MAX - 1},          \
    .sys_page = {4194304, 3145728, 1048576}, .sys_mmz = {                      \
      268435456,                                                               \
      0x7e7d7e7d,                                                              \
      5                                                                        \
    }                                                                          \
  }

/* A series sample as a K230 would send it: gc heap and kernel heap known,
 * user pages unknown (absent), MMZ present. */
#define SAMPLE_SERIES(n)                                                       \
  {                                                                            \
    .seq = (n), .uptime_us = (n)*1000000u + 7, .has_gc = true,                 \
    .gc = {.mem_alloc = 1000000 + (n),                                         \
           .mem_free = 2000000 - (n),                                          \
           .threshold = 65536,                                                 \
           .enabled = true,                                                    \
           .collections = (n) / 10,                                            \
           .largest_free = 524288},                                            \
    .sys_total = 536870912, .has_sys_heap = true, .has_sys_mmz = true,         \
    .sys_heap = {16777216, 8388608 + (n), 8388608 - (n)}, .sys_mmz = {         \
      268435456,                                                               \
      134217728,                                                               \
      134217728                                                                \
    }                                                                          \
  }

/* Every v1 varint at its widest: what nanopb's v1 Packet bound assumed. */
#define SAMPLE_WIDEST                                                          \
  {                                                                            \
    .seq = UINT64_MAX, .uptime_us = UINT64_MAX, .has_gc = true,                \
    .gc = {INT64_MIN, INT64_MIN, INT64_MIN, true, UINT64_MAX, INT64_MIN},      \
    .sys_total = UINT64_MAX, .has_sys_heap = true, .has_sys_page = true,       \
    .has_sys_mmz = true, .sys_heap = {UINT64_MAX, UINT64_MAX, UINT64_MAX},     \
    .sys_page = {UINT64_MAX, UINT64_MAX, UINT64_MAX}, .sys_mmz = {             \
      UINT64_MAX,                                                              \
      UINT64_MAX,                                                              \
      UINT64_MAX                                                               \
    }                                                                          \
  }

/* A request / response with its id and call / result named as in the schema;
 * responses carry a Status (present, OK and empty unless the case says). */
#define REQ(idv, call)                                                         \
  .kind = CODEC_REQUEST, .id = (idv), .which = gcmon_v1_Request_##call##_tag
#define RESP(idv, result)                                                      \
  .kind = CODEC_RESPONSE, .id = (idv),                                         \
  .which = gcmon_v1_Response_##result##_tag, .has_status = true
#define RESP_NO_RESULT(idv)                                                    \
  .kind = CODEC_RESPONSE, .id = (idv), .has_status = true

const char codec_widest_case[] = "response_widest";

const codec_case codec_cases[] = {
    {"request_hello",
     {REQ(1, hello), .num = {[1] = 1}, .str = {[2] = CLIENT_32},
      .token = token_64, .token_len = sizeof token_64}},
    {"request_get_sample", {REQ(2, get_sample)}},
    {"request_collect", {REQ(3, collect)}},
    {"request_set_threshold_disable",
     {REQ(4, set_threshold), .num = {[1] = S64(-1)}}},
    {"request_set_threshold_min",
     {REQ(5, set_threshold), .num = {[1] = S64(INT64_MIN)}}},
    {"request_set_threshold_max",
     {REQ(6, set_threshold), .num = {[1] = S64(INT64_MAX)}}},
    {"request_set_enabled_true", {REQ(7, set_enabled), .num = {[1] = 1}}},
    {"request_set_enabled_false", {REQ(8, set_enabled)}},
    {"request_subscribe",
     {REQ(UINT32_MAX, subscribe),
      .num = {[1] = 250, [2] = 0x0123456789abcdefu}}},
    {"request_unsubscribe", {REQ(10, unsubscribe), .num = {[1] = 3}}},
    {"request_get_history", {REQ(11, get_history), .num = {[1] = 1, [2] = 4}}},
    {"response_hello",
     {RESP(1, hello),
      .num = {[1] = 1,          /* version */
              [5] = UINT64_MAX, /* run_id */
              [6] = 1024,       /* max_payload */
              [7] = 1024,       /* history_capacity */
              [8] = 1000,       /* min_interval_ms */
              [9] = 1,          /* control */
              [10] = 4,         /* max_subscriptions */
              [11] = 16},       /* max_sessions */
      .str = {[2] = DAEMON_32, [3] = SOURCE_16, [4] = DEVICE_ID_32}}},
    {"response_sample",
     {RESP(2, sample), .nsamples = 1, .samples = {SAMPLE_FULL}}},
    {"response_collect",
     {RESP(3, collect), .num = {[1] = S64(-4096), [2] = 1500}, .nsamples = 1,
      .samples = {SAMPLE_SERIES(0)}}},
    {"response_subscribed",
     {RESP(9, subscribed), .num = {[1] = 1, [2] = 2000, [3] = 17}}},
    {"response_history",
     {RESP(11, history), .num = {[2] = 104, [3] = 97}, .nsamples = 4,
      .samples = {SAMPLE_SERIES(100), SAMPLE_SERIES(101), SAMPLE_SERIES(102),
                  SAMPLE_SERIES(103)}}},
    {"response_failed",
     {RESP_NO_RESULT(12), .status_code = gcmon_v1_Status_Code_PERMISSION_DENIED,
      .status_msg = DENIED_96}},
    {"event_sample",
     {.kind = CODEC_EVENT,
      .id = 2,
      .which = gcmon_v1_Event_sample_tag,
      .nsamples = 1,
      .samples = {SAMPLE_SERIES(1001)}}},
    {codec_widest_case,
     {RESP(UINT32_MAX, history), .status_code = gcmon_v1_Status_Code_INTERNAL,
      .status_msg = INTERNAL_96, .num = {[2] = UINT64_MAX, [3] = UINT64_MAX},
      .nsamples = 4,
      .samples = {SAMPLE_WIDEST, SAMPLE_WIDEST, SAMPLE_WIDEST, SAMPLE_WIDEST}}},
};

const size_t codec_ncases = sizeof codec_cases / sizeof codec_cases[0];
