/* Child processes the benchmarks measure from outside: gcmond itself, run
 * from its binary exactly as a user would, and the baseline servers each
 * benchmark forks from its own code.
 *
 *     bench_daemon d;
 *     const char *args[] = {"--source", "sim", "--interval", "10", NULL};
 *     if (bench_daemon_start(&d, gcmond_path, args, NULL) != 0) return 1;
 *     ... connect to 127.0.0.1:d.port, read /proc/d.pid ...
 *     bench_daemon_stop(&d);          // remove its run file, wait; status
 *
 * gcmond's stderr goes to a temporary file (never a pipe: a pipe nobody
 * drains would stall the daemon), removed by stop.
 */
#ifndef GCMON_BENCH_PROC_H
#define GCMON_BENCH_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;          /* the TCP port gcmond bound */
  char log_path[64]; /* its stderr */
  char run_path[72]; /* its --run-file: removing it stops gcmond (the one
                        way the rtsmart build stops, no signal handlers) */
} bench_daemon;

/* Start gcmond listening on 127.0.0.1 (a free port) with the extra args
 * (NULL-terminated) and extra environment entries "NAME=value" (env may be
 * NULL), and wait until it says it is sampling. 0, or -1 with its log on
 * stderr. */
int bench_daemon_start(bench_daemon *d, const char *gcmond,
                       const char *const *args, const char *const *env);

/* Remove its run file, wait (SIGKILL after 5 s); returns its exit status (0
 * for a clean stop), or -1 when it had to be killed or had crashed. */
int bench_daemon_stop(bench_daemon *d);

/* Copy the daemon's stderr so far into buf (NUL-terminated). */
void bench_daemon_log(const bench_daemon *d, char *buf, size_t cap);

/* Run path with argv (argv[0] first, NULL-terminated), stdin/stdout on
 * /dev/null, stderr inherited. Returns the child's pid, or -1. */
pid_t bench_spawn(const char *path, const char *const *argv);

/* Fork a child that runs fn(arg) and exits with its result. Returns the
 * child's pid, or -1. */
pid_t bench_fork(int (*fn)(void *arg), void *arg);

/* SIGTERM a forked child and reap it; returns its exit status or -1. */
int bench_child_stop(pid_t pid);

/* A listening TCP socket on 127.0.0.1 (free port, TCP_NODELAY inherited
 * by accepted sockets where the kernel does so). Returns the fd, -1 on
 * failure; *port is the bound port. */
int bench_listen_loopback(int *port);

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY; -1 on
 * failure. */
int bench_connect_loopback(int port);

#endif
