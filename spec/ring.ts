/**
 * Circular queue arithmetic (Base 2.1 §3.3.1.5 "Full Queue", §3.3.1.4 "Empty Queue"): a queue of
 * `size` slots is empty when head == tail and full when head == tail + 1 (mod size), so it holds
 * at most `size - 1` entries. Plus 0's based encodings used by queue sizes and counts.
 *
 * @example
 * ```ts
 * import { ringFull, ringNext, ringUsed } from "./ring.ts";
 * if (ringNext(63, 64) !== 0) throw new Error("wraps");
 * if (!ringFull(0, 63, 64) || ringUsed(10, 2, 64) !== 56) throw new Error();
 * ```
 *
 * @module
 */

/** The slot after `index` in a ring of `size` slots. */
export function ringNext(index: number, size: number): number {
  return index + 1 === size ? 0 : index + 1;
}

/** `index` moved forward by `n` slots (n ≥ 0) in a ring of `size` slots. */
export function ringAdvance(index: number, n: number, size: number): number {
  return (index + n) % size;
}

/** Number of entries between `head` (consumer) and `tail` (producer). */
export function ringUsed(head: number, tail: number, size: number): number {
  return tail >= head ? tail - head : tail + size - head;
}

/** Number of entries a producer may still add (one slot always stays empty). */
export function ringFree(head: number, tail: number, size: number): number {
  return size - 1 - ringUsed(head, tail, size);
}

/** True when the queue holds no entries. */
export function ringEmpty(head: number, tail: number): boolean {
  return head === tail;
}

/** True when the queue is full: the producer would catch up with the consumer. */
export function ringFull(head: number, tail: number, size: number): boolean {
  return ringNext(tail, size) === head;
}

/**
 * True when moving the producer index from `oldTail` to `newTail` passes no unconsumed entry,
 * i.e. it adds at most `ringFree(head, oldTail)` entries. A doorbell that fails this overruns.
 */
export function ringAdvanceFits(
  head: number,
  oldTail: number,
  newTail: number,
  size: number,
): boolean {
  return ringUsed(oldTail, newTail, size) <= ringFree(head, oldTail, size);
}

/** Thrown for a count that has no 0's based encoding (zero or above the field's maximum). */
export class ZerosBasedError extends RangeError {
  /** Creates the error. */
  constructor(value: number, max: number) {
    super(`${value} cannot be written 0's based: it must be 1..${max}`);
    this.name = "ZerosBasedError";
  }
}

/** Encodes a count `n ≥ 1` as a 0's based value (`n - 1`) in a field of `width` bits. */
export function toZerosBased(n: number, width = 16): number {
  const max = 2 ** width;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ZerosBasedError(n, max);
  return n - 1;
}

/** Decodes a 0's based value into the count it means (`value + 1`). */
export function fromZerosBased(value: number): number {
  return value + 1;
}
