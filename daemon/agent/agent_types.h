/* The agent core's shared types: a subscription, a session and the agent
 * itself, with the limits that size them. Types only: no function of any
 * layer is declared here (docs/design.md, "Layers"), so every file of
 * daemon/agent may include it without depending on another. Nothing
 * outside daemon/agent/ includes this. */
#ifndef GCMON_AGENT_TYPES_H
#define GCMON_AGENT_TYPES_H

#include "agent.h"
#include "alarms.h"
#include "auth.h"
#include "codec.h"
#include "gcmon_compact.h"
#include "collections.h"
#include "history.h"
#include "watermarks.h"

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
  /* 1.1 memory insight (insight_stream.c) */
  bool want_watermarks, want_collections, want_alarms;
  uint64_t wm_prev;            /* last tick the delivered watermarks covered */
  gcmon_watermarks wm_evicted; /* ticks after wm_prev that left history */
  uint64_t next_collection;    /* cursor in the collection ring */
  uint64_t next_alarm_event;   /* cursor in the alarm event ring */
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
  char client[33]; /* HelloRequest.client, for alarm owners */
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

  /* 1.1 memory insight (insight.c): the daemon-wide watermark window, the
   * collection ring and the alarm rules, all inline. */
  gcmon_watermarks wm_window;
  uint64_t wm_window_start_us;
  gcmon__collections collections;
  gcmon__alarms alarms;
  /* The last collection record and alarm event encoded for subscribers,
   * reused by every other subscription that sends it (insight_stream.c);
   * number 0 = none. */
  uint64_t coll_number, alarm_number;
  size_t coll_len, alarm_len;
  uint8_t coll_bytes[gcmon_v1_CollectionRecord_size];
  uint8_t alarm_bytes[gcmon_v1_AlarmEvent_size];
};

#endif
