/**
 * Property `prp-builder`: for arbitrary data buffers — first segment at any dword offset, up to 16
 * physical segments, contiguous or not, interior boundaries page aligned or not, transfers up to
 * 1100 pages (past two PRP list pages, so chaining happens) — the Linux-like driver's data-pointer
 * builder (`LinuxDataMapper`), the controller's walkers (`PrpWalker`, `SglWalker`) and the
 * independent oracle (`prp_oracle.ts`) agree:
 *
 * - the builder uses PRPs only for buffers PRPs can describe, SGLs only when allowed, and refuses
 *   ("bad-buffer") only a buffer PRPs cannot describe when SGLs are not allowed;
 * - PSDT says which it built;
 * - walking what it built — with the controller's walker and with the oracle — yields exactly the
 *   buffer's memory, in order (Base 2.1 §4.3.1, §4.3.2).
 *
 * The builder is a parameter so the mutant tests can hand in seeded-bug variants.
 *
 * Speed unit: checks — each case counts 1: one data pointer built, then walked by the oracle and
 * by the controller's walker.
 *
 * @example
 * ```ts
 * import { prpBuilderProperty } from "./prop_prp_builder.ts";
 * import { runProperty } from "./runner.ts";
 * const r = runProperty(prpBuilderProperty(), {}, { seed: 3, runs: 20 });
 * if (r.status !== "pass") throw new Error(r.error);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { NvmeController } from "../controller/controller.ts";
import { PrpWalker, SegmentList } from "../controller/prp_walker.ts";
import { SglWalker } from "../controller/sgl_walker.ts";
import {
  IoDescriptors,
  LinuxDataMapper,
  type MapOutcome,
  type SglPolicy,
  SmallPool,
} from "../driver/linux/data_mapping.ts";
import type { DataSegment } from "../driver/model.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { Psdt, SQE_SIZE } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import { check, countCommands, type FuzzProperty } from "./property.ts";
import {
  decodePrp,
  decodeSgl,
  expectedSegments,
  type OracleSegment,
  prpDescribable,
  segmentsText,
} from "./prp_oracle.ts";
import { dwordOffset } from "./arbitraries.ts";

/** The Linux builder's controller page size (`NVME_CTRL_PAGE_SIZE`). */
const PAGE = 4096;
/** Largest transfer generated, in pages: past 2 × 511 list entries, so lists chain twice. */
export const MAX_TRANSFER_PAGES = 1100;
/** Most physical segments in a generated buffer. */
const MAX_SEGMENTS = 16;
/** SQE bytes 24..39 hold the data pointer (PRP1/PRP2 or SGL1); PSDT is CDW0 bits 15:14. */
const SQE_DPTR = 24;
const PSDT_SHIFT = 6;
/** Generated buffers live in [16 GiB, 256 GiB) of host address space (never dereferenced). */
const FIRST_PAGE = 0x40_0000;
const LAST_PAGE = 0x400_0000;

/** What the property needs of a data-pointer builder (LinuxDataMapper's shape). */
export interface DataPointerBuilder {
  /** Fills DPTR/PSDT of `sqe` for `data`; see `LinuxDataMapper.map`. */
  map(
    sqe: DataView,
    data: readonly DataSegment[],
    length: number,
    sgl: SglPolicy,
    threshold: number,
    iod: IoDescriptors,
  ): MapOutcome;
}

/** Builds a builder on a host port (the default: the Linux-like driver's). */
export type BuilderFactory = (host: HostPort) => DataPointerBuilder;

/** The Linux-like driver's builder. */
export const linuxBuilder: BuilderFactory = (host: HostPort): DataPointerBuilder =>
  new LinuxDataMapper(host, new SmallPool(host));

/** One generated buffer and the policy it is mapped under. */
export interface BufferCase {
  /** The buffer's physical segments, in transfer order. */
  readonly segments: readonly DataSegment[];
  /** SGLs allowed (an I/O queue of an SGL-capable controller). */
  readonly sgl: boolean;
  /** `sgl_threshold` in bytes (0: never by average size). */
  readonly threshold: number;
}

/** A page count per segment: mostly small, sometimes hundreds (to reach list chaining). */
const pagesPerSegment = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 600 }) },
);

/** Arbitrary buffers (see the module notes). */
export const bufferCase: fc.Arbitrary<BufferCase> = fc.record({
  base: fc.integer({ min: FIRST_PAGE, max: LAST_PAGE }),
  firstOffset: dwordOffset,
  pages: fc.array(pagesPerSegment, { minLength: 1, maxLength: MAX_SEGMENTS, size: "medium" }),
  contiguous: fc.array(fc.boolean(), { minLength: MAX_SEGMENTS, maxLength: MAX_SEGMENTS }),
  tail: fc.integer({ min: 0, max: PAGE / 4 - 1 }).map((d) => d * 4),
  gap: fc.option(fc.record({ at: fc.nat(), shift: dwordOffset }), { freq: 4 }),
  sgl: fc.boolean(),
  threshold: fc.constantFrom(0, 4096, 32768, 1 << 20),
}).map((g) => {
  const segments: DataSegment[] = [];
  let total = 0;
  let page = g.base;
  for (let i = 0; i < g.pages.length && total < MAX_TRANSFER_PAGES; i++) {
    const pages = Math.min(g.pages[i], MAX_TRANSFER_PAGES - total);
    total += pages;
    if (i > 0 && !g.contiguous[i]) page += 1; // leave a hole: physically separate
    const start = page * PAGE + (i === 0 ? g.firstOffset : 0);
    const end = (page + pages) * PAGE - (i === g.pages.length - 1 ? g.tail : 0);
    segments.push({ addr: start, length: Math.max(4, end - start) });
    page += pages;
  }
  if (g.gap && segments.length > 1) {
    // A mid-buffer boundary off the page grid: PRPs cannot describe this buffer.
    const k = 1 + (g.gap.at % (segments.length - 1));
    const s = segments[k];
    segments[k] = { addr: s.addr + (g.gap.shift || 4), length: s.length };
  }
  return { segments, sgl: g.sgl, threshold: g.threshold };
});

/** Total bytes of a buffer. */
function bytesOf(segments: readonly DataSegment[]): number {
  return segments.reduce((n, s) => n + s.length, 0);
}

function same(a: readonly OracleSegment[], b: readonly OracleSegment[]): boolean {
  return a.length === b.length && a.every((s, i) => s.addr === b[i].addr && s.len === b[i].len);
}

function fromList(list: SegmentList): OracleSegment[] {
  const out: OracleSegment[] = [];
  for (let i = 0; i < list.count; i++) out.push({ addr: list.addr[i], len: list.len[i] });
  return out;
}

/** Checks one buffer against `factory`'s builder. */
export function checkBuffer(factory: BuilderFactory, c: BufferCase): void {
  const machine = new Machine();
  const host = machine.attach(new NvmeController());
  const builder = factory(host);
  const length = bytesOf(c.segments);
  const sqeBytes = new Uint8Array(SQE_SIZE);
  const sqe = new DataView(sqeBytes.buffer);
  const outcome = builder.map(
    sqe,
    c.segments,
    length,
    c.sgl ? "supported" : "unsupported",
    c.threshold,
    new IoDescriptors(),
  );
  const describable = prpDescribable(c.segments, PAGE);
  const want = expectedSegments(c.segments, length);
  const psdt = sqeBytes[1] >>> PSDT_SHIFT;
  const reader = {
    dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
      machine.memory.read(addr, dst, off, len);
      return true;
    },
  };
  const readU64 = (addr: number) => host.memReadU64(addr);
  if (outcome === "bad-buffer") {
    check(
      !c.sgl && !describable,
      `builder refused a buffer it can map (${describable ? "PRP-describable" : "SGLs allowed"})`,
    );
    return;
  }
  if (outcome === "prp") {
    check(describable, "builder used PRPs for a buffer with a mid-page boundary");
    check(psdt === Psdt.PRP, `PSDT ${psdt} with PRPs`);
    const prp1 = sqe.getUint32(SQE_DPTR, true) + sqe.getUint32(SQE_DPTR + 4, true) * 2 ** 32;
    const prp2 = sqe.getUint32(SQE_DPTR + 8, true) + sqe.getUint32(SQE_DPTR + 12, true) * 2 ** 32;
    const oracle = decodePrp(prp1, prp2, length, PAGE, readU64);
    check(oracle.status === "ok", () => `oracle refuses the PRPs built: ${JSON.stringify(oracle)}`);
    check(
      same(oracle.segments, want),
      () => `oracle walks ${segmentsText(oracle.segments)}, buffer is ${segmentsText(want)}`,
    );
    const out = new SegmentList();
    const status = new PrpWalker(reader).walk(prp1, prp2, length, PAGE, out);
    check(status === Status.SUCCESS, `controller PRP walker posts status 0x${status.toString(16)}`);
    check(
      same(fromList(out), want),
      () => `controller walks ${segmentsText(fromList(out))}, buffer is ${segmentsText(want)}`,
    );
    return;
  }
  check(c.sgl, "builder used SGLs where they are not allowed");
  check(psdt === Psdt.SGL_MPTR_CONTIG, `PSDT ${psdt} with SGLs`);
  const oracle = decodeSgl(sqeBytes, SQE_DPTR, length, (addr, n) => {
    const b = new Uint8Array(n);
    machine.memory.read(addr, b);
    return b;
  });
  check(oracle.status === "ok", () => `oracle refuses the SGL built: ${JSON.stringify(oracle)}`);
  check(
    same(oracle.segments, want),
    () => `oracle walks ${segmentsText(oracle.segments)}, buffer is ${segmentsText(want)}`,
  );
  const out = new SegmentList();
  const status = new SglWalker(reader, { alignment: "dword" }).walk(
    sqeBytes,
    length,
    "host-to-controller",
    out,
  );
  check(status === Status.SUCCESS, `controller SGL walker posts status 0x${status.toString(16)}`);
  check(
    same(fromList(out), want),
    () => `controller walks ${segmentsText(fromList(out))}, buffer is ${segmentsText(want)}`,
  );
}

/** The property for `factory`'s builder (default: the Linux-like driver's). */
export function prpBuilderProperty(factory: BuilderFactory = linuxBuilder): FuzzProperty {
  return {
    name: "prp-builder",
    description: "the driver's PRP/SGL builder, the controller's walkers and an independent " +
      "oracle agree on every buffer (offsets, segments, gaps, lists chained at page ends); " +
      "PRPs only where they can describe the buffer",
    section: "Base 2.1 §4.3.1, §4.3.2",
    usesDriver: false,
    defaultRuns: 2000,
    commandUnit: "checks",
    property: (ctx) =>
      fc.property(bufferCase, (c) => {
        countCommands(ctx, 1);
        checkBuffer(factory, c);
      }),
    steps: ([c]) => {
      const b = c as BufferCase;
      return [
        `map ${bytesOf(b.segments)} bytes, SGLs ${b.sgl ? "allowed" : "not allowed"}, ` +
        `sgl_threshold ${b.threshold}`,
        ...b.segments.map((s, i) => `  segment ${i}: 0x${s.addr.toString(16)} + ${s.length}`),
      ];
    },
  };
}
