/**
 * Admin command arbitraries of the differential generator: Identify, Get/Set Features, Get Log
 * Page, Create/Delete I/O queues, Abort and unknown opcodes.
 *
 * @module
 */

import fc from "fast-check";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { FeatureId } from "../../spec/features.ts";
import { type DiffCommand, QUEUE_SLOTS } from "./commands.ts";
import { cdw, dataPointer, hex2, nsidAdmin, unknown } from "./_generator_shared.ts";

const IDENTIFY_BYTES = 4096;

/** Identify with valid and invalid CNS/NSID/CNTID/CSI. */
export function identify(): fc.Arbitrary<DiffCommand> {
  const cns = fc.constantFrom(
    0x00,
    0x01,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
    0x07,
    0x08,
    0x09,
    0x10,
    0x11,
    0x12,
    0x13,
    0x14,
    0x15,
    0x16,
    0x17,
    0x1c,
    0x20,
    0xff,
  );
  return fc.tuple(cns, nsidAdmin, fc.constantFrom(0, 0, 1), fc.constantFrom(0, 0, 2), dataPointer)
    .map(([c, nsid, cntid, csi, dptr]) => ({
      queue: "admin",
      name: `Identify CNS ${hex2(c)}h`,
      opcode: AdminOpcode.IDENTIFY,
      nsid,
      cdw: cdw(c | (cntid << 16), csi << 24),
      dir: "in",
      bytes: IDENTIFY_BYTES,
      dptr,
    }));
}

/** Get Features data lengths of the FIDs that return a data structure (Base 2.1 §5.1.25). */
const FEATURE_DATA_BYTES: Readonly<Record<number, number>> = {
  [FeatureId.LBA_RANGE_TYPE]: 4096,
  [FeatureId.AUTONOMOUS_POWER_STATE]: 256,
  [FeatureId.HOST_MEMORY_BUFFER]: 4096,
  [FeatureId.TIMESTAMP]: 8,
  [FeatureId.HOST_BEHAVIOR]: 512,
  [FeatureId.HOST_IDENTIFIER]: 16,
};
const FIDS = [0x00, ...Array.from({ length: 0x11 }, (_, i) => i + 1), 0x16, 0x19, 0x7f, 0x80, 0x81];

/** Get Features over supported and unsupported FIDs and every SEL. */
export function getFeatures(): fc.Arbitrary<DiffCommand> {
  return fc.tuple(
    fc.constantFrom(...FIDS),
    fc.constantFrom(0, 0, 1, 2, 3, 4),
    fc.constantFrom(0, 1, 1, 2, 0xffff_ffff),
    fc.constantFrom(0, 0, 1, 0x10, 64, 65),
    dataPointer,
  ).map(([fid, sel, nsid, cdw11, dptr]) => {
    const bytes = FEATURE_DATA_BYTES[fid] ?? 0;
    return {
      queue: "admin",
      name: `Get Features FID ${hex2(fid)}h SEL ${sel}`,
      opcode: AdminOpcode.GET_FEATURES,
      nsid,
      cdw: cdw(fid | (sel << 8), cdw11),
      dir: bytes ? "in" : "none",
      bytes,
      dptr,
    };
  });
}

/** Set Features values per FID: each side restores the changeable ones before a sequence. */
const setFeatureValue: fc.Arbitrary<[number, number, number]> = fc.oneof(
  fc.tuple(
    fc.constant(FeatureId.ARBITRATION),
    fc.integer({ min: 0, max: 0xffff_ffff }),
    fc.constant(0),
  ),
  fc.tuple(fc.constant(FeatureId.POWER_MANAGEMENT), fc.constantFrom(0, 1, 0x20), fc.constant(0)),
  fc.tuple(
    fc.constant(FeatureId.TEMPERATURE_THRESHOLD),
    fc.tuple(
      fc.integer({ min: 0, max: 0xffff }),
      fc.constantFrom(0, 1, 9, 15),
      fc.constantFrom(0, 1, 2),
    )
      .map(([t, sel, th]) => t | (sel << 16) | (th << 20)),
    fc.constant(0),
  ),
  fc.tuple(
    fc.constant(FeatureId.ERROR_RECOVERY),
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean()).map(([t, d]) => t | (+d << 16)),
    fc.constantFrom(1, 1, 0, 2, 0xffff_ffff),
  ),
  fc.tuple(fc.constant(FeatureId.VOLATILE_WRITE_CACHE), fc.constantFrom(0, 1), fc.constant(0)),
  fc.tuple(
    fc.constant(FeatureId.NUMBER_OF_QUEUES),
    fc.constantFrom(0, 0x3f003f, 0x00ff00ff, 0xffff_ffff, 0xffff),
    fc.constant(0),
  ),
  fc.tuple(
    fc.constant(FeatureId.INTERRUPT_COALESCING),
    fc.integer({ min: 0, max: 0xffff }),
    fc.constant(0),
  ),
  fc.tuple(
    fc.constant(FeatureId.INTERRUPT_VECTOR_CONFIG),
    fc.tuple(fc.constantFrom(0, 1, 65, 200), fc.boolean()).map(([iv, cd]) => iv | (+cd << 16)),
    fc.constant(0),
  ),
  fc.tuple(fc.constant(FeatureId.WRITE_ATOMICITY), fc.constantFrom(0, 1), fc.constant(0)),
  fc.tuple(
    fc.constant(FeatureId.ASYNC_EVENT_CONFIG),
    fc.integer({ min: 0, max: 0xffff_ffff }),
    fc.constant(0),
  ),
  fc.tuple(
    fc.constant(FeatureId.KEEP_ALIVE_TIMER),
    fc.constantFrom(0, 1000, 120000),
    fc.constant(0),
  ),
  fc.tuple(
    fc.constantFrom(0x00, 0x03, 0x0c, 0x0d, 0x10, 0x11, 0x19, 0x7f, 0x80, 0xff),
    fc.constant(0),
    fc.constant(0),
  ),
);

/** Set Features with valid and invalid values (SV sometimes). */
export function setFeatures(): fc.Arbitrary<DiffCommand> {
  return fc.tuple(
    setFeatureValue,
    fc.constantFrom(0, 0, 0, 1),
    dataPointer,
    fc.integer({
      min: 0,
      max: 0xffff,
    }),
  ).map(([[fid, cdw11, nsid], sv, dptr, stamp]) => {
    // Timestamp, Host Behavior and APST (an all-zero table, APSTE clear) carry data; HMB is only
    // sent with EHM clear, so no descriptor list is read.
    const bytes = fid === FeatureId.TIMESTAMP
      ? 8
      : fid === FeatureId.HOST_BEHAVIOR
      ? 512
      : fid === FeatureId.AUTONOMOUS_POWER_STATE
      ? 256
      : 0;
    const payload = bytes === 8
      ? [stamp & 0xff, stamp >>> 8, 0, 0, 0, 0, 0, 0]
      : Array.from({ length: bytes }, () => 0);
    return {
      queue: "admin",
      name: `Set Features FID ${hex2(fid)}h${sv ? " SV" : ""}`,
      opcode: AdminOpcode.SET_FEATURES,
      nsid,
      cdw: cdw(fid | (sv << 31), cdw11),
      dir: bytes ? "out" : "none",
      bytes,
      dptr,
      ...(bytes ? { payload: { kind: "bytes" as const, bytes: payload } } : {}),
    };
  });
}

/** Get Log Page with LIDs, offsets and lengths in and out of range. */
export function getLogPage(mdtsBytes: number): fc.Arbitrary<DiffCommand> {
  const mdtsDwords = mdtsBytes / 4;
  return fc.tuple(
    fc.constantFrom(
      0x00,
      0x01,
      0x02,
      0x03,
      0x04,
      0x05,
      0x06,
      0x07,
      0x08,
      0x0c,
      0x0d,
      0x70,
      0x80,
      0x81,
      0xc0,
      0xff,
    ),
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(0, 1, 15, 63, 127, 128, 1023) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 1023 }) },
      { weight: 1, arbitrary: fc.constantFrom(1024, mdtsDwords - 1, mdtsDwords) },
    ),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.constantFrom(4, 64, 508, 512, 4092, 4096, 2, 2 ** 32) },
    ),
    fc.constantFrom(0, 0, 1),
    fc.constantFrom(0xffff_ffff, 0xffff_ffff, 0, 1, 2),
    dataPointer,
  ).map(([lid, numd, offset, rae, nsid, dptr]) => ({
    queue: "admin",
    name: `Get Log Page LID ${hex2(lid)}h`,
    opcode: AdminOpcode.GET_LOG_PAGE,
    nsid,
    cdw: cdw(
      lid | (rae << 15) | ((numd & 0xffff) << 16),
      numd >>> 16,
      offset % 2 ** 32,
      Math.floor(offset / 2 ** 32),
    ),
    dir: "in",
    bytes: (numd + 1) * 4,
    dptr,
  }));
}

const qid = fc.constantFrom(0, 1, 2, 2, 3, 3, 4, 5, 64, 65, 0xffff);
const qsize = fc.constantFrom(0, 1, 15, 63, 63, 0x7ff, 0x800, 0xffff);
const slotOf = (q: number) => (q >= 2 && q < QUEUE_SLOTS ? q : 0);
const memOffset = fc.constantFrom(0, 0, 0, 0x200);

/** Create/Delete I/O CQ/SQ and Abort, valid and not. */
export function queueCommands(): fc.Arbitrary<DiffCommand> {
  const none = {
    dir: "none" as const,
    bytes: 0,
    dptr: { offset: 0, listOffset: 0, fault: "none" as const },
  };
  const createCq = fc.tuple(
    qid,
    qsize,
    fc.constantFrom(1, 1, 0),
    fc.constantFrom(0, 1),
    fc.constantFrom(0, 0, 1, 64, 65, 2047),
    memOffset,
  )
    .map(([q, size, pc, ien, iv, off]): DiffCommand => ({
      queue: "admin",
      name: `Create I/O CQ ${q}`,
      opcode: AdminOpcode.CREATE_IO_CQ,
      nsid: 0,
      cdw: cdw(q | (size << 16), pc | (ien << 1) | (iv << 16)),
      ...none,
      queueMemory: { slot: slotOf(q), offset: off },
    }));
  const createSq = fc.tuple(
    qid,
    qsize,
    fc.constantFrom(1, 1, 0),
    fc.constantFrom(0, 1, 2, 2, 3, 0xffff),
    fc.constantFrom(0, 3),
    memOffset,
  )
    .map(([q, size, pc, cq, prio, off]): DiffCommand => ({
      queue: "admin",
      name: `Create I/O SQ ${q} on CQ ${cq}`,
      opcode: AdminOpcode.CREATE_IO_SQ,
      nsid: 0,
      cdw: cdw(q | (size << 16), pc | (prio << 1) | (cq << 16)),
      ...none,
      queueMemory: { slot: slotOf(q), offset: off },
    }));
  // Never Delete I/O SQ 1: the sequence's I/O runs on it.
  const deleteSq = fc.constantFrom(0, 2, 3, 4, 5, 64, 0xffff).map((q): DiffCommand => ({
    queue: "admin",
    name: `Delete I/O SQ ${q}`,
    opcode: AdminOpcode.DELETE_IO_SQ,
    nsid: 0,
    cdw: cdw(q),
    ...none,
  }));
  const deleteCq = fc.constantFrom(0, 1, 2, 3, 4, 5, 64, 0xffff).map((q): DiffCommand => ({
    queue: "admin",
    name: `Delete I/O CQ ${q}`,
    opcode: AdminOpcode.DELETE_IO_CQ,
    nsid: 0,
    cdw: cdw(q),
    ...none,
  }));
  const abort = fc.tuple(fc.constantFrom(0, 1, 2, 0xffff), fc.integer({ min: 0, max: 0xffff }))
    .map(([sq, cid]): DiffCommand => ({
      queue: "admin",
      name: `Abort SQ ${sq} CID ${cid}`,
      opcode: AdminOpcode.ABORT,
      nsid: 0,
      cdw: cdw(sq | (cid << 16)),
      ...none,
    }));
  return fc.oneof(createCq, createSq, deleteSq, deleteCq, abort);
}

/** Admin opcodes no controller here implements or that are refused without side effects. */
export const UNKNOWN_ADMIN = [
  0x03,
  0x07,
  0x0b,
  0x0e,
  0x10,
  0x11,
  0x13,
  0x14,
  0x18,
  0x1c,
  0x7f,
  0x81,
  0x82,
  0xc0,
  0xff,
];

/** Unknown admin opcodes. */
export function unknownAdmin(): fc.Arbitrary<DiffCommand> {
  return unknown("admin", UNKNOWN_ADMIN);
}
