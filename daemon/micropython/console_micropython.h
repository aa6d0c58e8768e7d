/* The console seam (console.h) on MicroPython's own console: the REPL's
 * stdin and mp_hal_stdout_tx_strn. Firmware only (MicroPython headers). */
#ifndef GCMON_MP_CONSOLE_MICROPYTHON_H
#define GCMON_MP_CONSOLE_MICROPYTHON_H

#include "console.h"

/* Fill io for the calling Python thread (which holds the GIL). */
void gcmon_mp_console_io_micropython(gcmon_mp_console_io *io);

#endif
