/* The command table: one row per command - its name, handler, the options
 * it takes, its arguments and its help. main.c dispatches on it. */
#include "cli.h"

#define J CLI_OPT_JSON

const cli_command cli_commands[] = {
    {"info", cmd_info, J, 0, 0, "",
     "show the daemon, source, device, limits and whether control is "
     "allowed",
     "Says hello and prints what the daemon reports about itself: name and\n"
     "version, memory source, device id, run id (changes when the daemon\n"
     "restarts), sampler period, history capacity, limits, and whether this\n"
     "session may run control commands.\n"
     "\n"
     "  --json    one JSON document (HelloResponse field names)\n"},
    {"stat", cmd_stat, J | CLI_OPT_BYTES, 0, 0, "",
     "read every memory counter once",
     "Reads every counter now (get_sample) and prints them as the K230 gc\n"
     "module's functions: gc.mem_alloc(), gc.mem_free(), gc.threshold(),\n"
     "gc.isenabled(), gc.sys_total(), gc.sys_heap(), gc.sys_page(),\n"
     "gc.sys_mmz(), in KiB/MiB with percentages.\n"
     "\n"
     "  --bytes   plain byte counts instead of KiB/MiB\n"
     "  --json    one JSON document (Sample field names)\n"},
    {"watch", cmd_watch, J | CLI_OPT_BYTES | CLI_OPT_INTERVAL | CLI_OPT_WIDE, 0,
     0, "",
     "live full-screen view of the pools, the gc and the link",
     "A live view refreshing in place: each pool as a bar with used and free,\n"
     "the gc heap's alloc/free/threshold/enabled, a sparkline of recent\n"
     "mem_alloc with its scale and span, per-pool graphs on a tall\n"
     "terminal, and link health; figures are dimmed while the link is down.\n"
     "Keys: c collect, t set the threshold, e/d enable/disable the gc\n"
     "(each asks first), p pause, ? help, q or Ctrl-C quit. Colour unless\n"
     "NO_COLOR is set or TERM=dumb. When stdout is not a terminal, prints\n"
     "one line per sample instead (host time, seq, gc and pools in 80\n"
     "columns; JSON Lines with --json). Reconnects by itself.\n"
     "\n"
     "  --interval DUR  sample interval (a multiple of the daemon's period;\n"
     "                  100 (ms), 250ms, 2s); says what was granted\n"
     "                                                         [every sample]\n"
     "  --bytes         plain byte counts\n"
     "  --wide          piped: every field, not only what fits 80 columns\n"
     "  --json          JSON Lines, one Sample (plus \"time\") per line\n"},
    {"collect", cmd_collect, J | CLI_OPT_BYTES, 0, 0, "",
     "run a garbage collection; show bytes freed and how long it took",
     "Runs gc.collect() on the device and prints the bytes freed, the time\n"
     "it took and the counters after it. A control command: allowed on UART\n"
     "and loopback, elsewhere only with the daemon's token.\n"
     "\n"
     "  --bytes   plain byte counts\n"
     "  --json    one JSON document (CollectResult field names)\n"},
    {"threshold", cmd_threshold, J | CLI_OPT_BYTES, 0, 1, "[BYTES|off]",
     "show or set the gc allocation threshold",
     "Without an argument prints gc.threshold(). With one, sets it:\n"
     "BYTES takes binary suffixes (65536, 64K, 1M, 1.5M), 'off' disables it.\n"
     "Prints the threshold in effect afterwards (the daemon may round it).\n"
     "Setting is a control command (see collect).\n"
     "\n"
     "  --bytes   plain byte count\n"
     "  --json    {\"threshold\": N} (-1 = off)\n"},
    {"enable", cmd_enable, J, 0, 0, "", "enable automatic garbage collection",
     "gc.enable() on the device; prints the state after. A control command.\n"
     "\n"
     "  --json    {\"enabled\": true}\n"},
    {"disable", cmd_disable, J, 0, 0, "",
     "disable automatic garbage collection",
     "gc.disable() on the device; prints the state after. A control command.\n"
     "\n"
     "  --json    {\"enabled\": false}\n"},
    {"history", cmd_history,
     J | CLI_OPT_CSV | CLI_OPT_BYTES | CLI_OPT_SINCE | CLI_OPT_WIDE, 0, 0, "",
     "download the samples the daemon retains",
     "Downloads the retained series (pipelined get_history requests) in\n"
     "ascending seq. Samples evicted before they could be read are reported\n"
     "as a gap. Shows progress on stderr when it is long and stderr is a\n"
     "terminal.\n"
     "\n"
     "terminal. Nothing at or after --since is said on stderr (exit 0).\n"
     "Each sample carries the host time it was taken (ISO 8601).\n"
     "\n"
     "  --since SEQ   start at this seq                    [oldest retained]\n"
     "  --csv         CSV with a header line\n"
     "  --json        one JSON document: run_id, samples[], gaps[]\n"
     "  --bytes       plain byte counts (text)\n"
     "  --wide        every field, not only what fits 80 columns (text)\n"},
    {"record", cmd_record, CLI_OPT_OUTFILE | CLI_OPT_INTERVAL, 0, 0, "",
     "stream samples to a file until interrupted",
     "Subscribes and writes every sample to FILE until SIGINT/SIGTERM,\n"
     "reconnecting after a lost link and resuming from the last seq, so the\n"
     "file holds a contiguous seq run. Rows whose event is 'gap' name seqs\n"
     "that could not be recovered; 'restart' marks a daemon restart (new\n"
     "run_id, seq starting again).\n"
     "\n"
     "  --csv FILE      CSV with a header line ('-' for stdout)\n"
     "  --json FILE     JSON Lines\n"
     "  --interval DUR  sample interval                       [every "
     "sample]\n"
     "On a terminal, stderr shows the samples written, gaps and the rate.\n"},
    {"export", cmd_export, CLI_OPT_EXPORT | CLI_OPT_INTERVAL, 0, 0, "",
     "serve Prometheus metrics for boards (/metrics, /probe?target=URI)",
     "An HTTP endpoint in the Prometheus text format. Each target keeps one\n"
     "session and subscription open, so a scrape answers from the latest\n"
     "sample without a round trip to the board.\n"
     "\n"
     "  /metrics                every -t target (label target=\"URI\")\n"
     "  /probe?target=URI       any tcp:// board, for Prometheus relabelling\n"
     "                          (the multi-target exporter pattern); serial\n"
     "                          targets only when also listed with -t\n"
     "\n"
     "An unreachable or stale board reads gcmon_probe_success 0. No control\n"
     "token is sent. Stops on SIGINT/SIGTERM. See docs/dashboards.md.\n"
     "\n"
     "  --listen HOST:PORT    where to serve ([V6]:PORT; port 0 picks one)\n"
     "                                                      [127.0.0.1:9230]\n"
     "  -t, --target URI      a board for /metrics; repeat for more\n"
     "  --max-targets N       /probe targets cached at most; more get 503\n"
     "                                                                 [256]\n"
     "  --idle-expiry DUR     drop a /probe target not scraped for this long\n"
     "                        (90s, 5m; a bare number is ms)            [5m]\n"
     "  --probe-allow NETS    /probe may reach only these hosts and\n"
     "                        networks (k230.lan,10.0.0.0/8,::1) [anywhere]\n"
     "  --interval DUR        sample interval (a multiple of the daemon's\n"
     "                        period)                          [every sample]\n"
     "  --timeout DUR         connecting and calls                      "
     "[5s]\n"},
    {"ports", cmd_ports, J, 0, 0, "",
     "list serial devices, marking the ones that look like a CanMV board",
     "Lists this host's serial devices: the device, its /dev/serial/by-id\n"
     "name, the USB vendor:product id and product string, and whether it\n"
     "looks like a CanMV board (USB 1209:abd1, or CanMV/K230/Kendryte/Canaan\n"
     "in its USB strings). Connects to nothing. -t auto picks the only such\n"
     "board (as repl://) or lists the candidates.\n"
     "\n"
     "  --json    JSON Lines, one device a line\n"},
    {"run", cmd_run, CLI_OPT_OUTFILE | CLI_OPT_INTERVAL | CLI_OPT_STATUS, 1, 1,
     "SCRIPT.py",
     "run a script on a board's console with telemetry (repl:// only)",
     "Uploads SCRIPT.py through the raw REPL and runs it, like mpremote run.\n"
     "With the agent in the firmware (import gcmon), the framed protocol is\n"
     "served beside the script on the same console (serve_console on a\n"
     "_thread) and gcmon subscribes; the script gets no terminal input.\n"
     "On stock firmware a small sampler goes up with the script (a _thread,\n"
     "else a machine.Timer, else a hook on time.sleep*()) printing tagged gc\n"
     "readings that gcmon takes out of the output; the terminal's input goes\n"
     "to the script. Either way the script's output goes to the terminal,\n"
     "the readings to FILE. Ctrl-C interrupts the script and leaves the REPL\n"
     "at its friendly prompt. Exit 1 when the script raised.\n"
     "\n"
     "  --csv FILE      readings as CSV ('-' for stdout)\n"
     "  --json FILE     readings as JSON Lines\n"
     "  --interval MS   reading period                             [1000]\n"
     "  --status        a line on stderr for every reading\n"},
    {"diagnose", cmd_diagnose, J | CLI_OPT_DIAGNOSE | CLI_OPT_INTERVAL, 0, 0,
     "", "find leaks, fragmentation, spikes and gc pauses; verdict per pool",
     "Watches the board for --for DURATION, or reads a record/history CSV,\n"
     "and gives a verdict per pool (gc, sys_heap, sys_page, sys_mmz): leak\n"
     "(slope of the post-collection baseline with a 99.9% bound), fragmen-\n"
     "tation (largest free falling or 1 - largest/free rising while free is\n"
     "flat), spikes (short excursions; watermarks when the input has them),\n"
     "gc pauses (p50/p99/max when collection records are present, else the\n"
     "collection rate). Live, it asks the board for watermarks, collection\n"
     "records and alarm events (protocol 1.1), as `gcmon record` does.\n"
     "Exit status: 0 healthy, 3 findings, 1 error, 2 usage.\n"
     "See docs/diagnose.md.\n"
     "\n"
     "  --for DUR          watch the board this long (20s, 5m)\n"
     "  --csv FILE         read a `gcmon record`/`history --csv` file instead\n"
     "  --html FILE        also write a self-contained HTML report with charts\n"
     "  --run-period DUR   one script run lasts this long (leak per run)\n"
     "  --interval DUR     sample interval when watching       [every sample]\n"
     "  --json             one JSON document with every number\n"},
    {"alarm", cmd_alarm, J, 1, 7, "add|list|rm ...",
     "board-side alarms: add a rule, list them with their state, remove one",
     "Rules the board evaluates at every sampler tick; raise and clear\n"
     "events appear in watch (line mode) and record. Rules stay on the\n"
     "board after this command ends, listed with who added them. add and\n"
     "rm are control commands (see collect); at most 6 rules.\n"
     "\n"
     "  alarm add POOL.METRIC below|above LEVEL [hysteresis=SIZE]\n"
     "            [hold=DURATION] [name=TEXT]\n"
     "      POOL    gc, sys_heap, sys_page, sys_mmz\n"
     "      METRIC  free, used, largest_free, fragmentation (gc only for\n"
     "              the last two; fragmentation = 1 - largest_free/free)\n"
     "      LEVEL   a size (512K, 2M), or a percentage for fragmentation\n"
     "      hysteresis  clears once back past LEVEL by this much      [0]\n"
     "      hold        raises once past LEVEL this long (200ms, 2s)  [0]\n"
     "  alarm list          every rule: id, target, owner, active, since\n"
     "  alarm rm ID         remove rule ID\n"
     "\n"
     "  --json    one JSON document (AlarmRule / AlarmList field names)\n"},
    {NULL, NULL, 0, 0, 0, NULL, NULL, NULL},
};
