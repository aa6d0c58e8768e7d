/* The serial console of `gcmon run` (see run_console.h). Plain blocking
 * I/O with poll(): one process, one device, nothing else to serve. */
#define _GNU_SOURCE /* memmem, cfmakeraw, B* above 38400 */
#include "run_console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static speed_t speed_of(uint32_t baud) {
  switch (baud) {
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 230400: return B230400;
  case 460800: return B460800;
  case 921600: return B921600;
  case 1500000: return B1500000;
  case 3000000: return B3000000;
  default: return B115200;
  }
}

int console_open(run_console *c, const char *path, uint32_t baud) {
  struct termios tio;
  memset(c, 0, sizeof *c);
  c->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (c->fd < 0) {
    snprintf(c->why, sizeof c->why, "open %s: %s", path,
             errno == EBUSY ? "busy" : strerror(errno));
    return -1;
  }
  if (flock(c->fd, LOCK_EX | LOCK_NB) != 0) {
    snprintf(c->why, sizeof c->why, "%s: busy (another program has it)",
             path);
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  if (tcgetattr(c->fd, &tio) == 0) {
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    cfsetispeed(&tio, speed_of(baud));
    cfsetospeed(&tio, speed_of(baud));
    tcsetattr(c->fd, TCSANOW, &tio);
  }
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

int console_expect(run_console *c, const char *marker, unsigned timeout_ms,
                   char *out, size_t cap) {
  uint64_t deadline = now_ms() + timeout_ms;
  size_t mlen = strlen(marker);
  for (;;) {
    char *hit = c->len >= mlen ? memmem(c->buf, c->len, marker, mlen) : NULL;
    if (hit) {
      size_t upto = (size_t)(hit - c->buf), used = upto + mlen;
      if (out && cap) {
        size_t k = upto < cap - 1 ? upto : cap - 1;
        memcpy(out, c->buf, k);
        out[k] = '\0';
      }
      memmove(c->buf, c->buf + used, c->len - used);
      c->len -= used;
      return 0;
    }
    uint64_t t = now_ms();
    if (t >= deadline) {
      snprintf(c->why, sizeof c->why, "no '%s' from the console within %u ms",
               marker[0] == 0x04 ? "end of output" : marker, timeout_ms);
      return -1;
    }
    if (c->len == sizeof c->buf) { /* keep the tail: the marker may span */
      memmove(c->buf, c->buf + c->len - mlen, mlen);
      c->len = mlen;
    }
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r = poll(&p, 1, (int)(deadline - t));
    if (r < 0 && errno == EINTR)
      continue;
    if (r > 0) {
      ssize_t k = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
      if (k <= 0) {
        snprintf(c->why, sizeof c->why, "the console closed");
        return -1;
      }
      c->len += (size_t)k;
    }
  }
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
