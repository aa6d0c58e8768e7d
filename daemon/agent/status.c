/* The Status of a response: code and message (layer 1). */
#define _POSIX_C_SOURCE 200809L
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

void gcmon__set_status(gcmon_v1_Response *resp, gcmon_v1_Status_Code code,
                       const char *fmt, ...) {
  va_list ap;
  resp->has_status = true;
  resp->status.code = code;
  va_start(ap, fmt);
  vsnprintf(resp->status.message, sizeof resp->status.message, fmt, ap);
  va_end(ap);
  if (code != gcmon_v1_Status_Code_OK)
    resp->which_result = 0;
}
