/* gcmon error codes, shared by the daemon, the client library and the CLI.
 *
 * Every fallible gcmon function returns 0 on success or one negative
 * GCMON_E* code from the single list below; the list also generates
 * gcmon_strerror() and gcmon_err_name(), so a code can never lack its text.
 * The daemon-side Status codes of the wire protocol map one to one onto the
 * GCMON_ESTATUS_* range (see gcmon_status_to_error()).
 */
#ifndef GCMON_ERROR_H
#define GCMON_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* XX(name, value, message) */
#define GCMON_ERRNO_MAP(XX)                                                    \
  XX(EINVAL, -1, "invalid argument")                                           \
  XX(ENOMEM, -2, "out of memory")                                              \
  XX(ETIMEDOUT, -3, "timed out")                                               \
  XX(ECONNECT, -4, "cannot connect to target")                                 \
  XX(ECLOSED, -5, "connection closed")                                         \
  XX(EPROTO, -6, "protocol error")                                             \
  XX(EURI, -7, "malformed target URI")                                         \
  XX(EIO, -8, "input/output error")                                            \
  XX(ENOSPC, -9, "buffer too small")                                           \
  XX(EBUSY, -10, "busy, try again")                                            \
  XX(ENODEV, -11, "no such device")                                            \
  XX(ECANCELED, -12, "operation canceled")                                     \
  XX(EPARSE, -13, "malformed data")                                            \
  XX(EINVALARG, -20, "daemon: invalid argument")                               \
  XX(EPERM, -21, "daemon: permission denied")                                  \
  XX(EUNAVAIL, -22, "daemon: unavailable on this source")                      \
  XX(ELIMIT, -23, "daemon: resource exhausted")                                \
  XX(EUNIMPL, -24, "daemon: unimplemented")                                    \
  XX(EPRECOND, -25, "daemon: failed precondition")                             \
  XX(EINTERNAL, -26, "daemon: internal error")

typedef enum {
#define GCMON__ERR_ENUM(name, value, msg) GCMON_##name = (value),
  GCMON_ERRNO_MAP(GCMON__ERR_ENUM)
#undef GCMON__ERR_ENUM
      GCMON_OK = 0
} gcmon_errno;

/* Static text for an error code; "unknown error" for anything not listed. */
const char *gcmon_strerror(int err);

/* The code's name without prefix, e.g. "ETIMEDOUT". */
const char *gcmon_err_name(int err);

/* Wire Status code (gcmon.v1.Status.Code value) <-> error code.
 * OK maps to 0; an unknown wire code maps to GCMON_EPROTO. */
int gcmon_status_to_error(int status_code);
int gcmon_error_to_status(int err);

#ifdef __cplusplus
}
#endif
#endif
