/* The C library calls the generic POSIX libuv makes in a form
 * RT-Smart does not serve, each redirected here when libuv is built for the
 * rtsmart configuration (-Dsocket=... in daemon/rtsmart/CMakeLists.txt):
 *
 *   socket(type | SOCK_NONBLOCK | SOCK_CLOEXEC)  RT-Smart's sys_socket drops
 *       the flags: the socket is made without them and set non-blocking
 *       with fcntl(F_SETFL), which RT-Smart serves for sockets.
 *   fcntl(F_GETFD / F_SETFD)  RT-Smart has no close-on-exec: its fcntl
 *       handles F_GETFL/F_SETFL only and hands other commands to the
 *       driver, which rejects them. gcmond executes no other program, so
 *       close-on-exec has nothing to protect: F_SETFD succeeds doing
 *       nothing, F_GETFD reports FD_CLOEXEC.
 *   writev  absent on RT-Smart: one write per buffer, stopping at the first
 *       short write as writev's caller expects a partial count.
 *
 *   chmod, getppid, geteuid, getrusage, socketpair, uname  absent on
 *       RT-Smart, and getpwuid_r (no user database there); libuv names
 *       them only in calls gcmond never makes (uv_pipe_chmod,
 *       uv_os_getppid, uv_os_get_passwd, uv_getrusage,
 *       uv_socketpair, uv_os_uname). They fail with ENOSYS, as the kernel
 *       would, so that nothing in the archive names an absent function.
 *
 * Everything else goes straight to the C library. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

int gcmon_rtsmart_socket(int domain, int type, int protocol);
int gcmon_rtsmart_fcntl(int fd, int cmd, ...);
ssize_t gcmon_rtsmart_writev(int fd, const struct iovec *iov, int iovcnt);
int gcmon_rtsmart_chmod(const char *path, mode_t mode);
pid_t gcmon_rtsmart_getppid(void);
uid_t gcmon_rtsmart_geteuid(void);
int gcmon_rtsmart_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf,
                             size_t len, struct passwd **result);
int gcmon_rtsmart_getrusage(int who, struct rusage *usage);
int gcmon_rtsmart_socketpair(int domain, int type, int protocol, int sv[2]);
int gcmon_rtsmart_uname(struct utsname *buf);

int gcmon_rtsmart_socket(int domain, int type, int protocol) {
  int nonblock = (type & SOCK_NONBLOCK) != 0;
  int fd = socket(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), protocol);
  int fl;
  if (fd < 0 || !nonblock)
    return fd;
  fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int gcmon_rtsmart_fcntl(int fd, int cmd, ...) {
  va_list ap;
  intptr_t arg;
  va_start(ap, cmd);
  arg = va_arg(ap, intptr_t);
  va_end(ap);
  switch (cmd) {
  case F_SETFD:
    return 0;
  case F_GETFD:
    return FD_CLOEXEC;
  default:
    return fcntl(fd, cmd, arg);
  }
}

ssize_t gcmon_rtsmart_writev(int fd, const struct iovec *iov, int iovcnt) {
  ssize_t done = 0;
  for (int i = 0; i < iovcnt; i++) {
    ssize_t n;
    if (iov[i].iov_len == 0)
      continue;
    n = write(fd, iov[i].iov_base, iov[i].iov_len);
    if (n < 0)
      return done > 0 ? done : -1;
    done += n;
    if ((size_t)n < iov[i].iov_len)
      break;
  }
  return done;
}

static int absent(void) {
  errno = ENOSYS;
  return -1;
}

int gcmon_rtsmart_chmod(const char *path, mode_t mode) {
  (void)path;
  (void)mode;
  return absent();
}

pid_t gcmon_rtsmart_getppid(void) { return (pid_t)absent(); }

uid_t gcmon_rtsmart_geteuid(void) { return (uid_t)absent(); }

int gcmon_rtsmart_getpwuid_r(uid_t uid, struct passwd *pwd, char *buf,
                             size_t len, struct passwd **result) {
  (void)uid;
  (void)pwd;
  (void)buf;
  (void)len;
  *result = NULL;
  return ENOSYS; /* returns the error, as getpwuid_r does */
}

int gcmon_rtsmart_getrusage(int who, struct rusage *usage) {
  (void)who;
  (void)usage;
  return absent();
}

int gcmon_rtsmart_socketpair(int domain, int type, int protocol, int sv[2]) {
  (void)domain;
  (void)type;
  (void)protocol;
  (void)sv;
  return absent();
}

int gcmon_rtsmart_uname(struct utsname *buf) {
  (void)buf;
  return absent();
}
