/**
 * The shared-memory layout between the main thread and the watchdog worker: `SLOTS` slots of
 * `SLOT_WORDS` Int32 words after one wake word. A slot's deadline is in milliseconds since
 * `baseMs` (so it fits an Int32 for 24 days); 0 means disarmed.
 *
 * @module
 */

/** What the worker receives. */
export interface WatchdogData {
  /** The shared words. */
  readonly buffer: SharedArrayBuffer;
  /** The rescue paths, `RESCUE_BYTES` per slot. */
  readonly rescue: SharedArrayBuffer;
  /** `Date.now()` when the buffer was created; deadlines count from here. */
  readonly baseMs: number;
}

/** Index of the word the worker waits on between ticks. */
export const WAKE_WORD = 0;
/** Concurrent QEMU processes one watchdog can guard. */
export const SLOTS = 64;
/** Words per slot. */
export const SLOT_WORDS = 4;
/** Slot word: QEMU's pid, 0 when the slot is free. */
export const SLOT_PID = 0;
/** Slot word: deadline in ms since `baseMs`, 0 when disarmed. */
export const SLOT_DEADLINE = 1;
/** Slot word: 1 once the watchdog killed this slot's QEMU. */
export const SLOT_FIRED = 2;
/** Slot word: byte length of the slot's rescue paths (0: none). */
export const SLOT_RESCUE_LENGTH = 3;
/** Bytes per slot for rescue paths: FIFOs (newline-separated) the worker opens read/write after a
 * kill, so a main thread blocked opening one of them (its peer never came) wakes up. */
export const RESCUE_BYTES = 1024;
/** Index of slot `i`'s first word (the wake word comes first). */
export function slotBase(i: number): number {
  return 1 + i * SLOT_WORDS;
}
/** How often the worker looks, in ms; a hang is noticed at most this late. */
export const TICK_MS = 50;
/** Bytes of the shared words. */
export const WATCHDOG_BYTES = (1 + SLOTS * SLOT_WORDS) * Int32Array.BYTES_PER_ELEMENT;
/** Byte offset of slot `i`'s rescue paths in the rescue buffer. */
export function rescueOffset(i: number): number {
  return i * RESCUE_BYTES;
}
