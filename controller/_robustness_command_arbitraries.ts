// Generators of the command property (_robustness_command_property.ts): fully random 64-byte SQEs
// and SQEs with a real opcode and biased-random dwords, data pointers mostly into a mapped data
// area whose qwords are page addresses (so PRP lists and SGLs get walked).

import fc from "fast-check";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { IO_QID, PAGE, u32 } from "./_robustness_test_helpers.ts";

/** The queue a generated command goes to. */
export type QueueName = "admin" | "io";

/** A generated command: its 64 bytes (the CID is set at submission) and whether to ring after. */
export interface GenCommand {
  /** The queue it is placed on. */
  queue: QueueName;
  /** The SQE. */
  bytes: Uint8Array;
  /** Ring the doorbell after placing this command. */
  ring: boolean;
}

/** Opcodes of the biased admin commands (Base 2.1 §5). */
const ADMIN_OPCODES = [
  AdminOpcode.DELETE_IO_SQ,
  AdminOpcode.CREATE_IO_SQ,
  AdminOpcode.GET_LOG_PAGE,
  AdminOpcode.DELETE_IO_CQ,
  AdminOpcode.CREATE_IO_CQ,
  AdminOpcode.IDENTIFY,
  AdminOpcode.IDENTIFY,
  AdminOpcode.ABORT,
  AdminOpcode.SET_FEATURES,
  AdminOpcode.GET_FEATURES,
  AdminOpcode.ASYNC_EVENT_REQUEST,
  AdminOpcode.ASYNC_EVENT_REQUEST,
  AdminOpcode.NS_MANAGEMENT,
  AdminOpcode.FIRMWARE_COMMIT,
  AdminOpcode.NS_ATTACHMENT,
  AdminOpcode.KEEP_ALIVE,
  AdminOpcode.FORMAT_NVM,
];
/** Opcodes of the biased I/O commands (NVM CS 1.1 §3.3). */
const IO_OPCODES = [
  NvmOpcode.FLUSH,
  NvmOpcode.WRITE,
  NvmOpcode.READ,
  NvmOpcode.READ,
  NvmOpcode.WRITE_UNCORRECTABLE,
  NvmOpcode.COMPARE,
  NvmOpcode.WRITE_ZEROES,
  NvmOpcode.DATASET_MANAGEMENT,
  NvmOpcode.VERIFY,
  0x19, // Copy
];

/** The mapped data area data pointers mostly point into: `pages` pages from `base`. */
export interface DataArea {
  /** Host address of its first page. */
  base: number;
  /** Its size in pages. */
  pages: number;
}

function qwordArb(data: DataArea): fc.Arbitrary<number> {
  const bytes = data.pages * PAGE;
  return fc.oneof(
    { weight: 3, arbitrary: fc.nat({ max: data.pages - 1 }).map((p) => data.base + p * PAGE) },
    { weight: 2, arbitrary: fc.nat({ max: bytes - 1 }).map((o) => data.base + o) },
    { weight: 2, arbitrary: fc.nat({ max: bytes / 4 - 1 }).map((o) => data.base + o * 4) },
    { weight: 3, arbitrary: fc.tuple(u32, u32).map(([hi, lo]) => (hi >>> 11) * 2 ** 32 + lo) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 0xffff_ffff) },
    { weight: 1, arbitrary: fc.nat({ max: 0xffff }) },
  );
}

const dwordArb = fc.oneof(
  { weight: 3, arbitrary: u32 },
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.nat({ max: 16 }) },
  { weight: 2, arbitrary: fc.nat({ max: 0xffff }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 64 })).map(([a, b]) =>
      (b << 16 | a) >>> 0
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(0xffff_ffff, 0x8000_0000, 1 << 30) },
);

/** An SQE with `opcode` and biased-random fields. */
function biasedSqe(opcodes: readonly number[], data: DataArea): fc.Arbitrary<Uint8Array> {
  const q = qwordArb(data);
  return fc.record({
    opcode: fc.constantFrom(...opcodes),
    flags: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.constantFrom(0x40, 0x80) }, // PSDT: SGL
      { weight: 1, arbitrary: fc.nat({ max: 0xff }) },
    ),
    nsid: fc.oneof(
      { weight: 4, arbitrary: fc.constant(1) },
      { weight: 2, arbitrary: fc.constantFrom(0, 2, 0xffff_ffff, 0xffff_fffe, 1024, 1025) },
      { weight: 1, arbitrary: u32 },
    ),
    cdw2: dwordArb,
    cdw3: dwordArb,
    mptr: q,
    dptr1: q,
    dptr2: q,
    sglLen: fc.oneof(fc.nat({ max: 0x2000 }), u32),
    sglType: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(0x00, 0x01, 0x20, 0x30, 0x02, 0x12, 0x32, 0x10) },
      { weight: 1, arbitrary: fc.nat({ max: 0xff }) },
    ),
    cdw: fc.array(dwordArb, { minLength: 6, maxLength: 6 }),
    // Half the time, keep the command-specific fields plausible so it gets as far as moving data:
    // a small SLBA/NLB for I/O, CNS 0..3 for Identify, a known LID and a short length for logs.
    plausible: fc.boolean(),
    small: fc.nat({ max: 2_000 }),
    tiny: fc.nat({ max: 15 }),
  }).map((f) => {
    if (f.plausible) {
      const io = opcodes === IO_OPCODES;
      if (io && f.opcode !== NvmOpcode.FLUSH) {
        f.cdw[0] = f.opcode === NvmOpcode.DATASET_MANAGEMENT ? f.tiny : f.small;
        f.cdw[1] = f.opcode === NvmOpcode.DATASET_MANAGEMENT ? f.cdw[1] & 7 : 0;
        f.cdw[2] = ((f.cdw[2] & 0x4000_0000) | f.tiny) >>> 0; // FUA kept, NLB 0..15
      } else if (!io && f.opcode === AdminOpcode.IDENTIFY) {
        f.cdw[0] = f.tiny & 3;
      } else if (!io && f.opcode === AdminOpcode.GET_LOG_PAGE) {
        f.cdw[0] = ((f.small << 16) | (f.tiny & 7)) >>> 0; // NUMDL, LID 0..7
        f.cdw[1] = 0;
      }
    }
    const b = new Uint8Array(SQE_SIZE);
    const v = new DataView(b.buffer);
    b[0] = f.opcode;
    b[1] = f.flags;
    v.setUint32(4, f.nsid, true);
    v.setUint32(8, f.cdw2, true);
    v.setUint32(12, f.cdw3, true);
    const q64 = (o: number, x: number) => {
      v.setUint32(o, x >>> 0, true);
      v.setUint32(o + 4, Math.floor(x / 2 ** 32) >>> 0, true);
    };
    q64(16, f.mptr);
    q64(24, f.dptr1);
    if (f.flags & 0xc0) { // SGL Entry 1: address, length, type in byte 15
      v.setUint32(32, f.sglLen >>> 0, true);
      b[39] = f.sglType;
    } else {
      q64(32, f.dptr2);
    }
    f.cdw.forEach((d, i) => v.setUint32(40 + 4 * i, d >>> 0, true));
    return b;
  });
}

const randomSqe = fc.uint8Array({ minLength: SQE_SIZE, maxLength: SQE_SIZE });

/** A command for the admin queue (or, `withIo`, either queue pair): a fully random SQE, or one
 * with a real opcode and biased fields; never one that deletes the host's own I/O queues or
 * configures a doorbell buffer (see the command property's header). */
export function commandArb(withIo: boolean, data: DataArea): fc.Arbitrary<GenCommand> {
  const queue: fc.Arbitrary<QueueName> = withIo
    ? fc.constantFrom("admin", "io")
    : fc.constant("admin");
  const biased = queue.chain((qn) =>
    biasedSqe(qn === "admin" ? ADMIN_OPCODES : IO_OPCODES, data).map((bytes) => ({
      queue: qn,
      bytes,
    }))
  );
  const random = fc.record({ queue, bytes: randomSqe });
  return fc.record({
    cmd: fc.oneof({ weight: 1, arbitrary: random }, { weight: 3, arbitrary: biased }),
    ring: fc.boolean(),
  }).map(({ cmd, ring }) => ({ ...cmd, ring }))
    .filter((c) => {
      if (c.queue !== "admin") return true;
      const op = c.bytes[0];
      if (op === AdminOpcode.DOORBELL_BUFFER_CONFIG) return false;
      const qid = c.bytes[40] | (c.bytes[41] << 8);
      return !((op === AdminOpcode.DELETE_IO_SQ || op === AdminOpcode.DELETE_IO_CQ) &&
        qid === IO_QID);
    });
}
