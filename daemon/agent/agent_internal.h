/* Agent core internals shared by agent.c, session.c, stream.c and
 * dispatch.c. Nothing outside daemon/agent/ includes this. */
#ifndef GCMON_AGENT_INTERNAL_H
#define GCMON_AGENT_INTERNAL_H

#include "agent.h"
#include "auth.h"
#include "codec.h"
#include "gcmon_compact.h"
#include "history.h"

#define GCMON__PEER_MAX           64
#define GCMON__STATUS_MESSAGE_MAX 96

/* A subscription is a cursor into the shared history ring: events are
 * encoded lazily from it when the transport can take them, so a slow reader
 * costs no memory beyond its session's fixed output buffer. */
typedef struct {
  uint32_t id;            /* 0 = slot free */
  uint32_t every;         /* deliver every n-th series sample (interval/min) */
  uint64_t next_seq;      /* next seq to deliver */
  bool catching_up;       /* a from_seq replay not yet caught up with the
                             newest sample: its lag bound is what it asked
                             for plus queue_events, not queue_events */
  uint64_t replay_events; /* events the replay asked for, at subscribe */
  bool compact;           /* served as SampleBatch events (compact.c) */
  gcmon_compact_encoder enc;
} gcmon__subscription;

struct gcmon_session {
  gcmon_agent *agent;
  bool in_use;
  bool hello_done;
  bool control;       /* session-wide: trusted, or the cleartext token */
  bool trusted;
  gcmon__auth auth;   /* challenge-response; control per MAC'd request */
  bool uart;
  bool expired;       /* no hello in time: the transport should close it */
  uint64_t opened_us; /* agent clock at open, for the hello deadline */
  bool frame_pending; /* the decoder holds a frame waiting for output room */
  char peer[GCMON__PEER_MAX];
  void (*wake)(gcmon_session *s);
  void *data;
  uint32_t link_bytes_per_s;                 /* 0 = no time bound */
  size_t (*link_backlog)(gcmon_session *s); /* may be NULL */
  uint64_t link_est_bytes; /* written, not yet on the wire at link speed */
  uint64_t link_est_us;    /* agent clock of that estimate */

  /* The compact stream, when hello asked for it (compact.c). */
  bool compact;
  uint32_t compact_latency_ms;
  uint32_t compact_keyframe_every;

  gcmon_frame_decoder decoder;
  uint8_t decoder_buf[GCMON_FRAME_MAX];

  uint8_t out[GCMON_SESSION_OUTPUT_SIZE];
  size_t out_head; /* first byte not yet handed to the transport's write */
  size_t out_tail; /* end of queued bytes */

  gcmon__subscription *subs; /* max_subscriptions slots in the agent's pool */
  uint32_t next_sub_id;
  uint64_t events_dropped;
};

struct gcmon_agent {
  gcmon_agent_config cfg;
  uint8_t token[GCMON_TOKEN_MAX];
  char daemon_name[33];
  gcmon__history history;
  gcmon_session *sessions; /* max_sessions slots */
  gcmon__subscription *sub_pool;
  unsigned open_sessions;
  unsigned open_network_sessions; /* all but the UART's */
  gcmon_agent_stats stats;
  uint64_t failed_reads; /* consecutive ticks whose read failed */

  /* Scratch for the one thread that runs the agent: one request or event
   * is decoded/encoded at a time. */
  gcmon_v1_Packet rx;
  const uint8_t *rx_payload; /* rx's bytes as received (request MACs) */
  size_t rx_len;
  gcmon_v1_Packet tx;
  uint8_t payload[GCMON_MAX_PAYLOAD];

  /* The series sample event_seq, encoded (0 = none yet): every
   * subscription that sends it reuses these bytes (stream.c). */
  uint64_t event_seq;
  size_t event_sample_len;
  uint8_t event_sample[gcmon_v1_Sample_size];
};

/* Read the source now into out, whose seq is set first: the series number
 * this reading will take, or 0 for an on-demand reading (see source.h).
 * 0 or a GCMON_E* with a message in the source's error. */
int gcmon__agent_read_now(gcmon_agent *a, uint64_t seq, gcmon_sample *out);

/* dispatch.c: handle one decoded request into a->tx (a response). */
void gcmon__dispatch_request(gcmon_session *s, const gcmon_v1_Request *req,
                             gcmon_v1_Response *resp);

/* session_auth.c: the challenge-response rules of a session.
 * On hello: control from trust or the cleartext token (never with
 * require_mac), the 1.1 auth fields of the answer; returns control. */
bool gcmon__auth_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                       gcmon_v1_Response *resp);
void gcmon__call_auth(gcmon_session *s, const gcmon_v1_Request *req,
                      gcmon_v1_Response *resp);
/* May this request exercise control (a control call, or a control option
 * such as get_watermarks' reset)? A request with a mac must verify (on any
 * call: dispatch checks it for every request that carries one); one
 * without needs the session's own control. False: resp has
 * PERMISSION_DENIED naming what, and nothing may change. */
bool gcmon__may_control(gcmon_session *s, const gcmon_v1_Request *req,
                        const char *what, gcmon_v1_Response *resp);

/* Fill resp->status; message printf-style (truncated at 96 bytes). */
void gcmon__set_status(gcmon_v1_Response *resp, gcmon_v1_Status_Code code,
                       const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* session.c: encode a->tx and append it as one frame to s's output.
 * False when it did not fit (the caller checked room first). */
bool gcmon__session_send_packet(gcmon_session *s);
/* Append payload[0..n) as one frame to s's output; false if it does not
 * fit. */
bool gcmon__session_send_payload(gcmon_session *s, const uint8_t *payload,
                                 size_t n);
size_t gcmon__session_out_free(const gcmon_session *s);

/* compact.c: the compact stream (protocol 1.1). */
void gcmon__compact_hello(gcmon_session *s, const gcmon_v1_HelloRequest *h,
                          gcmon_v1_HelloResponse *r);
void gcmon__compact_subscribed(gcmon_session *s, gcmon__subscription *sub,
                               const gcmon_v1_SubscribeRequest *sr);
void gcmon__call_keyframe(gcmon_session *s, const gcmon_v1_Request *req,
                          gcmon_v1_Response *resp);
/* Fill r with a compact batch from seq; returns the seq after it. */
uint64_t gcmon__compact_history(gcmon_session *s, uint64_t seq,
                                uint32_t max_count, gcmon_v1_History *r);
/* A compact subscription has a batch to send now (its latency is up, or
 * it is replaying). */
bool gcmon__compact_due(const gcmon_session *s,
                        const gcmon__subscription *sub);
/* Encode and queue sub's next batch; false when it did not fit. */
bool gcmon__compact_send(gcmon_session *s, gcmon__subscription *sub);
/* Seqs a compact subscription may lag beyond queue_events. */
uint64_t gcmon__compact_extra_lag(const gcmon_session *s,
                                  const gcmon__subscription *sub);

/* lag.c: the time bound of rate-limited links (UART). */
/* Oldest seq a live subscription may still be sent; 0 = no bound. */
uint64_t gcmon__lag_oldest_allowed(gcmon_session *s);
/* False while the link already holds as many bytes as the bound allows. */
bool gcmon__lag_may_fill(gcmon_session *s);
/* n bytes were handed to the transport. */
void gcmon__lag_sent(gcmon_session *s, size_t n);
/* The longest compact latency a session may be granted. */
uint32_t gcmon__lag_latency_cap_ms(const gcmon_session *s);

/* stream.c: subscriptions. */
void gcmon__stream_reset(gcmon_session *s);
void gcmon__stream_bound_lag(gcmon_session *s);
bool gcmon__stream_has_pending(const gcmon_session *s);
void gcmon__stream_fill(gcmon_session *s);

#endif
