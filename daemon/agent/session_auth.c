/* Who may control, per session and per request (docs/security.md):
 *
 *   - trusted transports (UART, loopback) control for the whole session;
 *   - the cleartext token in hello does too, unless require_mac (v1);
 *   - a 1.1 client proves the token with auth against the hello's nonce,
 *     after which each control request carrying a valid mac (counter above
 *     the last, tag over the request's own bytes) may control.
 *
 * A request that carries a mac is always checked, whatever else the
 * session may do: a mac that does not verify is refused. The crypto is in
 * auth.c and proto/gcmon_mac.c; this file only applies the rules. */
#include "session_auth.h"
#include "status.h"

/* Constant-time: the time taken does not depend on where the bytes differ
 * (only on the configured token's length, which is not secret here). */
static bool token_matches(const gcmon_agent *a, const pb_byte_t *tok,
                          size_t len) {
  unsigned diff = (unsigned)(len ^ a->cfg.token_len);
  for (size_t i = 0; i < a->cfg.token_len; i++)
    diff |= (unsigned)(a->token[i] ^ (i < len ? tok[i] : 0u));
  return a->cfg.token_len > 0 && diff == 0;
}

bool gcmon__auth_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                       gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  gcmon_v1_HelloResponse *r = &resp->result.hello;
  bool token_ok = token_matches(a, h->token.bytes, h->token.size);
  bool control;

  gcmon__auth_reset(&s->auth); /* a hello starts the session afresh */
  if (a->cfg.require_mac)
    token_ok = false;
  control = s->trusted || token_ok;
  if (h->token.size > 0 && !control)
    gcmon__set_status(resp, gcmon_v1_Status_Code_OK, "%s",
                      a->cfg.require_mac
                          ? "cleartext token refused (--require-mac): "
                            "read-only session; use auth"
                          : "token not accepted: read-only session");
  if (h->minor >= 1) { /* the 1.1 fields go only to a client that asks */
    r->minor = 1;
    r->mac_required = a->cfg.require_mac;
    if (a->cfg.token_len > 0 &&
        gcmon__auth_challenge(&s->auth, h->client_nonce.bytes,
                              h->client_nonce.size, a->cfg.random,
                              a->cfg.random_data, r->nonce.bytes))
      r->nonce.size = GCMON_MAC_NONCE_SIZE;
  }
  return control;
}

void gcmon__call_auth(gcmon_session *s, const gcmon_v1_Request *req,
                      gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  const gcmon_v1_AuthRequest *ar = &req->call.auth;
  bool ok;

  if (!s->auth.challenged) {
    gcmon__set_status(resp, gcmon_v1_Status_Code_FAILED_PRECONDITION,
                      "auth needs a fresh challenge: hello with minor 1 and "
                      "a 16-byte client_nonce first");
    return;
  }
  ok = gcmon__auth_prove(&s->auth, a->token, a->cfg.token_len, a->cfg.run_id,
                         ar->proof.bytes, ar->proof.size);
  resp->which_result = gcmon_v1_Response_auth_tag;
  resp->result.auth.control = ok || s->control;
  if (!ok)
    gcmon__set_status(resp, gcmon_v1_Status_Code_OK, "%s",
                      s->control ? "proof not accepted"
                                 : "proof not accepted: read-only session");
  gcmon_agent_log(a, ok ? GCMON_LOG_INFO : GCMON_LOG_WARN, "auth from %s: %s",
                  s->peer, ok ? "control by mac" : "proof not accepted");
}

bool gcmon__may_control(gcmon_session *s, const gcmon_v1_Request *req,
                        const char *what, gcmon_v1_Response *resp) {
  gcmon_agent *a = s->agent;
  gcmon__mac_result r;

  if (req->has_mac) {
    r = gcmon__auth_check_mac(&s->auth, a->rx_payload, a->rx_len,
                              req->mac.counter, req->mac.tag.bytes,
                              req->mac.tag.size);
    if (r == GCMON__MAC_OK)
      return true;
    gcmon__set_status(resp, gcmon_v1_Status_Code_PERMISSION_DENIED,
                      "%s refused: %s", what, gcmon__mac_result_text(r));
    gcmon_agent_log(a, GCMON_LOG_WARN, "%s from %s refused: %s", what, s->peer,
                    gcmon__mac_result_text(r));
    return false;
  }
  if (s->control)
    return true;
  if (s->auth.keyed)
    gcmon__set_status(resp, gcmon_v1_Status_Code_PERMISSION_DENIED,
                      "%s needs a mac (counter and tag) in this session",
                      what);
  else if (a->cfg.require_mac)
    gcmon__set_status(resp, gcmon_v1_Status_Code_PERMISSION_DENIED,
                      "%s needs control: prove the token with auth, then "
                      "send a mac (no cleartext token here)",
                      what);
  else
    gcmon__set_status(resp, gcmon_v1_Status_Code_PERMISSION_DENIED,
                      "%s needs control: this peer must send the daemon's "
                      "token in hello",
                      what);
  return false;
}
