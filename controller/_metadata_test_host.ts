// Test host for metadata tests (metadata_test.ts, metadata_extended_test.ts): a controller on a
// subsystem with chosen LBA formats, one I/O queue pair, and commands that carry MPTR.

import { assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq, FormatNvm } from "../spec/admin_commands.ts";
import { Compare, Read, Write } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { type Completion, HostQueue, SQE_CID, waitReady } from "./_test_host.ts";
import { NvmeController } from "./controller.ts";
import type { LbaFormatSpec, Namespace } from "./namespace.ts";
import { NvmSubsystem } from "./subsystem.ts";

export const PAGE = 4096;
/** An address inside the 1 TiB machine that nothing allocates, so the IOMMU refuses it. */
export const UNMAPPED = 0xf0_0000_0000;
/** LBAF0 512+8, LBAF1 4096+64, LBAF2 512+0: the formats every metadata test namespace has. */
export const FORMATS: readonly LbaFormatSpec[] = [
  { ms: 8, lbads: 9 },
  { ms: 64, lbads: 12 },
  { ms: 0, lbads: 9 },
];
const QSIZE = 16;

/** A controller, its host, the admin and I/O queues, and namespace 1. */
export interface MetaRig {
  host: HostPort;
  ctrl: NvmeController;
  admin: HostQueue;
  q: HostQueue;
  ns: Namespace;
}

/** Builds a rig whose namespace 1 has `nsze` blocks and FLBAS `flbas`. */
export function metaRig(
  flbas: number,
  { nsze = 4096, writeCache = true }: { nsze?: number; writeCache?: boolean } = {},
): MetaRig {
  const machine = new Machine();
  const subsystem = new NvmSubsystem({
    lbaFormats: FORMATS,
    namespaces: [{ nsze, flbas }],
    writeCacheEnabled: writeCache,
  });
  const ctrl = new NvmeController({}, subsystem);
  const host = machine.attach(ctrl);
  host.configWrite(0x04, 2, 0x0006); // memory space + bus master
  host.setupInterrupts("msix");
  const queue = (qid: number) => {
    const sq = host.allocate(QSIZE * SQE_SIZE, PAGE), cq = host.allocate(QSIZE * CQE_SIZE, PAGE);
    host.memFill(cq, QSIZE * CQE_SIZE, 0);
    return new HostQueue(host, qid, sq, cq, QSIZE, 0);
  };
  const admin = queue(0);
  host.write32(R.AQA, ((QSIZE - 1) << 16) | (QSIZE - 1));
  host.write64(R.ASQ, admin.sq);
  host.write64(R.ACQ, admin.cq);
  host.write32(R.CC, 0x00460001);
  waitReady(host, 1);
  const q = queue(1);
  const size = { qsize: QSIZE - 1, pc: 1 };
  admin.submit(
    CreateIoCq.encode({ opcode: 5, cid: 1, prp1: q.cq, qid: 1, ien: 1, iv: 1, ...size }),
  );
  assertEquals(admin.wait().status, 0);
  admin.submit(CreateIoSq.encode({ opcode: 1, cid: 2, prp1: q.sq, qid: 1, cqid: 1, ...size }));
  assertEquals(admin.wait().status, 0);
  return { host, ctrl, admin, q, ns: subsystem.namespace(1)! };
}

let nextCid = 0;
function run(q: HostQueue, sqe: Uint8Array): Completion {
  sqe[SQE_CID] = ++nextCid & 0xff;
  q.submit(sqe);
  return q.wait();
}

/** [status, dnr] of a completion. */
export function sd(c: Completion): [number, number] {
  return [c.status, c.dnr];
}

/** A host buffer holding `bytes` (a PRP list beyond two pages); returns PRP1/PRP2 and the base. */
export function hostBuffer(
  r: MetaRig,
  bytes: Uint8Array | number,
): { addr: number; prp1: number; prp2: number } {
  const len = typeof bytes === "number" ? bytes : bytes.length;
  const addr = r.host.allocate(Math.max(len, PAGE), PAGE);
  if (typeof bytes !== "number") r.host.memWrite(addr, bytes);
  const pages = Math.ceil(len / PAGE);
  if (pages <= 1) return { addr, prp1: addr, prp2: 0 };
  if (pages === 2) return { addr, prp1: addr, prp2: addr + PAGE };
  const list = r.host.allocate(PAGE, PAGE);
  for (let k = 1; k < pages; k++) r.host.memWriteU64(list + (k - 1) * 8, addr + k * PAGE);
  return { addr, prp1: addr, prp2: list };
}

/** A host metadata buffer holding `bytes` at a dword-aligned address. */
export function metaBuffer(r: MetaRig, bytes: Uint8Array): number {
  const addr = r.host.allocate(Math.max(bytes.length, 4), 4);
  r.host.memWrite(addr, bytes);
  return addr;
}

/** Options of an I/O command: FUA, PSDT, and an explicit MPTR. */
export interface IoOptions {
  fua?: number;
  psdt?: number;
  mptr?: number;
}

/** Write of `data` (NLB = `blocks`) at `slba` with metadata at `mptr` (or `meta` copied in). */
export function write(
  r: MetaRig,
  slba: number,
  blocks: number,
  data: Uint8Array,
  meta: Uint8Array | null,
  o: IoOptions = {},
): Completion {
  const { prp1, prp2 } = hostBuffer(r, data);
  const mptr = o.mptr ?? (meta ? metaBuffer(r, meta) : 0);
  const sqe = Write.encode({
    opcode: NvmOpcode.WRITE,
    nsid: 1,
    mptr: BigInt(mptr),
    prp1,
    prp2,
    slba: BigInt(slba),
    nlb: blocks - 1,
    fua: o.fua ?? 0,
    psdt: o.psdt ?? 0,
  });
  return run(r.q, sqe);
}

/** Compare of `data` and `meta` with `blocks` blocks at `slba`. */
export function compare(
  r: MetaRig,
  slba: number,
  blocks: number,
  data: Uint8Array,
  meta: Uint8Array | null,
): Completion {
  const { prp1, prp2 } = hostBuffer(r, data);
  const mptr = meta ? metaBuffer(r, meta) : 0;
  const sqe = Compare.encode({
    opcode: NvmOpcode.COMPARE,
    nsid: 1,
    mptr: BigInt(mptr),
    prp1,
    prp2,
    slba: BigInt(slba),
    nlb: blocks - 1,
  });
  return run(r.q, sqe);
}

/** A read's completion and what landed in the data buffer and the metadata buffer. */
export interface ReadResult {
  c: Completion;
  data: Uint8Array;
  meta: Uint8Array;
}

/**
 * Read of `blocks` blocks at `slba` into a `dataBytes` buffer; the metadata buffer holds
 * `metaBytes` and starts filled with 5Ah so that a read that skips it shows.
 */
export function read(
  r: MetaRig,
  slba: number,
  blocks: number,
  dataBytes: number,
  metaBytes: number,
  o: IoOptions = {},
): ReadResult {
  const { addr, prp1, prp2 } = hostBuffer(r, dataBytes);
  const mptr = o.mptr ?? metaBuffer(r, new Uint8Array(metaBytes).fill(0x5a));
  const sqe = Read.encode({
    opcode: NvmOpcode.READ,
    nsid: 1,
    mptr: BigInt(mptr),
    prp1,
    prp2,
    slba: BigInt(slba),
    nlb: blocks - 1,
    fua: o.fua ?? 0,
    psdt: o.psdt ?? 0,
  });
  const c = run(r.q, sqe);
  const data = new Uint8Array(dataBytes), meta = new Uint8Array(metaBytes);
  r.host.memRead(addr, data);
  if (o.mptr === undefined) r.host.memRead(mptr, meta);
  return { c, data, meta };
}

/** Format NVM of namespace 1 to LBA format `lbaf` with metadata setting `mset`. */
export function formatNvm(r: MetaRig, lbaf: number, mset = 0): Completion {
  const sqe = FormatNvm.encode({ opcode: AdminOpcode.FORMAT_NVM, nsid: 1, lbafl: lbaf, mset });
  return run(r.admin, sqe);
}

/** `n` bytes of a pattern seeded by `seed` (distinct per block and per seed). */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed * 31 + i * 7 + (i >>> 8)) & 0xff;
  return out;
}
