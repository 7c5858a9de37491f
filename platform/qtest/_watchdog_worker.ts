/**
 * The watchdog thread (a `node:worker_threads` worker, unref'd so it never keeps the process
 * alive). The main thread blocks in `readSync` while a qtest command is outstanding, so only
 * another thread can notice that QEMU stopped answering: every tick this worker checks each
 * armed slot and SIGKILLs the QEMU whose deadline passed. The kill closes QEMU's end of the
 * reply FIFO, so the blocked read returns end-of-file and the main thread reports the hang.
 *
 * Shared layout: see `_watchdog_layout.ts`.
 *
 * @module
 */

import { isMainThread, workerData } from "node:worker_threads";
import {
  rescueOffset,
  SLOT_DEADLINE,
  SLOT_FIRED,
  SLOT_PID,
  SLOT_RESCUE_LENGTH,
  slotBase,
  SLOTS,
  TICK_MS,
  WAKE_WORD,
  type WatchdogData,
} from "./_watchdog_layout.ts";

/** Only a worker started by `watchdog.ts` watches; imported anywhere else this module is inert. */
const data = isMainThread ? null : workerData as WatchdogData | null;
const words = new Int32Array(data?.buffer ?? new SharedArrayBuffer(0));
const rescue = new Uint8Array(data?.rescue ?? new SharedArrayBuffer(0));

/** Opens each rescue FIFO read/write and closes it: a peer blocked opening it wakes up. */
function rescueSlot(i: number, at: number): void {
  const length = Atomics.load(words, at + SLOT_RESCUE_LENGTH);
  if (length === 0) return;
  const start = rescueOffset(i);
  const text = new TextDecoder().decode(rescue.slice(start, start + length));
  for (const path of text.split("\n")) {
    try {
      Deno.openSync(path, { read: true, write: true }).close();
    } catch {
      // gone already: nobody can be blocked on it
    }
  }
}

while (data !== null) {
  Atomics.wait(words, WAKE_WORD, 0, TICK_MS);
  const now = Date.now() - data.baseMs;
  for (let i = 0; i < SLOTS; i++) {
    const at = slotBase(i);
    const pid = Atomics.load(words, at + SLOT_PID);
    if (pid === 0) continue;
    if (Atomics.load(words, at + SLOT_FIRED) === 1) {
      // Rescue again every tick until the slot is released: the main thread may reach a blocking
      // open only after an earlier rescue (descheduled between arming and opening, or the second
      // of two FIFOs opened in turn), and would otherwise wait forever on a dead QEMU's FIFO.
      rescueSlot(i, at);
      continue;
    }
    const deadline = Atomics.load(words, at + SLOT_DEADLINE);
    if (deadline === 0 || now < deadline) continue;
    Atomics.store(words, at + SLOT_DEADLINE, 0);
    Atomics.store(words, at + SLOT_FIRED, 1);
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone: the main thread sees end-of-file either way.
    }
    rescueSlot(i, at);
  }
}
