/**
 * NVM I/O command arbitraries of the differential generator: Read, Write, Compare, Write Zeroes,
 * Verify, Write Uncorrectable, Flush, Dataset Management and unknown opcodes, with LBA ranges in
 * and out of bounds and NLB up to and past MDTS.
 *
 * @module
 */

import fc from "fast-check";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { DSM_RANGE_SIZE } from "../../spec/nvm_commands.ts";
import type { DiffCommand, LbaRange } from "./commands.ts";
import {
  cdw,
  dataPointer,
  type GeneratorConfig,
  LBA_WINDOW,
  nsidIo,
  PAGE,
  unknown,
} from "./_generator_shared.ts";

/** NVM opcodes outside the NVM command set table (reservations included). */
const UNKNOWN_IO = [0x03, 0x06, 0x07, 0x0a, 0x0d, 0x0e, 0x11, 0x15, 0x7f, 0x80, 0xff];

/** SLBA and NLB (0's based): in the two windows, straddling the end, far out, at MDTS. */
function lbaRange(g: GeneratorConfig): fc.Arbitrary<{ slba: bigint; nlb: number }> {
  const n = g.nsze;
  const mdtsBlocks = g.mdtsBytes / g.blockSize;
  const small = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }) },
    { weight: 1, arbitrary: fc.integer({ min: 8, max: 31 }) },
  );
  const low = fc.tuple(fc.integer({ min: 0, max: LBA_WINDOW - 32 }), small);
  const high = fc.tuple(fc.integer({ min: n - LBA_WINDOW, max: n - 32 }), small);
  const straddle = fc.tuple(fc.integer({ min: n - 8, max: n - 1 }), fc.integer({ min: 0, max: 15 }))
    .map(([s, k]) => [s, n - s + k] as [number, number]);
  return fc.oneof(
    { weight: 6, arbitrary: low.map(([s, k]) => ({ slba: BigInt(s), nlb: k })) },
    { weight: 3, arbitrary: high.map(([s, k]) => ({ slba: BigInt(s), nlb: k })) },
    { weight: 1, arbitrary: straddle.map(([s, k]) => ({ slba: BigInt(s), nlb: k })) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom(BigInt(n), BigInt(n + 1), 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n),
        fc.integer({ min: 0, max: 3 }),
      ).map(([slba, nlb]) => ({ slba, nlb })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(mdtsBlocks - 1, mdtsBlocks, mdtsBlocks + 7, 0xffff)
        .map((nlb) => ({ slba: 0n, nlb })),
    },
  );
}

/** One NVM I/O command. */
export function nvm(g: GeneratorConfig): fc.Arbitrary<DiffCommand> {
  const capBytes = g.mdtsBytes + 2 * PAGE;
  const data = (name: string, opcode: number, dir: "in" | "out", withPattern: boolean) =>
    fc.tuple(
      nsidIo,
      lbaRange(g),
      fc.constantFrom(0, 0, 1),
      fc.integer({ min: 0, max: 3 }),
      dataPointer,
    )
      .map(([nsid, { slba, nlb }, fua, pattern, dptr]): DiffCommand => {
        const blocks = nlb + 1;
        return {
          queue: "io",
          name: `${name} SLBA ${slba} NLB ${nlb}`,
          opcode,
          nsid,
          cdw: cdw(Number(slba & 0xffff_ffffn), Number(slba >> 32n), nlb | (fua << 30)),
          dir,
          bytes: Math.min(blocks * g.blockSize, capBytes),
          dptr,
          lba: { slba, blocks },
          ...(withPattern ? { payload: { kind: "pattern" as const, pattern } } : {}),
        };
      });
  const noData = (name: string, opcode: number, extra: fc.Arbitrary<number>) =>
    fc.tuple(nsidIo, lbaRange(g), extra).map(([nsid, { slba, nlb }, x]): DiffCommand => ({
      queue: "io",
      name: `${name} SLBA ${slba} NLB ${nlb}`,
      opcode,
      nsid,
      cdw: cdw(Number(slba & 0xffff_ffffn), Number(slba >> 32n), (nlb | x) >>> 0),
      dir: "none",
      bytes: 0,
      dptr: { offset: 0, listOffset: 0, fault: "none" },
      lba: { slba, blocks: nlb + 1 },
    }));
  const flush = fc.constantFrom(1, 1, 0xffff_ffff, 0, 2).map((nsid): DiffCommand => ({
    queue: "io",
    name: "Flush",
    opcode: NvmOpcode.FLUSH,
    nsid,
    cdw: cdw(),
    dir: "none",
    bytes: 0,
    dptr: { offset: 0, listOffset: 0, fault: "none" },
  }));
  const dsm = fc.tuple(
    nsidIo,
    fc.array(lbaRange(g), { minLength: 1, maxLength: 3 }),
    fc.constantFrom(4, 4, 0, 1),
    dataPointer,
  ).map(([nsid, ranges, attr, dptr]): DiffCommand => {
    const bytes: number[] = [];
    const lbas: LbaRange[] = [];
    for (const r of ranges) {
      const blocks = Math.min(r.nlb + 1, 0xffff); // DSM NLB is 1's based
      const le = (v: bigint, n: number) =>
        Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
      bytes.push(...le(0n, 4), ...le(BigInt(blocks), 4), ...le(r.slba, 8));
      lbas.push({ slba: r.slba, blocks });
    }
    return {
      queue: "io",
      name: `Dataset Management ${ranges.length} range${ranges.length > 1 ? "s" : ""}${
        attr & 4 ? " AD" : ""
      }`,
      opcode: NvmOpcode.DATASET_MANAGEMENT,
      nsid,
      cdw: cdw(ranges.length - 1, attr),
      dir: "out",
      bytes: ranges.length * DSM_RANGE_SIZE,
      dptr,
      payload: { kind: "bytes", bytes },
      ranges: lbas,
    };
  });
  return fc.oneof(
    { weight: 5, arbitrary: data("Read", NvmOpcode.READ, "in", false) },
    { weight: 5, arbitrary: data("Write", NvmOpcode.WRITE, "out", true) },
    { weight: 2, arbitrary: data("Compare", NvmOpcode.COMPARE, "out", true) },
    {
      weight: 2,
      arbitrary: noData("Write Zeroes", NvmOpcode.WRITE_ZEROES, fc.constantFrom(0, 1 << 25)),
    },
    { weight: 2, arbitrary: noData("Verify", NvmOpcode.VERIFY, fc.constant(0)) },
    {
      weight: 1,
      arbitrary: noData("Write Uncorrectable", NvmOpcode.WRITE_UNCORRECTABLE, fc.constant(0)),
    },
    { weight: 1, arbitrary: flush },
    { weight: 2, arbitrary: dsm },
    { weight: 1, arbitrary: unknown("io", UNKNOWN_IO) },
  );
}
