/* Serial device handling (see uart.h): termios setup (linux) or the
 * RT-Smart UART ioctl (rtsmart, uart_rtsmart.c), the uv_pipe_t that
 * carries the session, and the reopen timer. */
#define _DEFAULT_SOURCE /* cfmakeraw, B230400 and up */
#include "uart.h"

#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef GCMON_PLATFORM_RTSMART
#include "uart_rtsmart.h"

#include <sys/stat.h>
#else
#include <termios.h>
#endif

#define REOPEN_MS 1000
/* rtsmart: how long to wait before reading again after a read of 0 bytes,
 * which an RT-Smart UART returns when it has no data (not a hang-up). */
#define IDLE_READ_MS 20

struct gcmon_uart {
  uv_loop_t *loop;
  gcmon_agent *agent;
  char path[256];
  unsigned baud;
  uv_pipe_t pipe;
  bool pipe_open;
  uv_timer_t reopen;
#ifdef GCMON_PLATFORM_RTSMART
  uv_timer_t idle; /* re-arms reading after a 0-byte read */
#endif
  gcmon__conn conn;
  bool stopping;
  unsigned handles_open;
  bool lost_logged;
};

#ifdef GCMON_PLATFORM_RTSMART
/* The rates the K230's UART divider is used with (drv_uart.c takes any). */
static const unsigned bauds[] = {9600,   19200,   38400,   57600,
                                 115200, 230400,  460800,  921600,
                                 1000000, 1500000, 2000000, 3000000};

int gcmon_uart_check_baud(unsigned baud) {
  for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
    if (bauds[i] == baud)
      return 0;
  return GCMON_EINVAL;
}

static const char *const config_kinds[] = {
    "UART_IOCTL_SET_CONFIG", "the Oct-2024 UART ioctl",
    "no UART ioctl (not an RT-Smart UART): used as it is"};

static void log_agent(gcmon_uart *u, gcmon_log_level lvl, const char *what,
                      int err);

/* O_NONBLOCK open plus the RT-Smart configuring ioctl. fd or -errno. */
static int open_raw(gcmon_uart *u) {
  gcmon_uart_config_kind kind = GCMON_UART_CONFIGURED;
  int fd = gcmon_uart_rtsmart_open(u->path, u->baud, NULL, &kind);
  if (fd >= 0)
    log_agent(u, kind == GCMON_UART_AS_IS ? GCMON_LOG_WARN : GCMON_LOG_DEBUG,
              config_kinds[kind], 0);
  return fd;
}
#else
static const struct {
  unsigned baud;
  speed_t speed;
} speeds[] = {
    {9600, B9600},       {19200, B19200},     {38400, B38400},
    {57600, B57600},     {115200, B115200},   {230400, B230400},
    {460800, B460800},   {921600, B921600},   {1000000, B1000000},
    {1500000, B1500000}, {2000000, B2000000}, {3000000, B3000000},
};

static int speed_for(unsigned baud, speed_t *out) {
  for (size_t i = 0; i < sizeof speeds / sizeof speeds[0]; i++)
    if (speeds[i].baud == baud) {
      *out = speeds[i].speed;
      return 0;
    }
  return GCMON_EINVAL;
}

int gcmon_uart_check_baud(unsigned baud) {
  speed_t s;
  return speed_for(baud, &s);
}

/* Raw 8N1, no flow control, non-blocking. Returns fd or -errno. */
static int open_raw(gcmon_uart *u) {
  const char *path = u->path;
  unsigned baud = u->baud;
  struct termios t;
  speed_t speed;
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  if (speed_for(baud, &speed) != 0 || tcgetattr(fd, &t) != 0) {
    int e = errno ? errno : EINVAL;
    close(fd);
    return -e;
  }
  cfmakeraw(&t);
  t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS | CSIZE);
  t.c_cflag |= CS8 | CLOCAL | CREAD;
  t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  if (tcsetattr(fd, TCSANOW, &t) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  tcflush(fd, TCIOFLUSH);
  return fd;
}
#endif

/* attach() returns 0, a negative errno, or this (the agent had no slot). */
#define ATTACH_NO_SLOT 1

static const char *attach_error(int err) {
  return err == ATTACH_NO_SLOT ? "no session slot free" : strerror(-err);
}

static void log_agent(gcmon_uart *u, gcmon_log_level lvl, const char *what,
                      int err) {
  char peer[300];
  snprintf(peer, sizeof peer, "uart %s: %s%s%s", u->path, what, err ? ": " : "",
           err ? attach_error(err) : "");
  gcmon_agent_log(u->agent, lvl, "%s", peer);
}

static void on_closed(uv_handle_t *h) {
  gcmon_uart *u = h->data;
  if (h == (uv_handle_t *)&u->pipe)
    u->pipe_open = false;
  if (--u->handles_open == 0 && u->stopping)
    free(u);
}

static void on_reopen(uv_timer_t *t);

#ifdef GCMON_PLATFORM_RTSMART
/* A 0-byte read: the UART had no data. The device is lost only if its
 * node is gone (which a test's unplugged pty shows; an on-chip UART never
 * goes); otherwise read again shortly. */
static void on_idle_over(uv_timer_t *t) {
  gcmon_uart *u = t->data;
  struct stat st;
  if (u->stopping || !u->conn.session)
    return;
  if (stat(u->path, &st) != 0)
    gcmon__conn_end(&u->conn, UV_EOF);
  else
    gcmon__conn_resume(&u->conn);
}

static void on_idle(gcmon__conn *c) {
  gcmon_uart *u = c->data;
  uv_timer_start(&u->idle, on_idle_over, IDLE_READ_MS, 0);
}
#endif

static void on_conn_end(gcmon__conn *c, int status) {
  gcmon_uart *u = c->data;
  if (!u->stopping) {
    log_agent(u, GCMON_LOG_WARN,
              status == UV_EOF ? "device lost (hang-up)" : "device lost",
              status == UV_EOF ? 0 : status);
    uv_timer_start(&u->reopen, on_reopen, REOPEN_MS, REOPEN_MS);
  }
  u->pipe.data = u;
  uv_close((uv_handle_t *)&u->pipe, on_closed);
}

/* Bytes written to the device that have not left it yet (the driver's
 * output queue), so the agent can bound how late a live event arrives
 * (daemon/agent/lag.c). 0 where TIOCOUTQ does not exist, and on RT-Smart,
 * whose UART driver answers no tty ioctl (the estimate from --baud serves
 * there). */
static size_t driver_backlog(gcmon_session *s) {
#if defined(TIOCOUTQ) && !defined(GCMON_PLATFORM_RTSMART)
  gcmon__conn *c = gcmon_session_data(s);
  uv_os_fd_t fd;
  int queued = 0;
  if (uv_fileno((const uv_handle_t *)c->stream, &fd) == 0 &&
      ioctl(fd, TIOCOUTQ, &queued) == 0 && queued > 0)
    return (size_t)queued;
#else
  (void)s;
#endif
  return 0;
}

/* Open the device and start a session on it: 0, -errno, ATTACH_NO_SLOT. */
static int attach(gcmon_uart *u) {
  gcmon_session_config how = {.trusted = true,
                              .uart = true,
                              .link_bytes_per_s = u->baud / 10u, /* 8N1 */
                              .link_backlog = driver_backlog};
  char peer[300];
  int fd = open_raw(u);
  if (fd < 0)
    return fd;
  uv_pipe_init(u->loop, &u->pipe, 0);
  u->pipe.data = u;
  u->handles_open++;
  u->pipe_open = true;
  if (uv_pipe_open(&u->pipe, fd) != 0) {
    close(fd);
    uv_close((uv_handle_t *)&u->pipe, on_closed);
    return -EIO;
  }
  snprintf(peer, sizeof peer, "uart:%s", u->path);
  u->conn.on_end = on_conn_end;
#ifdef GCMON_PLATFORM_RTSMART
  u->conn.on_idle = on_idle;
#endif
  u->conn.data = u;
  how.peer = peer;
  if (gcmon__conn_start(&u->conn, u->agent, (uv_stream_t *)&u->pipe, &how) !=
      0) {
    uv_close((uv_handle_t *)&u->pipe, on_closed);
    return ATTACH_NO_SLOT;
  }
  return 0;
}

static void on_reopen(uv_timer_t *t) {
  gcmon_uart *u = t->data;
  int rc;
  if (u->pipe_open) /* the old handle has not finished closing */
    return;
  rc = attach(u);
  if (rc == 0) {
    uv_timer_stop(t);
    u->lost_logged = false;
    log_agent(u, GCMON_LOG_INFO, "device back", 0);
  } else if (!u->lost_logged) {
    u->lost_logged = true;
    log_agent(u, GCMON_LOG_WARN, "waiting for device", rc);
  }
}

int gcmon_uart_start(gcmon_uart **out, uv_loop_t *loop, gcmon_agent *agent,
                     const char *path, unsigned baud, char *err,
                     size_t errlen) {
  gcmon_uart *u;
  int rc;
  if (gcmon_uart_check_baud(baud) != 0) {
    snprintf(err, errlen, "--baud %u: not a supported serial speed", baud);
    return GCMON_EINVAL;
  }
#ifdef GCMON_PLATFORM_RTSMART
  if (gcmon_uart_rtsmart_check_path(path, err, errlen) != 0)
    return GCMON_EINVAL;
#endif
  u = calloc(1, sizeof *u);
  if (!u)
    return GCMON_ENOMEM;
  u->loop = loop;
  u->agent = agent;
  u->baud = baud;
  snprintf(u->path, sizeof u->path, "%s", path);
#ifdef GCMON_PLATFORM_RTSMART
  uv_timer_init(loop, &u->idle);
  u->idle.data = u;
  u->handles_open++;
#endif
  rc = attach(u);
  if (rc != 0) {
    snprintf(err, errlen, "cannot open UART %s: %s", path, attach_error(rc));
#ifdef GCMON_PLATFORM_RTSMART
    u->stopping = true;
    uv_close((uv_handle_t *)&u->idle, on_closed);
    return rc == ATTACH_NO_SLOT ? GCMON_ELIMIT : GCMON_EIO;
#endif
    rc = rc == ATTACH_NO_SLOT ? GCMON_ELIMIT : GCMON_EIO;
    if (u->handles_open) { /* pipe closing: free in its callback */
      u->stopping = true;
      return rc;
    }
    free(u);
    return rc;
  }
  uv_timer_init(loop, &u->reopen);
  u->reopen.data = u;
  u->handles_open++;
  *out = u;
  return 0;
}

void gcmon_uart_stop(gcmon_uart *u) {
  u->stopping = true;
  uv_timer_stop(&u->reopen);
  uv_close((uv_handle_t *)&u->reopen, on_closed);
#ifdef GCMON_PLATFORM_RTSMART
  uv_close((uv_handle_t *)&u->idle, on_closed);
#endif
  if (u->pipe_open && !uv_is_closing((uv_handle_t *)&u->pipe)) {
    if (u->conn.session)
      gcmon__conn_end(&u->conn, UV_ECANCELED);
    else {
      u->pipe.data = u;
      uv_close((uv_handle_t *)&u->pipe, on_closed);
    }
  }
}
