/* Agent lifecycle, the sampler tick and the session pool (see agent.h).
 *
 * Sessions live in a pool sized at init (max_sessions), each with its
 * decoder and output buffers inline, and subscriptions in one pool of
 * max_sessions x max_subscriptions cursors: after init nothing allocates. */
#define _POSIX_C_SOURCE 200809L
#include "agent_types.h"
#include "host.h"
#include "insight.h"
#include "status.h"
#include "stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gcmon_agent_config_defaults(gcmon_agent_config *cfg) {
  *cfg = (gcmon_agent_config){
      .interval_ms = GCMON_DEFAULT_INTERVAL_MS,
      .history_capacity = GCMON_DEFAULT_HISTORY,
      .max_sessions = GCMON_DEFAULT_MAX_SESSIONS,
      .max_subscriptions = GCMON_DEFAULT_MAX_SUBSCRIPTIONS,
      .queue_events = GCMON_DEFAULT_QUEUE_EVENTS,
      .max_lag_ms = GCMON_DEFAULT_MAX_LAG_MS,
      .daemon_name = "gcmond",
  };
}

static int check_config(const gcmon_agent_config *cfg) {
  if (!cfg->source || !cfg->now_us)
    return GCMON_EINVAL;
  if (cfg->interval_ms < GCMON_MIN_INTERVAL_MS ||
      cfg->interval_ms > GCMON_MAX_SUBSCRIPTION_INTERVAL_MS)
    return GCMON_EINVAL;
  if (cfg->history_capacity == 0 || cfg->max_sessions == 0 ||
      cfg->max_subscriptions == 0 || cfg->queue_events == 0)
    return GCMON_EINVAL;
  if (cfg->token_len > GCMON_TOKEN_MAX)
    return GCMON_EINVAL;
  return 0;
}

int gcmon_agent_init(gcmon_agent **out, const gcmon_agent_config *cfg) {
  gcmon_agent *a;
  int err = check_config(cfg);
  if (err)
    return err;

  a = calloc(1, sizeof *a);
  if (!a)
    return GCMON_ENOMEM;
  a->cfg = *cfg;
  if (cfg->token_len)
    memcpy(a->token, cfg->token, cfg->token_len);
  a->cfg.token = NULL; /* the caller's buffer may go; ours stays */
  snprintf(a->daemon_name, sizeof a->daemon_name, "%s",
           cfg->daemon_name ? cfg->daemon_name : "gcmond");

  a->sessions = calloc(cfg->max_sessions, sizeof *a->sessions);
  a->sub_pool = calloc((size_t)cfg->max_sessions * cfg->max_subscriptions,
                       sizeof *a->sub_pool);
  if (!a->sessions || !a->sub_pool ||
      gcmon__history_init(&a->history, cfg->history_capacity) != 0) {
    free(a->sessions);
    free(a->sub_pool);
    free(a);
    return GCMON_ENOMEM;
  }
  for (uint32_t i = 0; i < cfg->max_sessions; i++)
    a->sessions[i].subs = &a->sub_pool[(size_t)i * cfg->max_subscriptions];
  gcmon__insight_init(a);
  *out = a;
  return 0;
}

void gcmon_agent_close(gcmon_agent *a) {
  if (!a)
    return;
  for (uint32_t i = 0; i < a->cfg.max_sessions; i++)
    if (a->sessions[i].in_use)
      gcmon_session_close(&a->sessions[i]);
  gcmon__history_close(&a->history);
  free(a->sessions);
  free(a->sub_pool);
  free(a);
}

/* Network sessions that never said hello within the deadline are marked
 * for closing; their transport is woken to do it. */
static void expire_silent_sessions(gcmon_agent *a) {
  uint64_t now = a->cfg.now_us(a->cfg.clock_data);
  for (uint32_t i = 0; i < a->cfg.max_sessions; i++) {
    gcmon_session *s = &a->sessions[i];
    if (!s->in_use || s->uart || s->hello_done || s->expired ||
        now - s->opened_us < (uint64_t)GCMON_HELLO_TIMEOUT_MS * 1000u)
      continue;
    s->expired = true;
    gcmon_agent_log(a, GCMON_LOG_INFO, "closing %s: no hello in %u s", s->peer,
                    GCMON_HELLO_TIMEOUT_MS / 1000u);
    if (s->wake)
      s->wake(s);
  }
}

int gcmon_agent_tick(gcmon_agent *a) {
  gcmon_sample s;
  int err = gcmon__agent_read_now(a, a->history.newest + 1, &s);
  if (err) {
    /* Said once per run of failures (at 100 Hz a broken source would
     * otherwise fill the log), and again when it recovers. */
    if (a->failed_reads++ == 0)
      gcmon_agent_log(
          a, GCMON_LOG_WARN, "%s: read failed: %s", a->cfg.source->ops->name,
          a->cfg.source->error[0] ? a->cfg.source->error : gcmon_strerror(err));
    a->stats.read_errors++;
    return err;
  }
  if (a->failed_reads) {
    gcmon_agent_log(a, GCMON_LOG_INFO,
                    "%s: readable again after %lu failed "
                    "reads",
                    a->cfg.source->ops->name, (unsigned long)a->failed_reads);
    a->failed_reads = 0;
  }
  gcmon__insight_before_append(a);
  gcmon__history_append(&a->history, &s);
  a->stats.samples++;
  gcmon__insight_tick(a, &s);

  expire_silent_sessions(a);
  for (uint32_t i = 0; i < a->cfg.max_sessions; i++) {
    gcmon_session *sess = &a->sessions[i];
    if (!sess->in_use)
      continue;
    gcmon__stream_bound_lag(sess);
    if (gcmon__stream_has_pending(sess) && sess->wake)
      sess->wake(sess);
  }
  return 0;
}

const gcmon_agent_stats *gcmon_agent_get_stats(const gcmon_agent *a) {
  return &a->stats;
}

uint32_t gcmon_agent_interval_ms(const gcmon_agent *a) {
  return a->cfg.interval_ms;
}

uint64_t gcmon_agent_run_id(const gcmon_agent *a) {
  return a->cfg.run_id;
}

unsigned gcmon_agent_session_count(const gcmon_agent *a) {
  return a->open_sessions;
}

unsigned gcmon_agent_alarm_rule_count(const gcmon_agent *a) {
  unsigned n = 0;
  for (size_t i = 0; i < GCMON_ALARMS_MAX; i++)
    n += a->alarms.rules[i].in_use;
  return n;
}

bool gcmon_session_should_close(const gcmon_session *s) {
  return s->expired;
}

int gcmon_agent_open_session(gcmon_agent *a, const gcmon_session_config *cfg,
                             gcmon_session **out) {
  /* The UART's slot is kept for it whatever max_sessions is: with 1, TCP
   * gets none (gcmond refuses that combination at startup). */
  unsigned network_max =
      a->cfg.max_sessions - (a->cfg.reserve_uart_slot ? 1u : 0u);
  if (!cfg->uart && a->open_network_sessions >= network_max) {
    expire_silent_sessions(a); /* frees slots for the next attempt */
    goto refuse;
  }
  for (uint32_t i = 0; i < a->cfg.max_sessions; i++) {
    gcmon_session *s = &a->sessions[i];
    gcmon__subscription *subs = s->subs;
    if (s->in_use)
      continue;
    memset(s, 0, sizeof *s);
    s->subs = subs;
    s->agent = a;
    s->in_use = true;
    s->trusted = cfg->trusted;
    s->uart = cfg->uart;
    s->opened_us = a->cfg.now_us(a->cfg.clock_data);
    s->wake = cfg->wake;
    s->data = cfg->data;
    s->link_bytes_per_s = cfg->link_bytes_per_s;
    s->link_backlog = cfg->link_backlog;
    s->next_sub_id = 1;
    snprintf(s->peer, sizeof s->peer, "%s", cfg->peer ? cfg->peer : "?");
    gcmon_frame_decoder_init(&s->decoder, s->decoder_buf,
                             sizeof s->decoder_buf);
    gcmon__stream_reset(s);
    a->open_sessions++;
    a->open_network_sessions += !s->uart;
    a->stats.sessions_opened++;
    gcmon_agent_log(a, GCMON_LOG_INFO, "session open: %s%s", s->peer,
                    s->trusted ? " (trusted)" : "");
    *out = s;
    return 0;
  }
refuse:
  a->stats.sessions_refused++;
  gcmon_agent_log(a, GCMON_LOG_WARN, "session refused (limit %u): %s",
                  (unsigned)a->cfg.max_sessions, cfg->peer ? cfg->peer : "?");
  return GCMON_ELIMIT;
}

size_t gcmon_agent_refusal(gcmon_agent *a, uint8_t *out, size_t cap) {
  gcmon_v1_Response *resp;
  size_t n;
  a->tx = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  a->tx.which_kind = gcmon_v1_Packet_response_tag;
  resp = &a->tx.kind.response;
  resp->id = 0;
  gcmon__set_status(resp, gcmon_v1_Status_Code_RESOURCE_EXHAUSTED,
                    "session limit %u reached", (unsigned)a->cfg.max_sessions);
  n = gcmon__codec_encode(&a->tx, a->payload, sizeof a->payload);
  return n ? gcmon_frame_encode(a->payload, n, out, cap) : 0;
}

void gcmon_session_close(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  const gcmon_frame_stats *st = &s->decoder.stats;
  if (!s->in_use)
    return;
  /* The link's whole health in one line: on a UART this is the only
   * place an operator sees how noisy the cable was. */
  gcmon_agent_log(
      a, GCMON_LOG_INFO,
      "session closed: %s (frames %lu, drops %lu [crc %lu "
      "short %lu oversize %lu escape %lu undecodable %lu], "
      "noise bytes %lu, events lost %lu)",
      s->peer, (unsigned long)st->frames,
      (unsigned long)gcmon_frame_stats_drops(st), (unsigned long)st->drop_crc,
      (unsigned long)st->drop_short, (unsigned long)st->drop_oversize,
      (unsigned long)st->drop_bad_escape, (unsigned long)st->drop_undecodable,
      (unsigned long)st->bytes_discarded, (unsigned long)s->events_dropped);
  gcmon__stream_reset(s);
  s->in_use = false;
  a->open_sessions--;
  a->open_network_sessions -= !s->uart;
}

const gcmon_frame_stats *gcmon_session_link_stats(const gcmon_session *s) {
  return &s->decoder.stats;
}

void *gcmon_session_data(const gcmon_session *s) {
  return s->data;
}
