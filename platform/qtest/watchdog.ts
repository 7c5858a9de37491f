/**
 * The watchdog that turns a hung QEMU into a clear error. The qtest client blocks in `readSync`
 * while a command is outstanding, so the check runs on another thread: one shared, unref'd worker
 * (it never keeps the process alive) watches a slot per QEMU process. Before each command the
 * client arms its slot with a deadline (a few Int32 stores); after the reply it disarms it. When a
 * deadline passes the worker SIGKILLs that QEMU, the blocked read returns end-of-file, and the
 * client sees {@linkcode WatchdogSlot.fired} and reports a hang instead of an exit.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import { PlatformError } from "../errors.ts";
import {
  RESCUE_BYTES,
  rescueOffset,
  SLOT_DEADLINE,
  SLOT_FIRED,
  SLOT_PID,
  SLOT_RESCUE_LENGTH,
  slotBase,
  SLOTS,
  WATCHDOG_BYTES,
  type WatchdogData,
} from "./_watchdog_layout.ts";

interface Shared {
  readonly words: Int32Array;
  readonly rescue: Uint8Array;
  readonly baseMs: number;
}

let shared: Shared | null = null;

function watchdog(): Shared {
  if (shared === null) {
    const buffer = new SharedArrayBuffer(WATCHDOG_BYTES);
    const rescue = new SharedArrayBuffer(SLOTS * RESCUE_BYTES);
    const data: WatchdogData = { buffer, rescue, baseMs: Date.now() };
    const worker = new Worker(new URL("./_watchdog_worker.ts", import.meta.url), {
      workerData: data,
    });
    worker.unref();
    shared = { words: new Int32Array(buffer), rescue: new Uint8Array(rescue), baseMs: data.baseMs };
  }
  return shared;
}

/** One QEMU process's watchdog slot. */
export class WatchdogSlot {
  readonly #shared: Shared;
  readonly #words: Int32Array;
  readonly #baseMs: number;
  readonly #index: number;
  readonly #at: number;
  #released = false;

  /** Use {@linkcode watchProcess}. */
  constructor(s: Shared, index: number) {
    this.#shared = s;
    this.#words = s.words;
    this.#baseMs = s.baseMs;
    this.#index = index;
    this.#at = slotBase(index);
  }

  /** FIFOs the worker opens read/write after a kill, waking a main thread blocked opening one
   * of them ([] to clear). */
  setRescuePaths(paths: readonly string[]): void {
    const bytes = new TextEncoder().encode(paths.join("\n"));
    if (bytes.length > RESCUE_BYTES) {
      throw new PlatformError(`watchdog: rescue paths longer than ${RESCUE_BYTES} bytes`);
    }
    Atomics.store(this.#words, this.#at + SLOT_RESCUE_LENGTH, 0);
    this.#shared.rescue.set(bytes, rescueOffset(this.#index));
    Atomics.store(this.#words, this.#at + SLOT_RESCUE_LENGTH, bytes.length);
  }

  /** Arms the slot: the process is killed unless {@linkcode disarm} comes within `ms`. */
  arm(ms: number): void {
    // Never 0 (that means disarmed): a deadline at the base instant is pushed by 1 ms.
    const deadline = Math.max(1, Date.now() - this.#baseMs + ms);
    this.#words[this.#at + SLOT_DEADLINE] = deadline;
  }

  /** Disarms the slot. */
  disarm(): void {
    this.#words[this.#at + SLOT_DEADLINE] = 0;
  }

  /** True once the watchdog killed this slot's process. */
  get fired(): boolean {
    return Atomics.load(this.#words, this.#at + SLOT_FIRED) === 1;
  }

  /** Frees the slot (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    Atomics.store(this.#words, this.#at + SLOT_DEADLINE, 0);
    Atomics.store(this.#words, this.#at + SLOT_RESCUE_LENGTH, 0);
    Atomics.store(this.#words, this.#at + SLOT_PID, 0);
  }
}

/** Claims a watchdog slot for process `pid` (starting the shared worker on first use). */
export function watchProcess(pid: number): WatchdogSlot {
  const s = watchdog();
  const words = s.words;
  for (let i = 0; i < SLOTS; i++) {
    const at = slotBase(i);
    if (Atomics.compareExchange(words, at + SLOT_PID, 0, pid) !== 0) continue;
    Atomics.store(words, at + SLOT_DEADLINE, 0);
    Atomics.store(words, at + SLOT_FIRED, 0);
    Atomics.store(words, at + SLOT_RESCUE_LENGTH, 0);
    return new WatchdogSlot(s, i);
  }
  throw new PlatformError(
    `watchdog: ${SLOTS} QEMU processes are already being watched; close sessions before ` +
      "opening more",
  );
}
