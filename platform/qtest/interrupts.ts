/**
 * Interrupt observation under qtest, where no CPU runs to take an interrupt:
 *
 * - **MSI-X, the RAM-word trick** (reference §10/§11): each table entry's Message Address points
 *   at its own word of guest RAM and its Message Data is a per-vector tag, so an MSI-X message is
 *   a plain DMA store there (QEMU's `msi_send_message`). One `b64read` of the word array is one
 *   scan of every vector; a word found non-zero latches its vector and is cleared with a single
 *   `writel 0` (a message landing between the read and the clear merges into the latch, as two
 *   messages before a wake-up do on real hardware).
 * - **INTx**: `irq_intercept_in ioapic` makes QEMU report IOAPIC input levels as `IRQ raise N` /
 *   `IRQ lower N` lines; the NVMe function's INTA is input {@linkcode NVME_INTX_GSI}.
 *
 * @module
 */

import type { QtestClient } from "./client.ts";
import { NVME_INTX_GSI } from "./options.ts";

/** Message Data of vector `v`: "NV" in the high half, the vector in the low half (never 0). */
export function msixTag(v: number): number {
  return (MSIX_TAG_BASE | v) >>> 0;
}

/** High half of every tag. */
export const MSIX_TAG_BASE = 0x4e56_0000;
/** Bytes per MSI-X word. */
export const MSIX_WORD_BYTES = 4;

/** Latches of MSI-X vectors and the INTx level of one function. */
export class QtestInterrupts {
  /** MSI-X vectors whose words are scanned (0 until MSI-X is set up). */
  vectors = 0;
  /** Current level of the function's INTx input, as QEMU last reported it. */
  intxLevel = false;
  /** `IRQ raise` lines seen for the function's input. */
  intxAssertions = 0;
  /** MSI-X messages seen (non-zero words found by scans). */
  messages = 0;
  readonly #q: QtestClient;
  readonly #words: Uint8Array;
  readonly #view: DataView;
  readonly #latched: Uint8Array;
  #latchedCount = 0;

  /** Words for up to `maxVectors` vectors live at guest address `base`. */
  constructor(client: QtestClient, readonly base: number, readonly maxVectors: number) {
    this.#q = client;
    this.#words = new Uint8Array(maxVectors * MSIX_WORD_BYTES);
    this.#view = new DataView(this.#words.buffer);
    this.#latched = new Uint8Array(maxVectors);
    client.onIrq = (line, level) => {
      if (line !== NVME_INTX_GSI) return;
      if (level && !this.intxLevel) this.intxAssertions++;
      this.intxLevel = level;
    };
  }

  /** Guest address of vector `v`'s word. */
  wordAddress(v: number): number {
    return this.base + v * MSIX_WORD_BYTES;
  }

  /** Forgets every latch and zeroes the words of `vectors` vectors (set up from now on). */
  reset(vectors: number): void {
    this.vectors = Math.min(vectors, this.maxVectors);
    this.#latched.fill(0);
    this.#latchedCount = 0;
    this.#q.memset(this.base, this.maxVectors * MSIX_WORD_BYTES, 0);
  }

  /** One round trip: reads every word, latches and clears the non-zero ones. Returns the number
   * of new messages. With no MSI-X vectors set up it still makes one round trip (`endianness`),
   * which lets QEMU's main loop run and delivers pending `IRQ` lines. */
  scan(): number {
    const n = this.vectors;
    if (n === 0) {
      this.#q.command("endianness");
      return 0;
    }
    const words = this.#words.subarray(0, n * MSIX_WORD_BYTES);
    this.#q.b64read(this.base, words);
    let found = 0;
    for (let v = 0; v < n; v++) {
      if (this.#view.getUint32(v * MSIX_WORD_BYTES, true) === 0) continue;
      found++;
      this.#q.write(this.wordAddress(v), MSIX_WORD_BYTES, 0);
      if (this.#latched[v] === 0) {
        this.#latched[v] = 1;
        this.#latchedCount++;
      }
    }
    this.messages += found;
    return found;
  }

  /** Consumes vector `v`'s latch; true when it was set. */
  take(v: number): boolean {
    if (!(v >= 0 && v < this.maxVectors) || this.#latched[v] === 0) return false;
    this.#latched[v] = 0;
    this.#latchedCount--;
    return true;
  }

  /** Consumes and returns the first latched vector of `vectors` (null: the lowest of all), or -1. */
  takeFirst(vectors: readonly number[] | null): number {
    if (this.#latchedCount === 0) return -1;
    if (vectors === null) {
      for (let v = 0; v < this.vectors; v++) if (this.take(v)) return v;
      return -1;
    }
    for (const v of vectors) if (this.take(v)) return v;
    return -1;
  }
}
