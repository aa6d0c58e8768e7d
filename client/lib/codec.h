/* Packet codec: plain C structs <-> gcmon.v1 Packets (protobuf-c) <-> frames.
 *
 * The only files that see protobuf-c types (codec_insight.c holds the
 * 1.1 memory-insight messages). Requests are encoded straight
 * into a framed buffer; received payloads are decoded, checked and copied
 * into the plain structs of gcmon/client.h, so nothing protobuf-c allocated
 * outlives gcmon__decode_packet(). Daemon input is untrusted: strings are
 * bounded and cleaned, history must be in ascending seq, and a Packet that
 * is not a Response or an Event is reported as ignorable. */
#ifndef GCMON_CLIENT_CODEC_H
#define GCMON_CLIENT_CODEC_H

#include "gcmon/client.h"
#include "gcmon_compact.h"

#include "gcmon_mac.h"

#include <stddef.h>
#include <stdint.h>

/* The 1.1 auth call (challenge-response, hello_auth.c): internal, not a public
 * gcmon_call. */
#define GCMON__CALL_AUTH ((gcmon_call)0x100)
/* The 1.1 keyframe call (compact streams, subs_compact.c): internal too;
 * it carries u.subscription. */
#define GCMON__CALL_KEYFRAME ((gcmon_call)0x101)

/* Everything one request carries on the wire. */
typedef struct gcmon__wire_request {
  uint32_t id;
  gcmon_call call;
  /* A MAC session's control call: the session key and this request's
   * counter (set by the conn when it sends); NULL = no mac. */
  const uint8_t *mac_key;
  uint32_t mac_counter;
  union {
    struct {
      const char *client;
      const uint8_t *token;
      size_t token_len;
      uint32_t minor;              /* 0 = v1 hello */
      const uint8_t *client_nonce; /* GCMON_MAC_NONCE_SIZE bytes, or NULL */
      bool compact;                /* ask for the compact stream (1.1) */
      uint32_t compact_latency_ms; /* 0 = the daemon's default */
    } hello;
    const uint8_t *auth_proof; /* GCMON_MAC_PROOF_SIZE bytes */
    int64_t threshold_bytes;
    bool enabled;
    struct {
      uint32_t interval_ms;
      uint64_t from_seq;
      bool watermarks, collections, alarms; /* 1.1 */
    } subscribe;
    uint32_t subscription;
    struct {
      uint64_t from_seq;
      uint32_t max_count;
      bool compact; /* answer with History.batch (1.1) */
    } history;
    bool reset_watermarks;
    struct {
      uint64_t from_number;
      uint32_t max_count;
    } collections;
    gcmon_alarm_rule alarm;
    uint32_t alarm_id;
  } u;
} gcmon__wire_request;

/* Which result a Response carried. */
typedef enum {
  GCMON__RESULT_NONE = 0,
  GCMON__RESULT_HELLO,
  GCMON__RESULT_SAMPLE,
  GCMON__RESULT_COLLECT,
  GCMON__RESULT_SUBSCRIBED,
  GCMON__RESULT_HISTORY,
  GCMON__RESULT_AUTH,
  GCMON__RESULT_WATERMARKS,
  GCMON__RESULT_COLLECTIONS,
  GCMON__RESULT_ALARM,
  GCMON__RESULT_ALARMS
} gcmon__result;

typedef enum {
  GCMON__IN_IGNORED = 0, /* a Packet with nothing for a client in it */
  GCMON__IN_RESPONSE,
  GCMON__IN_EVENT
} gcmon__in_kind;

typedef struct gcmon__incoming {
  gcmon__in_kind kind;
  uint32_t id;          /* response */
  gcmon_status status;  /* response */
  gcmon__result result; /* response */
  union {
    gcmon_info hello;
    gcmon_sample sample;
    gcmon_collect_result collect;
    gcmon_subscribed subscribed;
    gcmon_history history;
    gcmon_watermark_window watermarks;
    gcmon_collections collections;
    gcmon_alarm_rule alarm;
    gcmon_alarm_list alarms;
    gcmon_collection collection;   /* event body */
    gcmon_alarm_event alarm_event; /* event body */
  } u;                             /* response result, or the event's body */
  uint32_t subscription;           /* event */
  bool has_sample;                 /* event: body was a sample */
  bool has_collection;             /* event: body was a CollectionRecord */
  bool has_alarm;                  /* event: body was an AlarmEvent */
  bool has_watermarks;             /* event: Event.watermarks was set */
  gcmon_watermarks watermarks;
  /* hello: the 1.1 fields (minor 0 from a v1 daemon) */
  uint32_t hello_minor;
  bool hello_mac_required;
  size_t hello_nonce_len; /* GCMON_MAC_NONCE_SIZE, or 0 when absent/odd */
  uint8_t hello_nonce[GCMON_MAC_NONCE_SIZE];
  bool auth_control; /* auth: AuthResult.control */
  /* A SampleBatch (1.1): an event's body, or a History's samples. */
  bool has_batch;
  uint64_t batch_first_seq;
  uint32_t batch_count;
  size_t batch_len;
  uint8_t batch[GCMON_COMPACT_DATA_MAX];
} gcmon__incoming;

/* Encode r as one frame into out (cap >= GCMON_FRAME_WIRE_MAX). Returns the
 * frame length, or a negative GCMON_E* (EINVAL for an unencodable request). */
long gcmon__encode_request(const gcmon__wire_request *r, uint8_t *out,
                           size_t cap);

/* Decode one payload. Returns 0, or GCMON_EPARSE when it is not a Packet
 * or breaks the protocol's rules (then *in is unspecified). */
int gcmon__decode_packet(const uint8_t *payload, size_t len,
                         gcmon__incoming *in);

/* The result a successful call of this kind must carry. */
gcmon__result gcmon__expected_result(gcmon_call call);

/* Copy at most cap-1 bytes of untrusted text into dst, NUL-terminated,
 * control bytes replaced by '?', no partial UTF-8 sequence at the end. */
void gcmon__copy_text(char *dst, size_t cap, const char *src);

/* Packet{request: body ‖ field 30 {counter, tag}} into payload, where body
 * is the encoded Request without mac. Returns its length, 0 if cap is too
 * small. */
size_t gcmon__mac_payload(const uint8_t key[GCMON_MAC_KEY_SIZE],
                          uint32_t counter, const uint8_t *body, size_t len,
                          uint8_t *payload, size_t cap);

#endif
