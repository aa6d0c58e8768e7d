/* The challenge-response construction (proto/gcmon_mac.c): HMAC-SHA256
 * against RFC 4231, docs/protocol.md's test vectors (computed there with
 * Python's hmac module, an independent implementation), the split of a
 * request around its mac field, and a compare that reads every byte
 * whatever the first difference (no early exit: the bytes after the
 * difference sit on a page that faults when read). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "gcmon_mac.h"
#include "gcmon_test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static void from_hex(const char *hex, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    ASSERT_EQ(1, sscanf(hex + 2 * i, "%2x", &v));
    out[i] = (uint8_t)v;
  }
}

static void assert_hex(const char *want, const uint8_t *got, size_t n) {
  uint8_t w[64];
  from_hex(want, w, n);
  for (size_t i = 0; i < n; i++)
    if (w[i] != got[i])
      GCMON_TEST_FAIL("byte %zu: want %02x, got %02x (want %s)", i, w[i],
                      got[i], want);
}

static void hmac_one(const uint8_t *key, size_t key_len, const char *msg,
                     uint8_t out[32]) {
  gcmon_mac_part p = {(const uint8_t *)msg, strlen(msg)};
  gcmon_hmac_sha256(key, key_len, &p, 1, out);
}

TEST(hmac_sha256_matches_rfc4231) {
  uint8_t key[131], out[32];
  memset(key, 0x0b, 20);
  hmac_one(key, 20, "Hi There", out);
  assert_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
             out, 32);
  hmac_one((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", out);
  assert_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
             out, 32);
  memset(key, 0xaa, sizeof key); /* longer than a block: hashed first */
  hmac_one(key, sizeof key,
           "Test Using Larger Than Block-Size Key - Hash Key First", out);
  assert_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
             out, 32);
}

TEST(hmac_input_is_the_concatenation_of_parts) {
  const char *msg = "what do ya want for nothing?";
  gcmon_mac_part parts[3] = {{(const uint8_t *)msg, 4},
                             {(const uint8_t *)msg + 4, 0},
                             {(const uint8_t *)msg + 4, strlen(msg) - 4}};
  uint8_t out[32];
  gcmon_hmac_sha256((const uint8_t *)"Jefe", 4, parts, 3, out);
  assert_hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
             out, 32);
}

/* docs/protocol.md, "Test vectors". */
static const char vec_token[] = "gcmon-example-token";
static const uint64_t vec_run_id = 0x0123456789abcdefull;
static const char vec_key[] =
    "08ab92b62316f4766c592582f5c467b77848a928594f9ff31dfc73814cdaba25";
static const char vec_payload[] =
    "0a1f08072a0408808008f201140801121059bf99c44e2b0ae087252a57d2278205";

static void vec_nonces(uint8_t sn[16], uint8_t cn[16]) {
  for (unsigned i = 0; i < 16; i++) {
    sn[i] = (uint8_t)i;
    cn[i] = (uint8_t)(16 + i);
  }
}

TEST(key_proof_and_tag_match_the_spec_vectors) {
  uint8_t sn[16], cn[16], key[32], proof[32], tag[16], payload[33];
  gcmon_mac_part parts[2];

  vec_nonces(sn, cn);
  gcmon_mac_session_key((const uint8_t *)vec_token, strlen(vec_token), sn, cn,
                        vec_run_id, key);
  assert_hex(vec_key, key, 32);
  gcmon_mac_proof(key, proof);
  assert_hex("b721cdac2cdea0c03dab3372a89ef8cc0a88a5bc94abe8d916ee9a0044723ad5",
             proof, 32);
  /* Request{id 7, set_threshold{bytes 65536}} with mac{counter 1, tag} */
  from_hex(vec_payload, payload, sizeof payload);
  ASSERT_TRUE(gcmon_mac_split_request(payload, sizeof payload, parts));
  ASSERT_EQ(8, parts[0].len);
  ASSERT_EQ(0, parts[1].len);
  gcmon_mac_request_tag(key, 1, parts, 2, tag);
  assert_hex("59bf99c44e2b0ae087252a57d2278205", tag, 16);
  ASSERT_TRUE(gcmon_mac_equal(tag, payload + sizeof payload - 16, 16));
  gcmon_mac_request_tag(key, 2, parts, 2, tag); /* counter is covered */
  ASSERT_TRUE(!gcmon_mac_equal(tag, payload + sizeof payload - 16, 16));
}

TEST(split_leaves_out_the_mac_wherever_it_is) {
  /* Request{mac{counter 1, tag 16 x 0x11} first, then id 7, collect{}} */
  uint8_t p[64] = {0x0a, 0};
  size_t n = 2, len;
  gcmon_mac_part parts[2];
  p[n++] = 0xf2; p[n++] = 0x01; p[n++] = 20;
  p[n++] = 0x08; p[n++] = 0x01; p[n++] = 0x12; p[n++] = 16;
  memset(p + n, 0x11, 16);
  n += 16;
  p[n++] = 0x08; p[n++] = 0x07; p[n++] = 0x22; p[n++] = 0x00;
  p[1] = (uint8_t)(n - 2);
  ASSERT_TRUE(gcmon_mac_split_request(p, n, parts));
  ASSERT_EQ(0, parts[0].len);
  ASSERT_EQ(4, parts[1].len);
  ASSERT_EQ(0x08, parts[1].data[0]);

  /* Shapes that can never verify. */
  len = n;
  ASSERT_TRUE(!gcmon_mac_split_request(p, len - 1, parts)); /* cut short */
  p[1]++;
  ASSERT_TRUE(!gcmon_mac_split_request(p, len, parts)); /* length past end */
  p[1]--;
  p[n] = 0x10; /* another Packet field after the request */
  p[n + 1] = 0x01;
  ASSERT_TRUE(!gcmon_mac_split_request(p, n + 2, parts));
  memcpy(p + n, p + 2, 23); /* a second mac */
  p[1] = (uint8_t)(n + 23 - 2);
  ASSERT_TRUE(!gcmon_mac_split_request(p, n + 23, parts));
  p[1] = 4; /* no mac at all: Request{id 7, collect{}} */
  memcpy(p + 2, "\x08\x07\x22\x00", 4);
  ASSERT_TRUE(!gcmon_mac_split_request(p, 6, parts));
}

/* ---- no early exit ---------------------------------------------------- */

static uint8_t *guarded_page; /* the page that faults until first read */
static long page_size;
static volatile sig_atomic_t faults;

static void on_fault(int sig, siginfo_t *info, void *ctx) {
  (void)sig;
  (void)ctx;
  if ((uint8_t *)info->si_addr < guarded_page ||
      (uint8_t *)info->si_addr >= guarded_page + page_size)
    abort(); /* a real crash, not our page */
  faults++;
  mprotect(guarded_page, (size_t)page_size, PROT_READ | PROT_WRITE);
}

/* Compare n bytes whose first half is readable and whose second half is on
 * a page that faults when touched; true when the compare read it. */
static bool reads_past(size_t n, size_t diff_at) {
  uint8_t *map, *b;
  uint8_t a[64];
  struct sigaction sa = {0}, old;

  page_size = sysconf(_SC_PAGESIZE);
  map = mmap(NULL, (size_t)page_size * 2, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_TRUE(map != MAP_FAILED);
  guarded_page = map + page_size;
  b = guarded_page - n / 2;
  memset(b, 0x5a, n);
  memset(a, 0x5a, n);
  a[diff_at] ^= 0x01;
  ASSERT_EQ(0, mprotect(guarded_page, (size_t)page_size, PROT_NONE));
  faults = 0;
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(0, sigaction(SIGSEGV, &sa, &old));
  ASSERT_TRUE(!gcmon_mac_equal(a, b, n));
  sigaction(SIGSEGV, &old, NULL);
  munmap(map, (size_t)page_size * 2);
  return faults > 0;
}

TEST(compare_reads_every_byte_after_the_first_difference) {
  /* a tag (16 bytes) and a proof (32) differing in their first byte */
  ASSERT_TRUE(reads_past(GCMON_MAC_TAG_SIZE, 0));
  ASSERT_TRUE(reads_past(GCMON_MAC_PROOF_SIZE, 0));
  ASSERT_TRUE(reads_past(GCMON_MAC_PROOF_SIZE, 3));
}

#define GCMON_TESTS(X)                                                         \
  X(hmac_sha256_matches_rfc4231)                                               \
  X(hmac_input_is_the_concatenation_of_parts)                                  \
  X(key_proof_and_tag_match_the_spec_vectors)                                  \
  X(split_leaves_out_the_mac_wherever_it_is)                                   \
  X(compare_reads_every_byte_after_the_first_difference)
#include "gcmon_test_main.h"
