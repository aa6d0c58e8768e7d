/* Challenge-response session state (see auth.h). Every check here runs to
 * its end whatever it finds first: the tag and proof comparisons are
 * constant-time, and a stale counter is reported only after the tag was
 * computed, so timing says nothing about which check failed. */
#include "auth.h"

#include <mbedtls/platform_util.h>

#include <string.h>

void gcmon__auth_reset(gcmon__auth *au) {
  mbedtls_platform_zeroize(au, sizeof *au);
}

bool gcmon__auth_challenge(gcmon__auth *au, const uint8_t *client_nonce,
                           size_t client_nonce_len,
                           int (*random)(void *data, uint8_t *buf, size_t n),
                           void *random_data,
                           uint8_t nonce[GCMON_MAC_NONCE_SIZE]) {
  gcmon__auth_reset(au);
  if (client_nonce_len != GCMON_MAC_NONCE_SIZE || !random ||
      random(random_data, au->server_nonce, GCMON_MAC_NONCE_SIZE) != 0) {
    gcmon__auth_reset(au);
    return false;
  }
  memcpy(au->client_nonce, client_nonce, GCMON_MAC_NONCE_SIZE);
  memcpy(nonce, au->server_nonce, GCMON_MAC_NONCE_SIZE);
  au->challenged = true;
  return true;
}

bool gcmon__auth_prove(gcmon__auth *au, const uint8_t *token, size_t token_len,
                       uint64_t run_id, const uint8_t *proof,
                       size_t proof_len) {
  uint8_t key[GCMON_MAC_KEY_SIZE], want[GCMON_MAC_PROOF_SIZE];
  uint8_t got[GCMON_MAC_PROOF_SIZE] = {0};
  bool ok;

  if (!au->challenged || token_len == 0) {
    gcmon__auth_reset(au);
    return false;
  }
  memcpy(got, proof, proof_len < sizeof got ? proof_len : sizeof got);
  gcmon_mac_session_key(token, token_len, au->server_nonce, au->client_nonce,
                        run_id, key);
  gcmon_mac_proof(key, want);
  ok = gcmon_mac_equal(want, got, sizeof want) & (proof_len == sizeof want);
  gcmon__auth_reset(au); /* the challenge is used up either way */
  if (ok) {
    memcpy(au->key, key, sizeof key);
    au->keyed = true;
  }
  mbedtls_platform_zeroize(key, sizeof key);
  mbedtls_platform_zeroize(want, sizeof want);
  return ok;
}

gcmon__mac_result gcmon__auth_check_mac(gcmon__auth *au,
                                        const uint8_t *payload, size_t len,
                                        uint32_t counter, const uint8_t *tag,
                                        size_t tag_len) {
  gcmon_mac_part parts[2];
  uint8_t want[GCMON_MAC_TAG_SIZE];
  bool tag_ok;

  if (!au->keyed)
    return GCMON__MAC_NOT_KEYED;
  if (tag_len != GCMON_MAC_TAG_SIZE || counter == 0 ||
      !gcmon_mac_split_request(payload, len, parts))
    return GCMON__MAC_MALFORMED;
  gcmon_mac_request_tag(au->key, counter, parts, 2, want);
  tag_ok = gcmon_mac_equal(want, tag, GCMON_MAC_TAG_SIZE);
  if (counter <= au->last_counter)
    return GCMON__MAC_STALE;
  if (!tag_ok)
    return GCMON__MAC_BAD_TAG;
  au->last_counter = counter;
  return GCMON__MAC_OK;
}

const char *gcmon__mac_result_text(gcmon__mac_result r) {
  switch (r) {
  case GCMON__MAC_OK:
    return "ok";
  case GCMON__MAC_NOT_KEYED:
    return "no auth in this session";
  case GCMON__MAC_MALFORMED:
    return "malformed mac";
  case GCMON__MAC_STALE:
    return "stale counter";
  case GCMON__MAC_BAD_TAG:
    return "wrong tag";
  }
  return "?";
}
