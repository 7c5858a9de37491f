/**
 * Data pointers the way Linux's `nvme_map_data` builds them (Base 2.1 §4.3.1 PRP, §4.3.2 SGL),
 * written independently of the controller's walkers so each checks the other:
 *
 * - PRP1 is the first address at any dword-aligned offset; the first chunk runs to the end of its
 *   4 KiB controller page.
 * - Nothing left: PRP2 = 0. At most one page left: PRP2 points straight at it (no list).
 * - Otherwise PRP2 points at a PRP list: a 256-byte "small pool" block (usually not page aligned,
 *   so the list pointer has an in-page offset) for up to 32 entries, else 4 KiB pages of 512
 *   slots. When a page fills and data remains, its last entry moves to slot 0 of a new page and
 *   the old last slot points at the new page (511 data entries + 1 chain pointer per full page).
 * - SGLs on I/O queues when the controller supports them: a single segment that PRPs cannot
 *   describe in two entries, an average segment of at least `sgl_threshold`, or a buffer with
 *   mid-page gaps; one Data Block in the SQE, or a Last Segment descriptor pointing at ≤ 256 Data
 *   Block descriptors.
 *
 * Descriptor memory is per request and reused across commands (no allocation per command once a
 * tag has served its largest transfer).
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglType } from "../../spec/sgl.ts";
import { Psdt } from "../../spec/sqe.ts";
import type { DataSegment } from "../model.ts";
import { PSDT_MASK, PSDT_SHIFT, SQE_PRP1, SQE_PRP2, SQE_PSDT, SQE_SGL1 } from "./_queue_entries.ts";

/** `NVME_CTRL_PAGE_SIZE`: Linux always uses 4 KiB controller pages. */
export const CTRL_PAGE_SIZE = 4096;
/** `NVME_SMALL_POOL_SIZE`: small descriptor blocks. */
export const SMALL_POOL_SIZE = 256;
/** PRP entries in one list page. */
export const PRPS_PER_PAGE = CTRL_PAGE_SIZE / 8;
/** `NVME_MAX_NR_DESCRIPTORS`: list pages per request. */
export const MAX_DESCRIPTOR_PAGES = 5;
/** `NVME_MAX_SEGS`: SGL descriptors in one list. */
export const MAX_SGL_SEGMENTS = CTRL_PAGE_SIZE / SGL_DESCRIPTOR_SIZE;

const PAGE_MASK = CTRL_PAGE_SIZE - 1;
/** SGL descriptor fields (Base 2.1 §4.3.2): Address, Length, and dword 3 (reserved bytes 12..14
 * and the SGL Identifier in byte 15), which is written whole. */
const D_ADDR = SglDescriptor.field("addr").offset, D_LEN = SglDescriptor.field("len").offset;
const D_DW3 = SGL_DESCRIPTOR_SIZE - 4;
const idDword = (type: number): number => {
  const d = SglDescriptor.encode({ type });
  return new DataView(d.buffer, d.byteOffset).getUint32(D_DW3, true);
};
/** Dword 3 of a Data Block and of a Last Segment descriptor. */
const DATA_BLOCK_DW3 = idDword(SglType.DATA_BLOCK);
const LAST_SEGMENT_DW3 = idDword(SglType.LAST_SEGMENT);

/** Writes one SGL descriptor at byte `at` of `v` (an SQE's SGL1 or a descriptor list). */
function setDescriptor(v: DataView, at: number, addr: number, len: number, dw3: number): void {
  v.setBigUint64(at + D_ADDR, BigInt(addr), true);
  v.setUint32(at + D_LEN, len, true);
  v.setUint32(at + D_DW3, dw3, true);
}

/** Per-request descriptor memory, allocated on first need and kept for reuse. */
export class IoDescriptors {
  /** Address of this request's 256-byte small-pool block (0 until needed). */
  small = 0;
  /** Large list pages, in chain order. */
  readonly pages: number[] = [];
}

/** Hands out 256-byte small-pool blocks carved from 4 KiB pages (16 per page). */
export class SmallPool {
  #page = 0;
  #next = CTRL_PAGE_SIZE;
  /** A pool over `host` memory. */
  constructor(readonly host: HostPort) {}
  /** A fresh 256-byte block (never freed: each belongs to one request slot for life). */
  block(): number {
    if (this.#next === CTRL_PAGE_SIZE) {
      this.#page = this.host.allocate(CTRL_PAGE_SIZE, CTRL_PAGE_SIZE);
      this.#next = 0;
    }
    const addr = this.#page + this.#next;
    this.#next += SMALL_POOL_SIZE;
    return addr;
  }
}

/** How a request should use SGLs (Linux `nvme_pci_use_sgls`). */
export type SglPolicy = "unsupported" | "supported";

/** Outcome of mapping. */
export type MapOutcome = "prp" | "sgl" | "bad-buffer";

/**
 * Scratch of every mapper: one descriptor page being built, the PRP entries after PRP1, and merged
 * SGL segments. Shared by all instances (so creating a driver allocates none of it): `map` runs to
 * completion without calling back into driver code, so no two mappings ever interleave.
 */
const scratchPage = new Uint8Array(CTRL_PAGE_SIZE);
const scratchPageView = new DataView(scratchPage.buffer);
const scratchEntries = new Float64Array(MAX_DESCRIPTOR_PAGES * PRPS_PER_PAGE + 1);
const scratchMerged = new Float64Array(2 * (MAX_SGL_SEGMENTS + 1));

/**
 * Builds data pointers into an SQE. One instance per driver; scratch memory is reused.
 */
export class LinuxDataMapper {
  readonly #scratch = scratchPage;
  readonly #sv = scratchPageView;
  readonly #entries = scratchEntries;
  readonly #merged = scratchMerged;

  /** A mapper over `host`, with a small pool for short lists. */
  constructor(readonly host: HostPort, readonly pool: SmallPool) {}

  /**
   * Fills DPTR and PSDT of `sqe` for `data` (`length` bytes in total). `sgl` says whether SGLs may
   * be used (I/O queue on an SGL-capable controller); `threshold` is `sgl_threshold`.
   */
  map(
    sqe: DataView,
    data: readonly DataSegment[],
    length: number,
    sgl: SglPolicy,
    threshold: number,
    iod: IoDescriptors,
  ): MapOutcome {
    const sglOk = sgl === "supported";
    if (data.length === 0 || length === 0) return "bad-buffer";
    for (let i = 0; i < data.length; i++) if (data[i].addr % 4 !== 0) return "bad-buffer";
    const first = data[0];
    if (data.length === 1) {
      // nvme_pci_setup_data_simple: PRP1 (+ direct PRP2) when it fits two entries.
      const off = first.addr & PAGE_MASK;
      if (off + length <= 2 * CTRL_PAGE_SIZE) {
        const firstLen = CTRL_PAGE_SIZE - off;
        this.#setPrp(sqe, first.addr, length > firstLen ? first.addr + firstLen : 0);
        return "prp";
      }
      if (sglOk) return this.#sgl(sqe, data, iod);
    }
    if (sglOk && threshold > 0 && Math.ceil(length / data.length) >= threshold) {
      return this.#sgl(sqe, data, iod);
    }
    const entries = this.#prpEntries(data, length);
    if (entries < 0) return sglOk ? this.#sgl(sqe, data, iod) : "bad-buffer";
    return this.#prpList(sqe, first.addr, entries, iod);
  }

  /** Collects the PRP entries after PRP1 into #entries; -1 when the buffer has a gap (an interior
   * chunk not page aligned) or needs more than the descriptor pages hold. */
  #prpEntries(data: readonly DataSegment[], length: number): number {
    let seg = 0;
    let segOff = 0;
    let remaining = length;
    let n = 0;
    let chunk = Math.min(remaining, CTRL_PAGE_SIZE - (data[0].addr & PAGE_MASK));
    for (;;) {
      // Consume `chunk` bytes from the current segment; a chunk may not straddle segments.
      if (data[seg].length - segOff < chunk) return -1;
      segOff += chunk;
      remaining -= chunk;
      if (remaining === 0) return n;
      if (segOff === data[seg].length) {
        seg++;
        segOff = 0;
        if (seg >= data.length) return -1; // segments shorter than `length`
      }
      const addr = data[seg].addr + segOff;
      if ((addr & PAGE_MASK) !== 0) return -1;
      if (n >= this.#entries.length) return -1;
      this.#entries[n++] = addr;
      chunk = Math.min(remaining, CTRL_PAGE_SIZE);
    }
  }

  #prpList(sqe: DataView, prp1: number, n: number, iod: IoDescriptors): MapOutcome {
    const e = this.#entries;
    if (n === 1) {
      this.#setPrp(sqe, prp1, e[0]);
      return "prp";
    }
    if (n <= SMALL_POOL_SIZE / 8) {
      if (iod.small === 0) iod.small = this.pool.block();
      for (let i = 0; i < n; i++) this.#sv.setBigUint64(i * 8, BigInt(e[i]), true);
      this.host.memWrite(iod.small, this.#scratch, 0, n * 8);
      this.#setPrp(sqe, prp1, iod.small);
      return "prp";
    }
    // Large pages, chained Linux's way: a full page keeps 511 data entries + a pointer.
    let page = 0;
    let slot = 0;
    for (let i = 0; i < n; i++) {
      if (slot === PRPS_PER_PAGE) {
        if (page + 1 >= MAX_DESCRIPTOR_PAGES) return "bad-buffer";
        const next = this.#page(iod, page + 1);
        // Move the last entry to the new page and point the old last slot at the new page.
        const moved = this.#sv.getBigUint64((PRPS_PER_PAGE - 1) * 8, true);
        this.#sv.setBigUint64((PRPS_PER_PAGE - 1) * 8, BigInt(next), true);
        this.host.memWrite(this.#page(iod, page), this.#scratch, 0, CTRL_PAGE_SIZE);
        this.#sv.setBigUint64(0, moved, true);
        page++;
        slot = 1;
      }
      this.#sv.setBigUint64(slot * 8, BigInt(e[i]), true);
      slot++;
    }
    this.host.memWrite(this.#page(iod, page), this.#scratch, 0, slot * 8);
    this.#setPrp(sqe, prp1, this.#page(iod, 0));
    return "prp";
  }

  #page(iod: IoDescriptors, i: number): number {
    while (iod.pages.length <= i) {
      iod.pages.push(this.host.allocate(CTRL_PAGE_SIZE, CTRL_PAGE_SIZE));
    }
    return iod.pages[i];
  }

  #sgl(sqe: DataView, data: readonly DataSegment[], iod: IoDescriptors): MapOutcome {
    // Merge physically contiguous segments (what an IOMMU-coalesced mapping gives Linux).
    const m = this.#merged;
    let n = 0;
    for (let i = 0; i < data.length; i++) {
      const d = data[i];
      if (n > 0 && m[2 * (n - 1)] + m[2 * (n - 1) + 1] === d.addr) {
        m[2 * (n - 1) + 1] += d.length;
      } else {
        if (n > MAX_SGL_SEGMENTS) return "bad-buffer";
        m[2 * n] = d.addr;
        m[2 * n + 1] = d.length;
        n++;
      }
    }
    if (n > MAX_SGL_SEGMENTS) return "bad-buffer";
    const flags = sqe.getUint8(SQE_PSDT) & ~PSDT_MASK;
    sqe.setUint8(SQE_PSDT, flags | (Psdt.SGL_MPTR_CONTIG << PSDT_SHIFT));
    if (n === 1) {
      setDescriptor(sqe, SQE_SGL1, m[0], m[1], DATA_BLOCK_DW3);
      return "sgl";
    }
    for (let i = 0; i < n; i++) {
      setDescriptor(this.#sv, i * SGL_DESCRIPTOR_SIZE, m[2 * i], m[2 * i + 1], DATA_BLOCK_DW3);
    }
    const bytes = n * SGL_DESCRIPTOR_SIZE;
    let list: number;
    if (bytes <= SMALL_POOL_SIZE) {
      if (iod.small === 0) iod.small = this.pool.block();
      list = iod.small;
    } else {
      list = this.#page(iod, 0);
    }
    this.host.memWrite(list, this.#scratch, 0, bytes);
    setDescriptor(sqe, SQE_SGL1, list, bytes, LAST_SEGMENT_DW3);
    return "sgl";
  }

  #setPrp(sqe: DataView, prp1: number, prp2: number): void {
    sqe.setUint8(SQE_PSDT, sqe.getUint8(SQE_PSDT) & ~PSDT_MASK);
    sqe.setBigUint64(SQE_PRP1, BigInt(prp1), true);
    sqe.setBigUint64(SQE_PRP2, BigInt(prp2), true);
  }
}
