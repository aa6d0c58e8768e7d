/* Child processes and loopback sockets for the benchmarks (see
 * bench_proc.h). */
#define _DEFAULT_SOURCE
#include "bench_proc.h"

#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS     32
#define START_WAIT_S 15

void bench_daemon_log(const bench_daemon *d, char *buf, size_t cap) {
  FILE *f = fopen(d->log_path, "r");
  size_t n = 0;
  if (f) {
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
  }
  buf[n] = '\0';
}

static void exec_daemon(const char *gcmond, const char *run_path,
                        const char *const *args, const char *const *env,
                        int logfd) {
  const char *argv[MAX_ARGS + 6];
  int n = 0, devnull = open("/dev/null", O_RDWR);
  argv[n++] = gcmond;
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--run-file";
  argv[n++] = run_path;
  for (int i = 0; args && args[i] && n < MAX_ARGS; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  for (int i = 0; env && env[i]; i++)
    putenv((char *)(uintptr_t)env[i]);
  dup2(logfd, 2);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
  }
  execv(gcmond, (char *const *)(uintptr_t)argv);
  fprintf(stderr, "bench: cannot run %s: %s\n", gcmond, strerror(errno));
  _exit(127);
}

int bench_daemon_start(bench_daemon *d, const char *gcmond,
                       const char *const *args, const char *const *env) {
  char log[8192];
  int logfd;
  uint64_t deadline;

  memset(d, 0, sizeof *d);
  snprintf(d->log_path, sizeof d->log_path, "/tmp/gcmon-bench-XXXXXX");
  logfd = mkstemp(d->log_path);
  if (logfd < 0) {
    perror("bench: mkstemp");
    return -1;
  }
  snprintf(d->run_path, sizeof d->run_path, "%s.run", d->log_path);
  d->pid = fork();
  if (d->pid == 0)
    exec_daemon(gcmond, d->run_path, args, env, logfd);
  close(logfd);
  if (d->pid < 0) {
    perror("bench: fork");
    unlink(d->log_path);
    return -1;
  }
  deadline = bench_now_ns() + START_WAIT_S * 1000000000ull;
  while (bench_now_ns() < deadline) {
    const char *p;
    bench_daemon_log(d, log, sizeof log);
    p = strstr(log, "(port ");
    if (p && strstr(log, "sampling every")) {
      d->port = atoi(p + 6);
      return 0;
    }
    if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
      d->pid = 0;
      break;
    }
    bench_sleep_ms(10);
  }
  fprintf(stderr, "bench: gcmond did not start:\n%s\n", log);
  bench_daemon_stop(d);
  return -1;
}

static int reap(pid_t pid) {
  int status;
  for (int i = 0; i < 500; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0)
      return -1;
    bench_sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

int bench_daemon_stop(bench_daemon *d) {
  int rc = -1;
  if (d->pid > 0) {
    if (unlink(d->run_path) != 0) /* not started far enough to make it */
      kill(d->pid, SIGKILL);
    rc = reap(d->pid);
  }
  if (d->run_path[0])
    unlink(d->run_path);
  d->run_path[0] = '\0';
  d->pid = 0;
  if (d->log_path[0])
    unlink(d->log_path);
  d->log_path[0] = '\0';
  return rc;
}

pid_t bench_spawn(const char *path, const char *const *argv) {
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    execv(path, (char *const *)(uintptr_t)argv);
    fprintf(stderr, "bench: cannot run %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  return pid;
}

pid_t bench_fork(int (*fn)(void *arg), void *arg) {
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid == 0)
    _exit(fn(arg));
  return pid;
}

int bench_child_stop(pid_t pid) {
  if (pid <= 0)
    return -1;
  kill(pid, SIGTERM);
  return reap(pid);
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int bench_listen_loopback(int *port) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  set_nodelay(fd);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

int bench_connect_loopback(int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  set_nodelay(fd);
  return fd;
}
