// A real MicroPython REPL on raw stdin/stdout bytes: the WebAssembly port's
// event-driven REPL (replInit/replProcessChar), fed one byte at a time.
// Run it behind a pty with socat (tests/repl/mprepl.py does). Synchronous:
// the port runs a program inside replProcessChar, so input is read with
// plain reads on a non-blocking descriptor. While a program runs, each time
// it prints, input that has arrived is taken in and Ctrl-C (the REPL's
// interrupt character) raises KeyboardInterrupt, as a board's UART IRQ
// would; a program that never prints cannot be interrupted here.
// Options:
//   --heap N    gc heap bytes (default 131072)
//   --baud N    pace both directions like a serial line (10 bits a byte)
import fs from "node:fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

let heap = 131072, baud = 0;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === "--heap") heap = parseInt(process.argv[++i], 10);
  else if (process.argv[i] === "--baud") baud = parseInt(process.argv[++i], 10);
}
const nsPerByte = baud ? 1e10 / baud : 0; // 10 bits a byte
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const now = () => Number(process.hrtime.bigint());

// A byte may not leave (or be taken in) before its slot on the line.
function pacer() {
  let free = 0;
  return (n) => {
    if (!nsPerByte) return;
    const t = now();
    if (free < t) free = t; // an idle line banks no credit
    free += n * nsPerByte;
    const wait = free - now();
    if (wait > 1e6) Atomics.wait(sleeper, 0, 0, wait / 1e6);
  };
}
const paceOut = pacer(), paceIn = pacer();

let out = [];
function flush() {
  if (!out.length) return;
  const b = Buffer.from(out);
  out = [];
  for (let off = 0; off < b.length; off += 64) {
    const part = b.subarray(off, off + 64);
    paceOut(part.length);
    let done = 0;
    while (done < part.length) {
      try {
        done += fs.writeSync(1, part, done);
      } catch (e) {
        if (e.code !== "EAGAIN") process.exit(0);
        Atomics.wait(sleeper, 0, 0, 1);
      }
    }
  }
}

const inBuf = Buffer.alloc(4096);
const inFd = fs.openSync("/proc/self/fd/0", fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
let inQ = [];
let mp = null;
let running = false; // inside replProcessChar: a program may be running
// Take what has arrived; false when nothing had. Exits at end of input.
function takeInput() {
  let n;
  try {
    n = fs.readSync(inFd, inBuf, 0, inBuf.length);
  } catch (e) {
    if (e.code === "EAGAIN") return false;
    flush();
    process.exit(0);
  }
  if (n === 0) { flush(); process.exit(0); }
  for (let i = 0; i < n; i++) {
    if (running && mp && inBuf[i] === mp._module._mp_hal_get_interrupt_char())
      mp._module._mp_sched_keyboard_interrupt();
    else
      inQ.push(inBuf[i]);
  }
  return true;
}
function nextByte() {
  while (!inQ.length) {
    flush();
    if (!takeInput()) Atomics.wait(sleeper, 0, 0, 2);
  }
  paceIn(1);
  return inQ.shift();
}

let polled = 0;
mp = await loadMicroPython({
  heapsize: heap,
  linebuffer: false,
  stdin: nextByte,
  stdout: (data) => {
    for (const c of data) out.push(c);
    if (out.length >= 256) flush();
    if (running && now() - polled > 1e6) {
      polled = now();
      flush();
      takeInput();
    }
  },
});
mp.replInit();
for (;;) {
  const c = nextByte();
  running = true;
  const reset = mp.replProcessChar(c);
  running = false;
  // Ctrl-D at an empty friendly prompt: a board soft-resets; here the
  // REPL starts over (with its banner) in the same VM.
  if (reset) mp.replInit();
  if (!inQ.length) flush();
}
