/* The lateness bound of a rate-limited link (a UART).
 *
 * TCP pushes back: a slow reader fills the socket, the session's output
 * stays full, and the queue_events rule skips what it cannot take. A serial
 * driver does not: it accepts kilobytes that then take seconds to leave at
 * 9600 baud, so events kept arriving 15-18 s late with no gap at all. Here
 * the agent knows the link's speed and what it has already handed over (its
 * own output plus, through the transport, the driver's queue), and keeps
 * both ends of the delay short:
 *
 *   - it hands the link at most half of max_lag_ms worth of bytes; and
 *   - a live subscription skips, whole and counted, any sample that could
 *     no longer arrive within max_lag_ms: one older than max_lag_ms less
 *     the time the bytes already queued will take.
 *
 * So a sample reaches the wire at most max_lag_ms after it was taken.
 *
 * What the device still holds is the larger of what the transport reports
 * (TIOCOUTQ) and an estimate from the link's speed: bytes handed over,
 * less what the line has carried since at bytes_per_s. The estimate is
 * what works where the driver does not say (a pty answers TIOCOUTQ with 0
 * while its buffer holds seconds of data). */
#include "lag.h"

static uint32_t max_lag_ms(const gcmon_agent *a) {
  return a->cfg.max_lag_ms ? a->cfg.max_lag_ms : GCMON_DEFAULT_MAX_LAG_MS;
}

/* The estimate, drained to now. */
static uint64_t estimate(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  uint64_t now = a->cfg.now_us(a->cfg.clock_data);
  uint64_t carried;
  if (now > s->link_est_us) {
    carried = (now - s->link_est_us) * s->link_bytes_per_s / 1000000u;
    if (carried > 0 || s->link_est_bytes == 0) {
      s->link_est_bytes =
          carried >= s->link_est_bytes ? 0 : s->link_est_bytes - carried;
      s->link_est_us = now;
    }
  }
  return s->link_est_bytes;
}

void gcmon__lag_sent(gcmon_session *s, size_t n) {
  if (s->link_bytes_per_s)
    s->link_est_bytes = estimate(s) + n;
}

static uint64_t backlog_bytes(gcmon_session *s) {
  uint64_t driver = s->link_backlog ? s->link_backlog(s) : 0;
  uint64_t est = estimate(s);
  return (uint64_t)(s->out_tail - s->out_head) + (driver > est ? driver : est);
}

uint64_t gcmon__lag_oldest_allowed(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  uint64_t backlog_ms, budget_ms, seqs;
  if (!s->link_bytes_per_s || a->history.newest == 0)
    return 0;
  backlog_ms = backlog_bytes(s) * 1000u / s->link_bytes_per_s;
  budget_ms = max_lag_ms(a) > backlog_ms ? max_lag_ms(a) - backlog_ms : 0;
  seqs = budget_ms / a->cfg.interval_ms;
  return a->history.newest > seqs ? a->history.newest - seqs : 1;
}

bool gcmon__lag_may_fill(gcmon_session *s) {
  if (!s->link_bytes_per_s)
    return true;
  return backlog_bytes(s) * 2000u <
         (uint64_t)s->link_bytes_per_s * max_lag_ms(s->agent);
}

uint32_t gcmon__lag_latency_cap_ms(const gcmon_session *s) {
  return s->link_bytes_per_s ? max_lag_ms(s->agent) / 2 : UINT32_MAX;
}
