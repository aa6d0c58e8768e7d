/* The agent core's challenge-response in process (agent_driver.h): a MAC
 * session from an untrusted peer controls, a v1 session gets no 1.1
 * fields, a second hello forgets the key, and none of it allocates after
 * init (the SHA-256 context lives on the stack). The network view, with an
 * independent MAC implementation, is tests/reliability/test_challenge.py. */
#include "agent_driver.h"
#include "alloc_count.h"
#include "gcmon_mac.h"
#include "gcmon_test.h"

#include <pb_encode.h>

static const uint8_t token[] = "agent-token";

static int counting_nonce(void *data, uint8_t *buf, size_t n) {
  unsigned *calls = data;
  for (size_t i = 0; i < n; i++)
    buf[i] = (uint8_t)(*calls * 31u + i);
  (*calls)++;
  return 0;
}

typedef struct {
  uint8_t key[GCMON_MAC_KEY_SIZE];
  uint32_t counter;
} mac_peer;

static void init_driver(driver *d, unsigned *nonces) {
  gcmon_agent_config cfg;
  gcmon_agent_config_defaults(&cfg);
  cfg.interval_ms = 10;
  cfg.token = token;
  cfg.token_len = sizeof token - 1;
  cfg.random = counting_nonce;
  cfg.random_data = nonces;
  driver_init(d, &cfg);
}

/* hello (minor 1) + auth; returns AuthResult.control. */
static bool mac_hello(peer *p, mac_peer *m, const uint8_t *tok, size_t len) {
  gcmon_v1_Request req = gcmon_v1_Request_init_zero;
  gcmon_v1_Response r;
  uint8_t cn[GCMON_MAC_NONCE_SIZE];

  for (unsigned i = 0; i < sizeof cn; i++)
    cn[i] = (uint8_t)(0x40 + i);
  req.which_call = gcmon_v1_Request_hello_tag;
  req.call.hello.version = 1;
  req.call.hello.minor = 1;
  req.call.hello.client_nonce.size = sizeof cn;
  memcpy(req.call.hello.client_nonce.bytes, cn, sizeof cn);
  peer_call(p, &req, &r);
  ASSERT_EQ(1, r.result.hello.minor);
  ASSERT_EQ(GCMON_MAC_NONCE_SIZE, r.result.hello.nonce.size);
  ASSERT_TRUE(!r.result.hello.control);
  gcmon_mac_session_key(tok, len, r.result.hello.nonce.bytes, cn,
                        r.result.hello.run_id, m->key);
  m->counter = 0;
  req = (gcmon_v1_Request)gcmon_v1_Request_init_zero;
  req.which_call = gcmon_v1_Request_auth_tag;
  req.call.auth.proof.size = GCMON_MAC_PROOF_SIZE;
  gcmon_mac_proof(m->key, req.call.auth.proof.bytes);
  peer_call(p, &req, &r);
  ASSERT_EQ(0, r.status.code);
  ASSERT_EQ(gcmon_v1_Response_auth_tag, r.which_result);
  return r.result.auth.control;
}

/* Tag req over its own encoding (no mac yet), then send it with the mac. */
static void mac_call(peer *p, mac_peer *m, gcmon_v1_Request *req,
                     gcmon_v1_Response *r) {
  uint8_t body[GCMON_MAX_PAYLOAD];
  pb_ostream_t os = pb_ostream_from_buffer(body, sizeof body);
  gcmon_mac_part part;

  if (req->id == 0)
    req->id = p->next_id++;
  req->has_mac = false;
  ASSERT_TRUE(pb_encode(&os, gcmon_v1_Request_fields, req));
  part = (gcmon_mac_part){body, os.bytes_written};
  req->has_mac = true;
  req->mac.counter = ++m->counter;
  req->mac.tag.size = GCMON_MAC_TAG_SIZE;
  gcmon_mac_request_tag(m->key, req->mac.counter, &part, 1,
                        req->mac.tag.bytes);
  peer_call(p, req, r);
}

static gcmon_v1_Request threshold(int64_t bytes) {
  gcmon_v1_Request r = gcmon_v1_Request_init_zero;
  r.which_call = gcmon_v1_Request_set_threshold_tag;
  r.call.set_threshold.bytes = bytes;
  return r;
}

TEST(a_mac_session_controls_and_allocates_nothing) {
  unsigned nonces = 0;
  driver d;
  peer p;
  mac_peer m;
  gcmon_v1_Response r;

  init_driver(&d, &nonces);
  driver_tick(&d, 10);
  unsigned long before = gcmon_test_allocations();
  for (int round = 0; round < 20; round++) {
    ASSERT_EQ(0, peer_open(&p, &d, false));
    ASSERT_TRUE(mac_hello(&p, &m, token, sizeof token - 1));
    gcmon_v1_Request req = threshold(4096 * (round + 1));
    mac_call(&p, &m, &req, &r);
    ASSERT_EQ(0, r.status.code);
    ASSERT_EQ(4096 * (round + 1), r.result.sample.gc.threshold);
    req = threshold(1);
    peer_call(&p, &req, &r); /* no mac in a MAC session */
    ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, r.status.code);
    peer_close(&p);
  }
  ASSERT_EQ(0, gcmon_test_allocations() - before);
  ASSERT_EQ(20, nonces); /* one fresh nonce per hello */
  driver_close(&d);
}

TEST(a_wrong_token_proves_nothing_and_a_new_hello_forgets_the_key) {
  unsigned nonces = 0;
  driver d;
  peer p;
  mac_peer m, old;
  gcmon_v1_Response r;
  gcmon_v1_Request req;

  init_driver(&d, &nonces);
  driver_tick(&d, 10);
  ASSERT_EQ(0, peer_open(&p, &d, false));
  ASSERT_TRUE(!mac_hello(&p, &m, (const uint8_t *)"agent-tokeN", 11));
  req = threshold(8192);
  mac_call(&p, &m, &req, &r);
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, r.status.code);
  ASSERT_TRUE(mac_hello(&p, &old, token, sizeof token - 1));
  ASSERT_TRUE(mac_hello(&p, &m, token, sizeof token - 1));
  req = threshold(8192);
  mac_call(&p, &old, &req, &r); /* the previous hello's key */
  ASSERT_EQ(gcmon_v1_Status_Code_PERMISSION_DENIED, r.status.code);
  req = threshold(8192);
  mac_call(&p, &m, &req, &r);
  ASSERT_EQ(0, r.status.code);
  peer_close(&p);
  driver_close(&d);
}

TEST(a_v1_hello_gets_no_1_1_fields_and_auth_needs_a_challenge) {
  unsigned nonces = 0;
  driver d;
  peer p;
  gcmon_v1_Response r;
  gcmon_v1_Request req = gcmon_v1_Request_init_zero;

  init_driver(&d, &nonces);
  ASSERT_EQ(0, peer_open(&p, &d, false));
  req.which_call = gcmon_v1_Request_hello_tag;
  req.call.hello.version = 1;
  peer_call(&p, &req, &r);
  ASSERT_EQ(0, r.result.hello.minor);
  ASSERT_EQ(0, r.result.hello.nonce.size);
  ASSERT_TRUE(!r.result.hello.mac_required);
  ASSERT_EQ(0, nonces);
  req = (gcmon_v1_Request)gcmon_v1_Request_init_zero;
  req.which_call = gcmon_v1_Request_auth_tag;
  peer_call(&p, &req, &r);
  ASSERT_EQ(gcmon_v1_Status_Code_FAILED_PRECONDITION, r.status.code);
  peer_close(&p);
  driver_close(&d);
}

#define GCMON_TESTS(X)                                                         \
  X(a_mac_session_controls_and_allocates_nothing)                              \
  X(a_wrong_token_proves_nothing_and_a_new_hello_forgets_the_key)              \
  X(a_v1_hello_gets_no_1_1_fields_and_auth_needs_a_challenge)
#include "gcmon_test_main.h"
