/**
 * The per-controller Changed Namespace List (log page 04h, Base 2.1 §5.1.12.1.5): the NSIDs
 * whose attachment or Identify Namespace data changed since the host last read the log with
 * RAE cleared. More than 1024 changed NSIDs saturate the log to the single entry FFFFFFFFh.
 *
 * The controller adds NSIDs when the subsystem notifies it (and raises the Namespace Attribute
 * Changed asynchronous event); Get Log Page reads the list and, unless RAE is set, clears it.
 *
 * @example
 * ```ts
 * import { ChangedNamespaceLog } from "./changed_ns_log.ts";
 * const log = new ChangedNamespaceLog();
 * log.add(7);
 * log.add(2);
 * const first = log.read(); // [2, 7], and the log is now empty
 * if (first.join() !== "2,7" || !log.isEmpty) throw new Error();
 * ```
 *
 * @module
 */

import {
  CHANGED_NS_LIST_OVERFLOW,
  ChangedNamespaceList,
  NS_LIST_ENTRIES,
} from "../spec/ns_list.ts";

/** Largest valid NSID; FFFFFFFFh is reserved as the overflow marker here. */
const MAX_VALID_NSID = CHANGED_NS_LIST_OVERFLOW - 1;

/** Thrown when an NSID outside 1..FFFFFFFEh is added (a harness bug, not a host error). */
export class InvalidNsidError extends RangeError {
  /** Creates the error. */
  constructor(nsid: number) {
    super(`NSID ${nsid} cannot be a changed namespace: use 1..${MAX_VALID_NSID}`);
    this.name = "InvalidNsidError";
  }
}

/** Accumulates changed NSIDs for one controller, saturating past 1024 entries. */
export class ChangedNamespaceLog {
  readonly #nsids = new Set<number>();
  #overflow = false;

  /** True when more than 1024 NSIDs changed since the last clear (the log reads FFFFFFFFh). */
  get overflowed(): boolean {
    return this.#overflow;
  }

  /** True when nothing changed since the last clear. */
  get isEmpty(): boolean {
    return !this.#overflow && this.#nsids.size === 0;
  }

  /** Records that `nsid` changed; throws {@linkcode InvalidNsidError} for 0 or ≥ FFFFFFFFh. */
  add(nsid: number): void {
    if (!Number.isInteger(nsid) || nsid < 1 || nsid > MAX_VALID_NSID) {
      throw new InvalidNsidError(nsid);
    }
    if (this.#overflow) return;
    this.#nsids.add(nsid);
    if (this.#nsids.size > NS_LIST_ENTRIES) {
      this.#overflow = true;
      this.#nsids.clear();
    }
  }

  /** Records several changed NSIDs. */
  addAll(nsids: Iterable<number>): void {
    for (const nsid of nsids) this.add(nsid);
  }

  /**
   * The log's entries: the changed NSIDs in increasing order, or `[FFFFFFFFh]` after overflow.
   * Clears the log unless `retain` (Get Log Page RAE = 1) is set.
   */
  read(retain = false): number[] {
    const out = this.#overflow
      ? [CHANGED_NS_LIST_OVERFLOW]
      : [...this.#nsids].sort((a, b) => a - b);
    if (!retain) this.clear();
    return out;
  }

  /**
   * Encodes the 4096-byte log page into `into` at `offset` (see {@linkcode read} for `retain`)
   * and returns `into`.
   */
  readPage(into: Uint8Array, offset = 0, retain = false): Uint8Array {
    return ChangedNamespaceList.encode({ ns: this.read(retain) }, into, offset);
  }

  /** Empties the log (and ends an overflow). */
  clear(): void {
    this.#nsids.clear();
    this.#overflow = false;
  }
}
