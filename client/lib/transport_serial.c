/* Serial links: open the device, make it raw 8N1 at the URI's baud with no
 * flow control and no modem-line waits, then drive the fd as a libuv pipe
 * (uv_pipe_open works on ttys and ptys alike). A pty whose other side
 * closes reads as EIO, which surfaces as a lost link. */
#define _DEFAULT_SOURCE /* cfmakeraw, cfsetspeed, B* above 38400 */
#include "transport.h"

#include "gcmon/error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct {
  uint32_t baud;
  speed_t speed;
} baud_row;

static const baud_row speeds[] = {
    {1200, B1200},       {2400, B2400},       {4800, B4800},
    {9600, B9600},       {19200, B19200},     {38400, B38400},
    {57600, B57600},     {115200, B115200},   {230400, B230400},
    {460800, B460800},   {500000, B500000},   {576000, B576000},
    {921600, B921600},   {1000000, B1000000}, {1500000, B1500000},
    {2000000, B2000000}, {3000000, B3000000},
};

static int to_speed(uint32_t baud, speed_t *out) {
  for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
    if (speeds[i].baud == baud) {
      *out = speeds[i].speed;
      return 0;
    }
  return -1;
}

static int make_raw(int fd, uint32_t baud) {
  struct termios tio;
  speed_t speed;

  if (to_speed(baud, &speed) != 0) {
    errno = EINVAL;
    return -1;
  }
  if (tcgetattr(fd, &tio) != 0)
    return -1;
  cfmakeraw(&tio);
  tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
  tio.c_cflag |= CS8 | CLOCAL | CREAD;
  tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (cfsetispeed(&tio, speed) != 0 || cfsetospeed(&tio, speed) != 0)
    return -1;
  if (tcsetattr(fd, TCSANOW, &tio) != 0)
    return -1;
  tcflush(fd, TCIFLUSH); /* stale bytes from before we were here */
  return 0;
}

int gcmon__serial_open(gcmon__transport *t) {
  int fd, rc;

  fd = open(t->uri.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    gcmon__transport_open_failed(
        t, e == ENOENT || e == ENXIO ? GCMON_ENODEV : GCMON_ECONNECT,
        "open %s: %s", t->uri.path, strerror(e));
    return 0;
  }
  if (make_raw(fd, t->uri.baud) != 0) {
    int e = errno;
    close(fd);
    gcmon__transport_open_failed(t, GCMON_ENODEV,
                                 "%s: not a usable serial "
                                 "device at %u baud: %s",
                                 t->uri.path, (unsigned)t->uri.baud,
                                 strerror(e));
    return 0;
  }
  rc = uv_pipe_init(t->loop, &t->h.pipe, 0);
  if (rc == 0) {
    t->h.handle.data = t;
    t->handle_live = true;
    rc = uv_pipe_open(&t->h.pipe, fd);
  }
  if (rc != 0) {
    close(fd);
    gcmon__transport_open_failed(t, GCMON_EIO, "%s: %s", t->uri.path,
                                 uv_strerror(rc));
    return 0;
  }
  gcmon__transport_opened(t);
  return 0;
}
