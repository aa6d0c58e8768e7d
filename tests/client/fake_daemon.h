/* A scripted gcmond for the client library's tests: a thread serving one
 * session at a time over loopback TCP or a pty master, answering with
 * protobuf-c-encoded Packets. Its series is synthetic (fake_sample()), so
 * a test can check that every value arrived intact. Knobs change how it
 * misbehaves; counters say what the client asked. */
#ifndef GCMON_TEST_FAKE_DAEMON_H
#define GCMON_TEST_FAKE_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "gcmon/sample.h"

#define FAKE_SUBS_MAX 8

typedef struct fake_daemon {
  /* set up by fake_start_*() */
  int listen_fd; /* TCP, -1 for a pty */
  int master_fd; /* pty, -1 for TCP */
  uint16_t port;
  char pty_path[64];
  pthread_t thread;
  pthread_mutex_t mu;

  /* knobs: change under mu (fake_lock) while running */
  uint64_t run_id;
  uint32_t min_interval_ms;
  uint64_t oldest, newest;     /* the series retained: oldest..newest */
  bool silent;                 /* read requests, never answer */
  bool refuse;                 /* answer a new session with id 0 */
  bool tick;                   /* take a new sample every 10 ms and stream it */
  uint64_t first_seq_override; /* next subscribe answers this first_seq */
  int drop_after_events;       /* close the session after this many events */
  uint32_t history_per_answer; /* samples per History (default 4) */
  /* A full ring sampling on while a download runs: after the Nth History
   * answer (1-based) the series moves on by history_lap[N] seqs (oldest
   * and newest alike), as a ring does during a round trip. */
  uint32_t history_lap[64];
  bool forget;                 /* restart: forget the session until hello */
  uint64_t lose_live_seq;      /* stream this seq to no one, once (a frame
                                  the line destroyed); replays still have it */
  bool stop;

  /* observations */
  int sessions;
  int hellos;
  int subscribes;
  uint64_t subscribe_from[16]; /* from_seq of each subscribe, in order */
  int history_requests; /* answered so far */
  int max_history_in_flight; /* most get_history read before answering */
  int events_sent;

  /* per session, the fake's own */
  int fd;
  uint32_t sub_ids[FAKE_SUBS_MAX];
  int nsubs;
  uint32_t next_sub_id;
  int session_events;
} fake_daemon;

void fake_sample(uint64_t seq, gcmon_sample *out);

int fake_start_tcp(fake_daemon *f);
int fake_start_pty(fake_daemon *f);
void fake_stop(fake_daemon *f);
void fake_lock(fake_daemon *f);
void fake_unlock(fake_daemon *f);
/* Close the current session from the daemon side (as a dropped link). */
void fake_drop(fake_daemon *f);

#endif
