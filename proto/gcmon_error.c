/* Text and wire-status mapping for the GCMON_E* codes of include/gcmon/error.h.
 * Generated from the one X-macro list so that adding a code cannot leave it
 * without a message. */
#include "gcmon/error.h"

const char *gcmon_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define GCMON__ERR_TEXT(name, value, msg)                                      \
  case (value):                                                                \
    return msg;
    GCMON_ERRNO_MAP(GCMON__ERR_TEXT)
#undef GCMON__ERR_TEXT
  }
  return "unknown error";
}

const char *gcmon_err_name(int err) {
  switch (err) {
  case 0:
    return "OK";
#define GCMON__ERR_NAME(name, value, msg)                                      \
  case (value):                                                                \
    return #name;
    GCMON_ERRNO_MAP(GCMON__ERR_NAME)
#undef GCMON__ERR_NAME
  }
  return "EUNKNOWN";
}

/* Wire codes are gcmon.v1.Status.Code: OK=0, INVALID_ARGUMENT=1 ... INTERNAL=7,
 * in the order of the GCMON_ESTATUS range (-20 .. -26). */
int gcmon_status_to_error(int status_code) {
  if (status_code == 0)
    return 0;
  if (status_code >= 1 && status_code <= 7)
    return GCMON_EINVALARG - (status_code - 1);
  return GCMON_EPROTO;
}

int gcmon_error_to_status(int err) {
  if (err == 0)
    return 0;
  if (err <= GCMON_EINVALARG && err >= GCMON_EINTERNAL)
    return 1 + (GCMON_EINVALARG - err);
  if (err == GCMON_EINVAL)
    return 1; /* INVALID_ARGUMENT */
  return 7;   /* INTERNAL */
}
