/* The console seam (console.h) on MicroPython's own console: the REPL's
 * stdin and mp_hal_stdout_tx_strn. Firmware only (MicroPython headers). */
#ifndef GCMON_MP_CONSOLE_MICROPYTHON_H
#define GCMON_MP_CONSOLE_MICROPYTHON_H

#include "console.h"

/* Fill io for the calling Python thread (which holds the GIL). */
void gcmon_mp_console_io_micropython(gcmon_mp_console_io *io);

/* The same, beside a script: b is the process's one; *on_ready (a Python
 * callable, or None) is called once the pump serves, and the host's
 * Ctrl-C raises KeyboardInterrupt in the main thread. on_ready must
 * outlive the serve. */
void gcmon_mp_console_io_beside(gcmon_mp_console_io *io,
                                gcmon_mp_console_beside *b, void *on_ready);

#endif
