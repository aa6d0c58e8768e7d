/* The challenge-response construction both ends share (docs/protocol.md,
 * "Challenge-response control"): session key, auth proof, request tags,
 * and the split of a request's bytes around its `mac` field.
 *
 * HMAC-SHA256 (RFC 2104) over mbedTLS's SHA-256: the context lives on the
 * stack, so nothing here allocates (mbedTLS's own HMAC, mbedtls_md_hmac,
 * callocs a context per call, which the agent core may not do). Pure
 * functions, no I/O, no state; the caller brings the nonces.
 *
 *     uint8_t k[GCMON_MAC_KEY_SIZE], proof[GCMON_MAC_PROOF_SIZE];
 *     gcmon_mac_session_key(token, token_len, server_nonce, client_nonce,
 *                           run_id, k);
 *     gcmon_mac_proof(k, proof);                       // AuthRequest.proof
 *     gcmon_mac_request_tag(k, counter, parts, n, tag); // RequestMac.tag
 */
#ifndef GCMON_MAC_H
#define GCMON_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCMON_MAC_NONCE_SIZE 16u /* HelloRequest.client_nonce, .nonce */
#define GCMON_MAC_KEY_SIZE   32u /* session key K */
#define GCMON_MAC_PROOF_SIZE 32u /* AuthRequest.proof */
#define GCMON_MAC_TAG_SIZE   16u /* RequestMac.tag: HMAC truncated */
#define GCMON_MAC_SHA256_SIZE 32u

/* Field number of Request.mac: the bytes a tag covers are the Request's
 * encoding with this field left out. */
#define GCMON_MAC_REQUEST_FIELD 30u

/* One piece of a message: HMAC input is the concatenation of parts. */
typedef struct {
  const uint8_t *data;
  size_t len;
} gcmon_mac_part;

/* HMAC-SHA256(key, parts[0] || parts[1] || ...). */
void gcmon_hmac_sha256(const uint8_t *key, size_t key_len,
                       const gcmon_mac_part *parts, size_t n_parts,
                       uint8_t out[GCMON_MAC_SHA256_SIZE]);

/* K = HMAC-SHA256(token, "gcmon 1.1 session" 0x00 || server_nonce ||
 *                        client_nonce || run_id as 8 bytes big-endian). */
void gcmon_mac_session_key(const uint8_t *token, size_t token_len,
                           const uint8_t server_nonce[GCMON_MAC_NONCE_SIZE],
                           const uint8_t client_nonce[GCMON_MAC_NONCE_SIZE],
                           uint64_t run_id, uint8_t key[GCMON_MAC_KEY_SIZE]);

/* proof = HMAC-SHA256(K, "gcmon 1.1 auth" 0x00). */
void gcmon_mac_proof(const uint8_t key[GCMON_MAC_KEY_SIZE],
                     uint8_t proof[GCMON_MAC_PROOF_SIZE]);

/* tag = first 16 bytes of HMAC-SHA256(K, "gcmon 1.1 request" 0x00 ||
 *       counter as 4 bytes big-endian || request), where request is the
 *       concatenation of at most two parts (more are ignored): the
 *       Request's bytes without field 30, as gcmon_mac_split_request
 *       gives them, or whole as a sender encodes them. */
void gcmon_mac_request_tag(const uint8_t key[GCMON_MAC_KEY_SIZE],
                           uint32_t counter, const gcmon_mac_part *request,
                           size_t n_parts, uint8_t tag[GCMON_MAC_TAG_SIZE]);

/* Equal bytes, in a time that depends only on n: every byte is looked at,
 * whatever the first difference (no early exit). */
bool gcmon_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

/* Split a Packet payload that carries one Request into the pieces a tag
 * covers. The payload must be exactly one Packet field 1 (the request);
 * inside it the one field 30 (mac) is left out: before[] and after[] are
 * the Request's bytes on either side of it. False when the payload is not
 * of that shape (another Packet field, a repeated request, no mac or more
 * than one, a malformed varint): such a request cannot verify. */
bool gcmon_mac_split_request(const uint8_t *payload, size_t len,
                             gcmon_mac_part parts[2]);

#endif
