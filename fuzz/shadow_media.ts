/**
 * A shadow model of a namespace's media with a volatile write cache, for the data-integrity
 * property. Each block holds a *version*: 0 is all zeros (never written, deallocated, Write
 * Zeroes), any other number the pattern of one write. The model knows, per block:
 *
 * - what a read must return now (`current`), or — after a power loss, before the block is read —
 *   the set of versions it may return;
 * - the last version known durable, and the versions written since the last Flush (volatile).
 *
 * Rules (Base 2.1 §5.1.25.1.4 Volatile Write Cache, §7.2 Flush, §3.6 normal shutdown; NVM CS 1.1
 * §3.3.6 FUA): a completed write is what reads return; FUA makes it durable at once; Flush and a
 * completed normal shutdown make everything durable; a controller reset changes no data; a power
 * loss may lose anything not durable — each block then holds its durable version or any version
 * written to it since, and the first read tells which (it is durable from then on). Deallocate is
 * treated like a write of zeros (a controller may make it durable at once, or not).
 *
 * @example
 * ```ts
 * import { ShadowMedia } from "./shadow_media.ts";
 * const m = new ShadowMedia();
 * m.write(3, 7, false);
 * m.powerLoss();
 * if (m.allowed(3).join() !== "0,7") throw new Error("old zeros or the cached write");
 * m.observe(3, 7);
 * m.powerLoss();
 * if (m.allowed(3).join() !== "7") throw new Error("read back after power loss: durable");
 * ```
 *
 * @module
 */

/** Version of a block that reads as zeros. */
export const ZEROES = 0;

interface Block {
  /** What a read returns now; null when a power loss left it open (any of `durable`). */
  current: number | null;
  /** Versions that may be on non-volatile media (one, unless a power loss left it open). */
  durable: number[];
  /** Versions written since the last Flush, oldest first (the cache may hold any of them). */
  volatile: number[];
}

/** The model. */
export class ShadowMedia {
  readonly #blocks: Map<number, Block> = new Map();

  #block(lba: number): Block {
    let b = this.#blocks.get(lba);
    if (!b) {
      b = { current: ZEROES, durable: [ZEROES], volatile: [] };
      this.#blocks.set(lba, b);
    }
    return b;
  }

  /** A completed write (or Write Zeroes / Deallocate with `version` 0) of one block. */
  write(lba: number, version: number, fua: boolean): void {
    const b = this.#block(lba);
    b.current = version;
    if (fua) {
      b.durable = [version];
      b.volatile = [];
    } else b.volatile.push(version);
  }

  /** A completed Flush or normal shutdown: every block's current version is durable. */
  flush(): void {
    for (const b of this.#blocks.values()) {
      // An open block was not read since the power loss: the media keeps whichever it holds.
      if (b.current !== null) b.durable = [b.current];
      b.volatile = [];
    }
  }

  /** A power loss: a block with volatile versions may hold any of them, or its durable one. */
  powerLoss(): void {
    for (const b of this.#blocks.values()) {
      if (b.volatile.length === 0) continue;
      b.durable = [...new Set([...b.durable, ...b.volatile])];
      b.volatile = [];
      b.current = b.durable.length === 1 ? b.durable[0] : null;
    }
  }

  /** The versions a read of `lba` may return now, ascending. */
  allowed(lba: number): number[] {
    const b = this.#blocks.get(lba);
    if (!b) return [ZEROES];
    if (b.current !== null) return [b.current];
    return [...b.durable].sort((x, y) => x - y);
  }

  /** A read returned `version` (one of {@linkcode allowed}): it is the block's content now. */
  observe(lba: number, version: number): void {
    const b = this.#block(lba);
    if (b.current !== null) return;
    // Read back after a power loss: it is what the media holds, durable until overwritten.
    b.current = version;
    b.durable = [version];
  }
}
