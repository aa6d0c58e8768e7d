/* The hello/auth sequence of challenge-response, client side, which
 * link.c runs (through its hooks) when a token is configured:
 *
 *   hello{minor 1, client_nonce} (no token)
 *     answer has a 16-byte nonce  -> auth{proof}; granted: MAC session
 *     answer has no minor (v1)    -> hello again with the token in clear
 *     a 1.1 answer without nonce  -> read-only; the token is never sent
 *
 * The hello's caller is told when the whole sequence is over, with
 * control as the daemon finally granted it. */
#define _POSIX_C_SOURCE 200809L /* libuv's headers need POSIX types */
#include "hello_auth.h"

#include "link.h"

#include <mbedtls/platform_util.h>

#include <stdlib.h>
#include <string.h>

void gcmon__auth_prepare_hello(gcmon_client *c, gcmon__wire_request *r) {
  gcmon__mac_reset(&c->conn.mac); /* a hello starts the session afresh */
  c->challenge_asked = false;
  if (c->token_len == 0 || c->cleartext_token)
    return; /* v1 hello: the token, if any, in clear */
  r->u.hello.minor = 1;
  r->u.hello.token = NULL;
  r->u.hello.token_len = 0;
  if (uv_random(NULL, NULL, c->client_nonce, sizeof c->client_nonce, 0,
                NULL) == 0)
    r->u.hello.client_nonce = c->client_nonce;
  c->challenge_asked = true;
}

typedef struct {
  gcmon_reply hello; /* the hello's answer, given to cb at the end */
  gcmon_reply_cb cb;
  void *data;
} pending_hello;

static void on_auth_done(gcmon__call *call, gcmon_reply *reply) {
  gcmon_client *c = call->owner;
  pending_hello *p = call->data;
  bool granted = reply->err == 0 && c->conn.in.auth_control;

  free(call);
  c->hello = NULL;
  if (reply->err == 0 || reply->status.code != 0) {
    /* answered (a refusal too): the session goes on, read-only unless
     * the proof was accepted */
    c->conn.mac.on = granted;
    if (!granted)
      gcmon__mac_reset(&c->conn.mac);
    p->hello.u.hello.control = p->hello.u.hello.control || granted;
    if (!granted && reply->status.message[0])
      p->hello.status = reply->status;
  } else {
    gcmon__mac_reset(&c->conn.mac);
    p->hello.err = reply->err; /* no answer: the link is gone */
  }
  gcmon__hello_complete(c, &p->hello, p->cb, p->data);
  free(p);
}

int gcmon__auth_after_hello(gcmon_client *c, gcmon_reply *reply,
                            gcmon_reply_cb cb, void *data) {
  const gcmon__incoming *in = &c->conn.in; /* the hello's Response */
  uint8_t proof[GCMON_MAC_PROOF_SIZE];
  pending_hello *p;
  gcmon__call *call;
  int err;

  if (!c->challenge_asked || in->result != GCMON__RESULT_HELLO)
    return 0;
  if (in->hello_minor == 0 && !c->require_mac) {
    /* a v1 daemon: the token as v1 sends it */
    c->cleartext_token = true;
    err = gcmon__send_hello(c, 0, cb, data);
    return err ? err : 1;
  }
  if (in->hello_nonce_len != GCMON_MAC_NONCE_SIZE)
    return 0; /* no challenge offered: read-only, token kept to ourselves */
  gcmon_mac_session_key(c->token, c->token_len, in->hello_nonce,
                        c->client_nonce, reply->u.hello.run_id,
                        c->conn.mac.key);
  gcmon_mac_proof(c->conn.mac.key, proof);
  p = malloc(sizeof *p);
  call = p ? gcmon__call_new(c, GCMON__CALL_AUTH, 0, on_auth_done, p) : NULL;
  if (!call) {
    free(p);
    return GCMON_ENOMEM;
  }
  p->hello = *reply;
  p->cb = cb;
  p->data = data;
  call->req.u.auth_proof = proof; /* encoded by the send below */
  err = gcmon__conn_send(&c->conn, call);
  mbedtls_platform_zeroize(proof, sizeof proof);
  if (err != 0) {
    free(call);
    free(p);
    return err;
  }
  c->hello = call;
  gcmon__arm_deadlines(c);
  return 1;
}
