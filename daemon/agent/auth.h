/* Challenge-response control, the agent's side (docs/protocol.md,
 * "Challenge-response control"; docs/security.md): one challenge per hello,
 * one proof per challenge, then a MAC with a strictly increasing counter on
 * every control request. No I/O: the server nonce comes from the random
 * source the agent was configured with; the MAC construction itself is
 * proto/gcmon_mac.h, shared with the client.
 *
 * Per session (inside gcmon_session, zeroed at open):
 *
 *     hello, minor >= 1, 16-byte client_nonce, token configured
 *         -> gcmon__auth_challenge: nonce for HelloResponse.nonce
 *     auth{proof}   -> gcmon__auth_prove: keyed (a MAC session) or not
 *     control call  -> gcmon__auth_check_mac: counter fresh and tag right
 */
#ifndef GCMON_AUTH_H
#define GCMON_AUTH_H

#include "gcmon_mac.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gcmon__auth {
  bool challenged; /* a nonce was sent and no auth has used it yet */
  bool keyed;      /* auth succeeded: key is this session's K */
  uint8_t server_nonce[GCMON_MAC_NONCE_SIZE];
  uint8_t client_nonce[GCMON_MAC_NONCE_SIZE];
  uint8_t key[GCMON_MAC_KEY_SIZE];
  uint32_t last_counter; /* highest counter accepted (0 = none yet) */
} gcmon__auth;

/* Forget everything (a new hello, a closed session); the key is wiped. */
void gcmon__auth_reset(gcmon__auth *au);

/* Fills nonce[0..16) from random (0 on success) and records both nonces.
 * False, with nothing recorded, when client_nonce is not 16 bytes or the
 * random source fails: then no challenge is offered. */
bool gcmon__auth_challenge(gcmon__auth *au, const uint8_t *client_nonce,
                           size_t client_nonce_len,
                           int (*random)(void *data, uint8_t *buf, size_t n),
                           void *random_data,
                           uint8_t nonce[GCMON_MAC_NONCE_SIZE]);

/* Check an AuthRequest.proof against the token; uses up the challenge
 * either way. True: the session is keyed, its counter starts again. The
 * comparison takes the same time wherever the proof differs. */
bool gcmon__auth_prove(gcmon__auth *au, const uint8_t *token, size_t token_len,
                       uint64_t run_id, const uint8_t *proof, size_t proof_len);

typedef enum {
  GCMON__MAC_OK = 0,
  GCMON__MAC_NOT_KEYED,  /* a mac, but no successful auth in this session */
  GCMON__MAC_MALFORMED,  /* tag not 16 bytes, counter 0, odd payload shape */
  GCMON__MAC_STALE,      /* counter not above the last one accepted */
  GCMON__MAC_BAD_TAG     /* the tag does not match the request */
} gcmon__mac_result;

/* Verify one control request: payload is the Packet exactly as received.
 * Only GCMON__MAC_OK advances the counter; anything else changes nothing. */
gcmon__mac_result gcmon__auth_check_mac(gcmon__auth *au,
                                        const uint8_t *payload, size_t len,
                                        uint32_t counter, const uint8_t *tag,
                                        size_t tag_len);

/* Short reason for a status message. */
const char *gcmon__mac_result_text(gcmon__mac_result r);

#endif
