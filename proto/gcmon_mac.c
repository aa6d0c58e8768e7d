/* Challenge-response construction shared by daemon and client (see
 * gcmon_mac.h): HMAC-SHA256 over mbedTLS's SHA-256, the three derivations
 * of docs/protocol.md, a constant-time compare, and a protobuf wire walk
 * that finds the bytes a request tag covers. */
#include "gcmon_mac.h"

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <string.h>

/* mbedTLS 2.x (Debian 12) names the int-returning SHA-256 calls *_ret;
 * 3.x (MicroPython's lib/mbedtls, CanMV) dropped the suffix. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define sha256_starts mbedtls_sha256_starts_ret
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#else
#define sha256_starts mbedtls_sha256_starts
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#endif

#define SHA256_BLOCK 64u

static const char label_session[] = "gcmon 1.1 session";
static const char label_auth[] = "gcmon 1.1 auth";
static const char label_request[] = "gcmon 1.1 request";

/* SHA-256(prefix || parts...); prefix is one 64-byte HMAC pad, or NULL.
 * The software SHA-256 cannot fail on valid arguments; a hardware-backed
 * one (CanMV's MBEDTLS_SHA256_ALT) could: then out is poisoned with a
 * pattern no HMAC output is expected to equal, so nothing verifies. */
static void sha256_parts(const uint8_t *prefix, const gcmon_mac_part *parts,
                         size_t n, uint8_t out[GCMON_MAC_SHA256_SIZE]) {
  mbedtls_sha256_context ctx;
  int rc;

  mbedtls_sha256_init(&ctx);
  rc = sha256_starts(&ctx, 0);
  if (prefix)
    rc |= sha256_update(&ctx, prefix, SHA256_BLOCK);
  for (size_t i = 0; i < n; i++)
    if (parts[i].len)
      rc |= sha256_update(&ctx, parts[i].data, parts[i].len);
  rc |= sha256_finish(&ctx, out);
  mbedtls_sha256_free(&ctx);
  if (rc != 0) {
    memset(out, 0xff, GCMON_MAC_SHA256_SIZE);
    memset(out, 0x00, GCMON_MAC_SHA256_SIZE / 2);
  }
}

void gcmon_hmac_sha256(const uint8_t *key, size_t key_len,
                       const gcmon_mac_part *parts, size_t n_parts,
                       uint8_t out[GCMON_MAC_SHA256_SIZE]) {
  uint8_t k0[SHA256_BLOCK] = {0};
  uint8_t pad[SHA256_BLOCK];
  uint8_t inner[GCMON_MAC_SHA256_SIZE];
  gcmon_mac_part inner_part = {inner, sizeof inner};

  if (key_len > SHA256_BLOCK) { /* RFC 2104: a long key is hashed first */
    gcmon_mac_part whole = {key, key_len};
    sha256_parts(NULL, &whole, 1, k0);
  } else if (key_len) {
    memcpy(k0, key, key_len);
  }
  for (size_t i = 0; i < SHA256_BLOCK; i++)
    pad[i] = (uint8_t)(k0[i] ^ 0x36u);
  sha256_parts(pad, parts, n_parts, inner);
  for (size_t i = 0; i < SHA256_BLOCK; i++)
    pad[i] = (uint8_t)(k0[i] ^ 0x5cu);
  sha256_parts(pad, &inner_part, 1, out);
  mbedtls_platform_zeroize(k0, sizeof k0);
  mbedtls_platform_zeroize(pad, sizeof pad);
  mbedtls_platform_zeroize(inner, sizeof inner);
}

static void put_be(uint8_t *out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
}

void gcmon_mac_session_key(const uint8_t *token, size_t token_len,
                           const uint8_t server_nonce[GCMON_MAC_NONCE_SIZE],
                           const uint8_t client_nonce[GCMON_MAC_NONCE_SIZE],
                           uint64_t run_id, uint8_t key[GCMON_MAC_KEY_SIZE]) {
  uint8_t run[8];
  gcmon_mac_part parts[4] = {
      {(const uint8_t *)label_session, sizeof label_session}, /* with NUL */
      {server_nonce, GCMON_MAC_NONCE_SIZE},
      {client_nonce, GCMON_MAC_NONCE_SIZE},
      {run, sizeof run},
  };
  put_be(run, run_id, sizeof run);
  gcmon_hmac_sha256(token, token_len, parts, 4, key);
}

void gcmon_mac_proof(const uint8_t key[GCMON_MAC_KEY_SIZE],
                     uint8_t proof[GCMON_MAC_PROOF_SIZE]) {
  gcmon_mac_part label = {(const uint8_t *)label_auth, sizeof label_auth};
  gcmon_hmac_sha256(key, GCMON_MAC_KEY_SIZE, &label, 1, proof);
}

void gcmon_mac_request_tag(const uint8_t key[GCMON_MAC_KEY_SIZE],
                           uint32_t counter, const gcmon_mac_part *request,
                           size_t n_parts, uint8_t tag[GCMON_MAC_TAG_SIZE]) {
  uint8_t ctr[4];
  uint8_t full[GCMON_MAC_SHA256_SIZE];
  gcmon_mac_part parts[2 + 2] = {
      {(const uint8_t *)label_request, sizeof label_request},
      {ctr, sizeof ctr},
  };
  size_t n = 2;

  put_be(ctr, counter, sizeof ctr);
  for (size_t i = 0; i < n_parts && n < sizeof parts / sizeof parts[0]; i++)
    parts[n++] = request[i];
  gcmon_hmac_sha256(key, GCMON_MAC_KEY_SIZE, parts, n, full);
  memcpy(tag, full, GCMON_MAC_TAG_SIZE);
  mbedtls_platform_zeroize(full, sizeof full);
}

bool gcmon_mac_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < n; i++)
    diff = (uint8_t)(diff | (a[i] ^ b[i]));
  return diff == 0;
}

/* ---- protobuf wire walk ------------------------------------------------ */

static bool read_varint(const uint8_t *p, size_t len, size_t *at,
                        uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    if (*at >= len)
      return false;
    b = p[(*at)++];
    v |= (uint64_t)(b & 0x7fu) << shift;
    if (!(b & 0x80u)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* Skip the value of a field of wire type wt at *at. */
static bool skip_value(const uint8_t *p, size_t len, size_t *at,
                       unsigned wt) {
  uint64_t v;
  switch (wt) {
  case 0:
    return read_varint(p, len, at, &v);
  case 1:
    v = 8;
    break;
  case 5:
    v = 4;
    break;
  case 2:
    if (!read_varint(p, len, at, &v))
      return false;
    break;
  default: /* groups: not in gcmon.proto */
    return false;
  }
  if (v > len - *at)
    return false;
  *at += (size_t)v;
  return true;
}

bool gcmon_mac_split_request(const uint8_t *payload, size_t len,
                             gcmon_mac_part parts[2]) {
  size_t at = 0, start, end, field_at = 0, field_end = 0;
  unsigned macs = 0;
  uint64_t tag, n;

  /* The whole payload is Packet field 1 (length-delimited). */
  if (!read_varint(payload, len, &at, &tag) || tag != ((1u << 3) | 2u) ||
      !read_varint(payload, len, &at, &n) || n != len - at)
    return false;
  start = at;
  end = len;
  while (at < end) {
    size_t here = at;
    if (!read_varint(payload, end, &at, &tag) ||
        !skip_value(payload, end, &at, (unsigned)(tag & 7u)))
      return false;
    if ((tag >> 3) == GCMON_MAC_REQUEST_FIELD) {
      if ((tag & 7u) != 2u)
        return false;
      macs++;
      field_at = here;
      field_end = at;
    }
  }
  if (macs != 1)
    return false;
  parts[0] = (gcmon_mac_part){payload + start, field_at - start};
  parts[1] = (gcmon_mac_part){payload + field_end, end - field_end};
  return true;
}
