/**
 * What the command generators share: the generator configuration, CDW packing, NSID and data
 * pointer arbitraries, and unknown opcodes.
 *
 * @module
 */

import fc from "fast-check";
import type { DataPointerShape, DiffCommand } from "./commands.ts";

/** What the generator needs to know of the namespace and controller. */
export interface GeneratorConfig {
  /** Logical block size of NSID 1 in bytes. */
  readonly blockSize: number;
  /** NSZE of NSID 1 in blocks. */
  readonly nsze: number;
  /** MDTS in bytes. */
  readonly mdtsBytes: number;
}

/** In-range LBAs are drawn from the first and last WINDOW blocks of the namespace. */
export const LBA_WINDOW = 256;
/** Memory page size the generator lays PRPs out for (CC.MPS = 0). */
export const PAGE = 4096;
/** CDW10..CDW15. */
export type Cdw = [number, number, number, number, number, number];
/** CDW10..CDW15 from up to six values (missing ones 0). */
export const cdw = (...v: number[]): Cdw => [0, 1, 2, 3, 4, 5].map((i) => (v[i] ?? 0) >>> 0) as Cdw;
/** A byte as two upper-case hex digits. */
export const hex2 = (v: number): string => v.toString(16).toUpperCase().padStart(2, "0");

/** PRP layouts: offset 0, dword offsets, page edges, rarely an unaligned one or a fault. */
export const dataPointer: fc.Arbitrary<DataPointerShape> = fc.record({
  offset: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: PAGE / 4 - 1 }).map((d) => d * 4) },
    { weight: 1, arbitrary: fc.constantFrom(PAGE - 4, PAGE - 512, 2) },
  ),
  listOffset: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(8, PAGE - 16, 2048) },
  ),
  fault: fc.oneof(
    { weight: 12, arbitrary: fc.constant("none" as const) },
    { weight: 1, arbitrary: fc.constantFrom("prp2-offset" as const, "list-entry-offset" as const) },
  ),
});

/** NSIDs for admin commands: 0, active, inactive, invalid, broadcast. */
export const nsidAdmin: fc.Arbitrary<number> = fc.constantFrom(
  0,
  1,
  1,
  2,
  0xffff_fffe,
  0xffff_ffff,
  256,
  257,
);
/** NSIDs for I/O commands: mostly the active namespace. */
export const nsidIo: fc.Arbitrary<number> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constantFrom(0, 2, 256, 257, 0xffff_ffff) },
);

/** A command with an opcode from `opcodes` and nothing else set. */
export function unknown(queue: "admin" | "io", opcodes: number[]): fc.Arbitrary<DiffCommand> {
  return fc.tuple(fc.constantFrom(...opcodes), queue === "io" ? nsidIo : nsidAdmin).map((
    [opcode, nsid],
  ) => ({
    queue,
    name: `opcode ${hex2(opcode)}h`,
    opcode,
    nsid,
    cdw: cdw(),
    dir: "none",
    bytes: 0,
    dptr: { offset: 0, listOffset: 0, fault: "none" },
  }));
}
