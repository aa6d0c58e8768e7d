/* Serial efficiency: what one full sample costs on a 115200-baud UART, from
 * the bytes of real frames.
 *
 * A pty or loopback socket has no baud limit, so nothing here is timed:
 * gcmond (sim source, realistic K230 values, sampling every 10 ms) streams
 * a subscription to a TCP client that keeps each frame's exact size on the
 * wire (flags, CRC and escapes included; framing is identical on UART and
 * TCP), then the client makes get_sample calls and keeps the request and
 * response frame sizes. Throughput at 115200 baud, 8N1 (10 bits a byte:
 * 11520 bytes/s), is 11520 / mean bytes per sample.
 *
 * Beside them, in the same run and from the same captured samples: the same
 * events re-encoded as a daemon that has run for a day would send them
 * (larger seq and uptime varints), one with every field at its widest, and
 * the compact encodings compact_sample.h proposes (not on the wire).
 *
 *     bench_serial [--gcmond PATH] [--events N] [--exchanges N] [--quick]
 */
#define _DEFAULT_SOURCE
#include "bench_client.h"
#include "bench_proc.h"
#include "bench_util.h"
#include "compact_sample.h"

#include <pb_encode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UART_BYTES_PER_S 11520.0 /* 115200 baud, 8N1 */
#define TARGET_PER_S     150.0
#define DAY_US           86400000000ull
#define DAY_SAMPLES      8640000ull /* one day at 100 Hz */
/* The reference: 4 gc values through MicroPython's raw REPL. */
#define REPL_SENT        76
#define REPL_RECEIVED    27

typedef struct {
  double *v;
  size_t n;
} series;

typedef struct {
  double mean, p50, max;
} summary;

static summary summarize(const series *s) {
  summary r = {0, 0, 0};
  double sum = 0;
  for (size_t i = 0; i < s->n; i++) {
    sum += s->v[i];
    if (s->v[i] > r.max)
      r.max = s->v[i];
  }
  r.mean = s->n ? sum / (double)s->n : 0;
  r.p50 = bench_median(s->v, s->n);
  return r;
}

/* Wire bytes of Packet{event{subscription, sample}}. */
static double event_wire(uint32_t sub, const gcmon_v1_Sample *s,
                         size_t *payload_out) {
  gcmon_v1_Packet p;
  uint8_t payload[GCMON_MAX_PAYLOAD];
  size_t n;
  p = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
  p.which_kind = gcmon_v1_Packet_event_tag;
  p.kind.event.subscription = sub;
  p.kind.event.which_body = gcmon_v1_Event_sample_tag;
  p.kind.event.body.sample = *s;
  n = bench_encode_packet(&p, payload, sizeof payload);
  if (payload_out)
    *payload_out = n;
  return (double)bench_wire_size(payload, n);
}

static gcmon_v1_Sample widest_sample(void) {
  gcmon_v1_Sample s = gcmon_v1_Sample_init_zero;
  gcmon_v1_MemInfo m = {UINT64_MAX, UINT64_MAX, UINT64_MAX, 0};
  s.seq = s.uptime_us = s.sys_total = UINT64_MAX;
  s.has_gc = s.has_sys_heap = s.has_sys_page = s.has_sys_mmz = true;
  s.gc.mem_alloc = s.gc.mem_free = s.gc.threshold = INT64_MIN;
  s.gc.largest_free = INT64_MIN;
  s.gc.enabled = true;
  s.gc.collections = UINT64_MAX;
  s.sys_heap = s.sys_page = s.sys_mmz = m;
  return s;
}

static void print_rate_row(const char *what, summary w, double payload_p50) {
  printf("| %s | %.0f | %.1f | %.0f | %.0f | %.0f |\n", what, payload_p50,
         w.mean, w.p50, w.max, UART_BYTES_PER_S / w.mean);
}

/* Where the bytes of one event go (means over the capture). */
static void print_breakdown(const gcmon_v1_Sample *s, size_t n,
                            double wire_mean, double payload_mean) {
  double part[7] = {0};
  static const char *const names[7] = {"seq",
                                       "uptime_us",
                                       "gc (GcInfo)",
                                       "sys_total",
                                       "sys_heap (MemInfo)",
                                       "sys_page (MemInfo)",
                                       "sys_mmz (MemInfo)"};
  double sample_total = 0;
  for (size_t i = 0; i < n; i++) {
    gcmon_v1_Sample one = gcmon_v1_Sample_init_zero;
    size_t all, sz;
    pb_get_encoded_size(&all, gcmon_v1_Sample_fields, &s[i]);
    sample_total += (double)all;
    for (int k = 0; k < 7; k++) {
      one = (gcmon_v1_Sample)gcmon_v1_Sample_init_zero;
      switch (k) {
      case 0:
        one.seq = s[i].seq;
        break;
      case 1:
        one.uptime_us = s[i].uptime_us;
        break;
      case 2:
        one.has_gc = s[i].has_gc;
        one.gc = s[i].gc;
        break;
      case 3:
        one.sys_total = s[i].sys_total;
        break;
      case 4:
        one.has_sys_heap = s[i].has_sys_heap;
        one.sys_heap = s[i].sys_heap;
        break;
      case 5:
        one.has_sys_page = s[i].has_sys_page;
        one.sys_page = s[i].sys_page;
        break;
      default:
        one.has_sys_mmz = s[i].has_sys_mmz;
        one.sys_mmz = s[i].sys_mmz;
        break;
      }
      pb_get_encoded_size(&sz, gcmon_v1_Sample_fields, &one);
      part[k] += (double)sz;
    }
  }
  printf("\n| part of one streamed sample | mean bytes |\n|---|--:|\n");
  printf("| framing: 2 flags + 4 CRC + escapes | %.1f |\n",
         wire_mean - payload_mean);
  printf("| Packet + Event headers, subscription id | %.1f |\n",
         payload_mean - sample_total / (double)n);
  for (int k = 0; k < 7; k++)
    printf("| %s | %.1f |\n", names[k], part[k] / (double)n);
}

static int usage(void) {
  fprintf(stderr, "usage: bench_serial [--gcmond PATH] [--events N (1500)] "
                  "[--exchanges N (300)] [--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *gcmond = BENCH_GCMOND_PATH;
  const char *args[] = {"--source", "sim",  "--interval", "10",
                        "--seed",   "1230", "-q",         NULL};
  long events = 1500, exchanges = 300;
  bench_conn *c = calloc(1, sizeof *c);
  gcmon_v1_Packet p;
  bench_daemon d;
  gcmon_v1_Sample *samples = NULL;
  double *buf = NULL;
  series ev_wire, ev_pay, day_wire, day_pay, ex_wire, ex_pay, req_wire;
  series flat, delta, delta_day;
  uint32_t sub;
  int rc = 1;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      events = 100;
      exchanges = 50;
    } else if (strcmp(argv[i], "--gcmond") == 0 && i + 1 < argc) {
      gcmond = argv[++i];
    } else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--events", argv[++i], 10, 1000000, &events))
        return 2;
    } else if (strcmp(argv[i], "--exchanges") == 0 && i + 1 < argc) {
      if (!bench_parse_long("--exchanges", argv[++i], 10, 1000000, &exchanges))
        return 2;
    } else {
      return usage();
    }
  }
  if (!c)
    return 1;
  c->fd = -1;
  if (bench_daemon_start(&d, gcmond, args, NULL) != 0) {
    free(c);
    return 1;
  }
  samples = calloc((size_t)events, sizeof *samples);
  buf = calloc((size_t)(7 * events + 3 * exchanges), sizeof *buf);
  if (!samples || !buf)
    goto out;
  ev_wire = (series){buf, 0};
  ev_pay = (series){buf + events, 0};
  day_wire = (series){buf + 2 * events, 0};
  flat = (series){buf + 3 * events, 0};
  delta = (series){buf + 4 * events, 0};
  delta_day = (series){buf + 5 * events, 0};
  day_pay = (series){buf + 6 * events, 0};
  ex_wire = (series){buf + 7 * events, 0};
  req_wire = (series){buf + 7 * events + exchanges, 0};
  ex_pay = (series){buf + 7 * events + 2 * exchanges, 0};

  if (bench_conn_open(c, d.port) != 0 || bench_conn_hello(c) != 0 ||
      (sub = bench_conn_subscribe(c, 0)) == 0) {
    fprintf(stderr, "bench_serial: cannot subscribe\n");
    goto out;
  }
  /* Capture the stream, frame by frame. */
  while (ev_wire.n < (size_t)events) {
    if (bench_conn_wait(c, &p, 5000) != 1) {
      fprintf(stderr, "bench_serial: the stream stopped\n");
      goto out;
    }
    if (p.which_kind != gcmon_v1_Packet_event_tag ||
        p.kind.event.which_body != gcmon_v1_Event_sample_tag)
      continue;
    samples[ev_wire.n] = p.kind.event.body.sample;
    ev_pay.v[ev_pay.n++] = (double)c->frame_payload;
    ev_wire.v[ev_wire.n++] = (double)c->frame_wire;
  }
  {
    gcmon_v1_Request req = gcmon_v1_Request_init_zero;
    gcmon_v1_Response resp;
    req.which_call = gcmon_v1_Request_unsubscribe_tag;
    req.call.unsubscribe.subscription = sub;
    if (bench_conn_call(c, &req, &resp) != 0)
      goto out;
  }
  /* get_sample exchanges: request frame + response frame. */
  while (ex_wire.n < (size_t)exchanges) {
    gcmon_v1_Request req = gcmon_v1_Request_init_zero;
    uint8_t frame[64];
    size_t n, req_payload;
    req.which_call = gcmon_v1_Request_get_sample_tag;
    n = bench_request_frame(c, &req, frame, sizeof frame);
    p = (gcmon_v1_Packet)gcmon_v1_Packet_init_zero;
    p.which_kind = gcmon_v1_Packet_request_tag;
    p.kind.request = req;
    req_payload = bench_encode_packet(&p, frame + n, sizeof frame - n);
    if (n == 0 || bench_conn_send(c, frame, n) != 0)
      goto out;
    do {
      if (bench_conn_wait(c, &p, 5000) != 1)
        goto out;
    } while (p.which_kind != gcmon_v1_Packet_response_tag ||
             p.kind.response.id != req.id);
    req_wire.v[req_wire.n++] = (double)n;
    ex_wire.v[ex_wire.n++] = (double)(n + c->frame_wire);
    ex_pay.v[ex_pay.n++] = (double)(req_payload + c->frame_payload);
  }

  /* Re-encodings of the same samples. */
  for (size_t i = 0; i < ev_wire.n; i++) {
    gcmon_v1_Sample day = samples[i];
    uint64_t v[BENCH_SAMPLE_VALUES], prev[BENCH_SAMPLE_VALUES];
    uint8_t out[GCMON_MAX_PAYLOAD];
    bool key = i % BENCH_DELTA_KEY_EVERY == 0;
    size_t n;
    day.seq += DAY_SAMPLES;
    day.uptime_us += DAY_US;
    day_wire.v[day_wire.n++] = event_wire(sub, &day, &n);
    day_pay.v[day_pay.n++] = (double)n;
    bench_sample_values(&samples[i], v);
    n = bench_flat_event(sub, v, out, sizeof out);
    flat.v[flat.n++] = (double)bench_wire_size(out, n);
    if (key) {
      delta.v[delta.n++] = ev_wire.v[i];
      delta_day.v[delta_day.n++] = day_wire.v[i];
      continue;
    }
    bench_sample_values(&samples[i - 1], prev);
    n = bench_delta_event(sub, v, prev, out, sizeof out);
    delta.v[delta.n++] = (double)bench_wire_size(out, n);
    v[0] += DAY_SAMPLES;
    n = bench_delta_event(sub, v, prev, out, sizeof out);
    delta_day.v[delta_day.n++] = (double)bench_wire_size(out, n);
  }

  {
    gcmon_v1_Sample widest = widest_sample();
    size_t wp;
    double ww = event_wire(UINT32_MAX, &widest, &wp);
    summary ev = summarize(&ev_wire), pay = summarize(&ev_pay);
    summary req = summarize(&req_wire);
    summary today_day = summarize(&day_wire);
    summary ex = summarize(&ex_wire);
    summary fl = summarize(&flat), de = summarize(&delta);
    summary ded = summarize(&delta_day);
    double up_s = (double)samples[0].uptime_us / 1e6;

    /* breakdown first: summarize() sorts, but order does not matter there */
    printf("| exchange | payload B (p50) | wire B mean | wire B p50 "
           "| wire B max | full samples/s at 115200 |\n"
           "|---|--:|--:|--:|--:|--:|\n");
    print_rate_row("subscription event (as captured)", ev, pay.p50);
    print_rate_row("subscription event, daemon up a day", today_day,
                   bench_median(day_pay.v, day_pay.n));
    printf("| subscription event, every field at its widest | %zu | %.0f | "
           "%.0f | %.0f | %.0f |\n",
           wp, ww, ww, ww, UART_BYTES_PER_S / ww);
    print_rate_row("get_sample exchange (request + response)", ex,
                   bench_median(ex_pay.v, ex_pay.n));
    printf("| reference: 4 gc values via the MicroPython raw REPL "
           "| - | %d | %d | %d | %.0f |\n",
           REPL_SENT + REPL_RECEIVED, REPL_SENT + REPL_RECEIVED,
           REPL_SENT + REPL_RECEIVED,
           UART_BYTES_PER_S / (REPL_SENT + REPL_RECEIVED));
    printf("\nA full sample is 15 counters; the REPL reference reads 4. "
           "get_sample request frames: %.0f B (p50) of each exchange. "
           "Captured: %zu events and %zu exchanges from gcmond --source sim "
           "--interval 10 --seed 1230 (host uptime %.0f s at the first "
           "sample; \"up a day\" adds 8.64 M to seq and 86400 s to "
           "uptime_us). 115200 baud 8N1 carries %.0f bytes/s.\n",
           req.p50, ev_wire.n, ex_wire.n, up_s, UART_BYTES_PER_S);

    printf("\nProposed encodings (not on the wire; same captured samples, "
           "exact bytes, framing included):\n\n"
           "| event encoding | wire B mean | wire B p50 | wire B max "
           "| full samples/s at 115200 | vs today | target ≥ %.0f/s |\n"
           "|---|--:|--:|--:|--:|--:|--:|\n",
           TARGET_PER_S);
#define PROPOSAL_ROW(name, s)                                                  \
  printf("| %s | %.1f | %.0f | %.0f | %.0f | %.2f× | %s |\n", name, s.mean,    \
         s.p50, s.max, UART_BYTES_PER_S / s.mean, ev.mean / s.mean,            \
         UART_BYTES_PER_S / s.mean >= TARGET_PER_S ? "met" : "missed")
    PROPOSAL_ROW("today: Event.sample", ev);
    PROPOSAL_ROW("flat sample (no nesting, free = total − used)", fl);
    PROPOSAL_ROW("delta vs previous, full sample every 64", de);
    PROPOSAL_ROW("delta vs previous, daemon up a day", ded);
#undef PROPOSAL_ROW
    print_breakdown(samples, ev_wire.n, ev.mean, pay.mean);
  }
  rc = c->bad_frames ? 1 : 0;
  if (c->bad_frames)
    fprintf(stderr, "bench_serial: %llu bad frames\n",
            (unsigned long long)c->bad_frames);

out:
  bench_conn_close(c);
  if (bench_daemon_stop(&d) != 0 && rc == 0) {
    fprintf(stderr, "bench_serial: gcmond did not stop cleanly\n");
    rc = 1;
  }
  free(samples);
  free(buf);
  free(c);
  return rc;
}
