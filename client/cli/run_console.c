/* The serial console of `gcmon run` (see run_console.h). Plain blocking
 * I/O with poll(): one process, one device, nothing else to serve. */
#define _GNU_SOURCE /* memmem */
#include "run_console.h"

#include "gcmon/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int console_open(run_console *c, const char *path, uint32_t baud) {
  memset(c, 0, sizeof *c);
  c->fd = gcmon_serial_open(path, baud, c->why, sizeof c->why);
  if (c->fd < 0)
    return -1;
  /* blocking with deadlines (poll) from here */
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
  return 0;
}

void console_close(run_console *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

int console_write(run_console *c, const void *p, size_t n) {
  const char *b = p;
  while (n > 0) {
    ssize_t k = write(c->fd, b, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      snprintf(c->why, sizeof c->why, "write: %s", strerror(errno));
      return -1;
    }
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Read whatever comes before deadline into buf (keeping its last keep
 * bytes when full). 1 something came, 0 the time ran out, -1 closed. */
static int fill(run_console *c, uint64_t deadline, size_t keep) {
  uint64_t t = now_ms();
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  int r;

  if (t >= deadline)
    return 0;
  if (c->len == sizeof c->buf) {
    memmove(c->buf, c->buf + c->len - keep, keep);
    c->len = keep;
  }
  r = poll(&p, 1, (int)(deadline - t));
  if (r < 0)
    return errno == EINTR ? 1 : -1;
  if (r > 0) {
    ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (k <= 0) {
      snprintf(c->why, sizeof c->why, "the console closed");
      return -1;
    }
    c->len += (size_t)k;
  }
  return 1;
}

static void consume(run_console *c, size_t n) {
  memmove(c->buf, c->buf + n, c->len - n);
  c->len -= n;
}

int console_expect(run_console *c, const char *marker, unsigned timeout_ms,
                   char *out, size_t cap) {
  uint64_t deadline = now_ms() + timeout_ms;
  size_t mlen = strlen(marker);
  for (;;) {
    char *hit = c->len >= mlen ? memmem(c->buf, c->len, marker, mlen) : NULL;
    int r;
    if (hit) {
      size_t upto = (size_t)(hit - c->buf);
      if (out && cap) {
        size_t k = upto < cap - 1 ? upto : cap - 1;
        memcpy(out, c->buf, k);
        out[k] = '\0';
      }
      consume(c, upto + mlen);
      return 0;
    }
    r = fill(c, deadline, mlen);
    if (r < 0)
      return -1;
    if (r == 0) {
      snprintf(c->why, sizeof c->why, "no '%s' from the console within %u ms",
               marker[0] == 0x04 ? "end of output" : marker, timeout_ms);
      return -1;
    }
  }
}

/* The next byte from the console, waiting up to timeout_ms; -1 if none. */
static int next_byte(run_console *c, unsigned timeout_ms) {
  uint64_t deadline = now_ms() + timeout_ms;
  while (c->len == 0)
    if (fill(c, deadline, 0) <= 0)
      return -1;
  int b = (unsigned char)c->buf[0];
  consume(c, 1);
  return b;
}

/* Console bytes wait to be read. */
static bool pending(run_console *c) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  return c->len > 0 || poll(&p, 1, 0) > 0;
}

/* The plain raw REPL: the code in chunks with a pause, as mpremote sends
 * without raw-paste, so a small input buffer keeps up; then Ctrl-D. */
int console_upload_plain(run_console *c, const char *code, size_t n) {
  for (size_t off = 0; off < n; off += 256) {
    size_t k = n - off < 256 ? n - off : 256;
    if (console_write(c, code + off, k) != 0)
      return -1;
    usleep(10000);
  }
  if (console_write(c, "\x04", 1) != 0)
    return -1;
  return console_expect(c, "OK", 5000, NULL, 0);
}

/* Raw-paste mode (MicroPython's shared/runtime/pyexec.c): after "R\x01"
 * the board says its window (2 bytes, little-endian) and sends 0x01 each
 * time another window is free; 0x04 ends the code, and the board answers
 * 0x04 once it has it all. */
static int upload_paste(run_console *c, const char *code, size_t n) {
  int lo = next_byte(c, 2000), hi = next_byte(c, 2000);
  size_t window, remain, off = 0;

  if (lo < 0 || hi < 0) {
    snprintf(c->why, sizeof c->why, "raw-paste: no window size");
    return -1;
  }
  window = remain = (size_t)lo | (size_t)hi << 8;
  while (off < n) {
    while (remain == 0 || pending(c)) {
      int b = next_byte(c, 5000);
      if (b == 0x01) {
        remain += window;
      } else if (b == 0x04) { /* the board ends the paste (an error) */
        (void)console_write(c, "\x04", 1);
        snprintf(c->why, sizeof c->why, "raw-paste: the board ended it");
        return -1;
      } else {
        snprintf(c->why, sizeof c->why,
                 b < 0 ? "raw-paste: the board stopped taking code"
                       : "raw-paste: unexpected byte 0x%02x", b);
        return -1;
      }
    }
    size_t k = n - off < remain ? n - off : remain;
    if (console_write(c, code + off, k) != 0)
      return -1;
    off += k;
    remain -= k;
  }
  if (console_write(c, "\x04", 1) != 0)
    return -1;
  return console_expect(c, "\x04", 10000, NULL, 0);
}

int console_upload(run_console *c, const char *code, size_t n) {
  uint64_t deadline = now_ms() + 2000;

  if (console_write(c, "\x05" "A" "\x01", 3) != 0)
    return -1;
  while (c->len < 2 && fill(c, deadline, 0) > 0)
    ;
  if (c->len >= 2 && memcmp(c->buf, "R\x01", 2) == 0) {
    consume(c, 2);
    return upload_paste(c, code, n);
  }
  if (c->len >= 2 && memcmp(c->buf, "R\x00", 2) == 0) {
    consume(c, 2); /* understood, not offered: a prompt follows */
    if (console_expect(c, ">", 2000, NULL, 0) != 0)
      return -1;
  } else if (console_expect(c, "raw REPL; CTRL-B to exit\r\n>", 2000, NULL,
                            0) != 0) {
    return -1; /* an older raw REPL reprints its banner for the Ctrl-A */
  }
  return console_upload_plain(c, code, n);
}

int console_enter_raw(run_console *c) {
  if (console_write(c, "\r\x03\x03", 3) != 0)
    return -1;
  usleep(150000);
  tcflush(c->fd, TCIFLUSH);
  c->len = 0;
  if (console_write(c, "\r\x01", 2) != 0)
    return -1;
  if (console_expect(c, "raw REPL; CTRL-B to exit\r\n>", 2000, NULL, 0) != 0) {
    snprintf(c->why, sizeof c->why,
             "no MicroPython raw REPL answered Ctrl-A within 2 s");
    return -1;
  }
  return 0;
}

int console_exec(run_console *c, const char *code, char *out, size_t cap) {
  char err[200];
  if (console_write(c, code, strlen(code)) != 0 ||
      console_write(c, "\x04", 1) != 0 ||
      console_expect(c, "OK", 2000, NULL, 0) != 0 ||
      console_expect(c, "\x04", 10000, out, cap) != 0 ||
      console_expect(c, "\x04", 2000, err, sizeof err) != 0 ||
      console_expect(c, ">", 2000, NULL, 0) != 0)
    return -1;
  if (err[0]) {
    snprintf(c->why, sizeof c->why, "%s", err);
    return -1;
  }
  return 0;
}
