/* repl:// links: a MicroPython board's console (USB CDC or UART) reached
 * through its raw REPL, presented to the rest of libgcmon as an ordinary
 * byte stream that speaks the framed protocol.
 *
 *   repl_raw.c    the console: interrupt, raw REPL, run one snippet at a
 *                 time and split its output; friendly prompt back on close
 *   repl_stock.c  stock firmware: a daemon in the host that answers the
 *                 client's frames by running gc snippets (seq, ring, subs)
 *   repl_reading.c the gc snippet, its parsing, the set-up's measurements
 *   repl_wire.c   that daemon's Requests in and Responses/Events out
 *
 * With the agent on the board (gcmon.serve_console exists) the console
 * carries the real protocol and bytes pass straight through.
 *
 *   open line -> Ctrl-C -> Ctrl-A (raw REPL) -> probe -> [agent: serve_console]
 *                                              \-> [stock: detect, measure]
 *                                                   -> on_open(0) -> calls */
#ifndef GCMON_CLIENT_REPL_H
#define GCMON_CLIENT_REPL_H

#include "gcmon/client.h"
#include "gcmon_frame.h"
#include "repl_wire.h"
#include "transport.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct gcmon__repl gcmon__repl;

/* transport.c's hooks for a GCMON__URI_REPL transport. */
int gcmon__repl_open(gcmon__transport *t);
int gcmon__repl_write(gcmon__repl *r, const uint8_t *bytes, size_t n);
void gcmon__repl_close(gcmon__repl *r);

/* ---- between the repl files ------------------------------------------- */

#define GCMON__REPL_OUT_MAX 2048
#define GCMON__REPL_RING 1024
#define GCMON__REPL_SUBS 4
#define GCMON__REPL_FIELDS 8

typedef void (*gcmon__repl_done)(gcmon__repl *r, int err);

typedef struct gcmon__repl_sub {
  uint32_t id;       /* 0 = free slot */
  uint32_t step;     /* ticks between events */
  uint64_t next_seq;  /* tick of the next event */
  uint64_t start_seq; /* its first live tick: events every step from it */
} gcmon__repl_sub;

/* One queued request (or subscription tick), answered in arrival order. */
typedef struct gcmon__repl_job {
  gcmon__repl_req req; /* req.call == 0 and tick != 0: a tick */
  uint64_t tick;       /* the tick a subscription reading is for */
  bool unknown;        /* a call the adapter does not serve */
} gcmon__repl_job;

#define GCMON__REPL_JOBS 32
/* Subscription ticks queued or in flight before one is skipped: a board
 * or host busy for a moment delays readings rather than losing them. */
#define GCMON__REPL_TICKS_QUEUED 4

struct gcmon__repl {
  gcmon__transport *outer; /* the client's transport; NULL once closed */
  gcmon__transport *line;  /* the serial device */
  uv_loop_t *loop;
  uv_timer_t timer; /* handshake steps and the running snippet's deadline */
  uv_timer_t tick;  /* stock: next subscription tick */
  uv_timer_t kick;  /* stock: answer the client outside its write call */
  int live_handles;
  bool closing;
  enum {
    GCMON__REPL_INTERRUPT = 0,
    GCMON__REPL_ENTER,
    GCMON__REPL_SETUP, /* snippets of the handshake */
    GCMON__REPL_STOCK,
    GCMON__REPL_AGENT_START, /* serve_console() called, not ready yet */
    GCMON__REPL_AGENT,
    GCMON__REPL_LEAVING, /* closed: waiting for the raw REPL's prompt */
    GCMON__REPL_DEAD
  } phase;
  int setup_step;
  bool served_baud; /* serve_console(baud=N) was asked */
  int leave_prompts; /* leaving: raw REPL prompts still to come */
  uint8_t leave_tail[2]; /* leaving: the last two console bytes */

  /* console input not yet consumed */
  uint8_t in[GCMON__REPL_OUT_MAX];
  size_t in_len;
  uint64_t text_bytes; /* console bytes outside any snippet's output */

  /* snippets sent, oldest first: "OK", output up to 0x04, errors up to
   * 0x04, ">" each; a second may be queued behind the first (pipelined) */
  struct {
    gcmon__repl_done done;
    uint64_t started_us;
  } fly[2];
  int nfly;
  int stage; /* 0 wait OK, 1 output, 2 error text, 3 prompt */
  char out[GCMON__REPL_OUT_MAX];
  size_t out_len;
  char err[256];
  size_t err_len;
  uint64_t took_us;

  /* stock daemon */
  char fields[GCMON__REPL_FIELDS]; /* which gc functions exist, in order */
  int nfields;
  char snippet[256]; /* the fixed reading snippet */
  int64_t cost_bytes;    /* board heap allocated by one reading */
  bool pipelined;        /* a second snippet may follow before the first
                            answers (the board keeps input that arrives
                            while code runs; measured at connect) */
  uint32_t min_ms;       /* tick period: a reading's round trip, rounded */
  uint64_t reading_us;   /* a reading's round trip, measured at connect */
  uint32_t floor_ms;     /* the shortest tick period the link carries */
  int64_t last_alloc;    /* set-up: mem_alloc of the previous reading */
  uint64_t t0_us;        /* host time of tick 1 */
  uint64_t run_id;
  gcmon_frame_decoder dec;
  uint8_t dec_buf[GCMON_FRAME_MAX];
  uint8_t pending[4096]; /* client bytes not yet decoded */
  size_t pending_len;
  uint64_t dropped_bytes; /* client bytes past pending */
  gcmon__repl_job jobs[GCMON__REPL_JOBS]; /* FIFO */
  unsigned job_head, job_count;
  gcmon__repl_job flying[2]; /* the jobs whose snippets were sent */
  int nflying;
  int ticks_out; /* tick jobs queued or flying */
  int collect_stage;      /* collect: reading, gc.collect(), reading */
  int64_t collect_before; /* mem_alloc before a collect */
  uint64_t collect_us;    /* the gc.collect() snippet's round trip */
  uint64_t last_tick;  /* highest tick read */
  gcmon__repl_sub subs[GCMON__REPL_SUBS];
  uint32_t next_sub_id;
  gcmon_sample *ring; /* GCMON__REPL_RING readings of ticks, by seq */
  uint64_t ring_newest;
  size_t ring_count;
};

/* repl_raw.c */
uint64_t gcmon__repl_now_us(gcmon__repl *r);
/* Run code in the raw REPL; done() runs once its output is in r->out and
 * any error text in r->err. 0, or GCMON_EBUSY when a snippet runs. */
/* Two snippets in one write, when none runs. */
int gcmon__repl_exec_pair(gcmon__repl *r, const char *first,
                          const char *second, gcmon__repl_done done);
/* Forget the snippets in flight, whose answers will not come. */
void gcmon__repl_exec_abandon(gcmon__repl *r);
int gcmon__repl_exec(gcmon__repl *r, const char *code, gcmon__repl_done done);
/* The same, allowed while up to depth-1 others are in flight: the board
 * reads the next snippet from its input buffer as soon as one ends. */
int gcmon__repl_exec_depth(gcmon__repl *r, const char *code,
                           gcmon__repl_done done, int depth);
/* Hand bytes to the client as if the board had sent them. */
void gcmon__repl_deliver(gcmon__repl *r, const uint8_t *bytes, size_t n);
/* The link is gone or unusable: tell the client (once). */
void gcmon__repl_fail(gcmon__repl *r, int err, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* repl_stock.c: frames from the client. */
void gcmon__repl_stock_input(gcmon__repl *r, const uint8_t *bytes, size_t n);

/* repl_reading.c */
/* Start the stock adapter: detect the gc functions, measure a reading,
 * then report the link open. */
void gcmon__repl_stock_start(gcmon__repl *r);
/* The last reading in the snippet's output (r->out) into *s, stamped with
 * seq and the host's uptime. 0 or -1. */
int gcmon__repl_reading(gcmon__repl *r, gcmon_sample *s, uint64_t seq);
/* gcmon_client_console_info() for this link. */
int gcmon__repl_console_info(const gcmon__repl *r, gcmon_console_info *out);
/* Parse one reading line into *s (fields as detected). 0 or -1. */
int gcmon__repl_parse_reading(const gcmon__repl *r, const char *line,
                              gcmon_sample *s);

#endif
