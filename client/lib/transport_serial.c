/* Serial links: open the device exclusively (TIOCEXCL and flock, so a
 * second gcmon, mpremote or screen on it fails at once and is told who has
 * it), make it raw 8N1 at the URI's baud with no flow control and no
 * modem-line waits, then drive the fd as a libuv pipe (uv_pipe_open works
 * on ttys and ptys alike). A pty whose other side closes reads as EIO,
 * which surfaces as a lost link. */
#define _DEFAULT_SOURCE /* cfmakeraw, cfsetspeed, B* above 38400, realpath */
#include "transport.h"

#include "gcmon/client.h"

#include "gcmon/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* The pid holding a lock on the device (from /proc/locks), 0 if unknown. */
static long lock_holder(const char *path) {
  struct stat st;
  char line[256];
  long found = 0;
  FILE *f;

  if (stat(path, &st) != 0 || !(f = fopen("/proc/locks", "re")))
    return 0;
  while (!found && fgets(line, sizeof line, f)) {
    unsigned maj, min;
    unsigned long ino;
    long pid;
    char kind[16], how[16], rw[16];
    if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%lu", kind, how, rw,
               &pid, &maj, &min, &ino) == 7 &&
        ino == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
        min == minor(st.st_dev))
      found = pid;
  }
  fclose(f);
  return found;
}

/* "PATH: busy (...)" into msg; GCMON_EBUSY. */
static int busy(const char *path, char *msg, size_t len) {
  long pid = lock_holder(path);
  if (pid > 0)
    snprintf(msg, len, "%s: busy (pid %ld has it)", path, pid);
  else
    snprintf(msg, len,
             "%s: busy (another program has it open exclusively)", path);
  return GCMON_EBUSY;
}

int gcmon_serial_open(const char *path, uint32_t baud, char *msg,
                      size_t len) {
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0 && errno == EBUSY) /* TIOCEXCL of someone else */
    return busy(path, msg, len);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return busy(path, msg, len);
  }
  if (fd < 0) {
    int e = errno;
    snprintf(msg, len, "open %s: %s", path, strerror(e));
    return e == ENOENT || e == ENXIO ? GCMON_ENODEV : GCMON_ECONNECT;
  }
  (void)ioctl(fd, TIOCEXCL); /* a pty or tty; refused elsewhere: no harm */
  if (make_raw(fd, baud) != 0) {
    int e = errno;
    close(fd);
    snprintf(msg, len, "%s: not a usable serial device at %u baud: %s", path,
             (unsigned)baud, strerror(e));
    return GCMON_ENODEV;
  }
  return fd;
}

int gcmon__serial_open(gcmon__transport *t) {
  char msg[GCMON__TRANSPORT_ERRMSG_MAX];
  int fd = gcmon_serial_open(t->uri.path, t->uri.baud, msg, sizeof msg), rc;

  if (fd < 0) {
    gcmon__transport_open_failed(t, fd, "%s", msg);
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

static int named_acm(const char *path) {
  const char *base = strrchr(path, '/');
  return strncmp(base ? base + 1 : path, "ttyACM", 6) == 0;
}

int gcmon_serial_is_usb_cdc(const char *path) {
  char real[PATH_MAX];
  if (named_acm(path))
    return 1;
  return realpath(path, real) != NULL && named_acm(real);
}
