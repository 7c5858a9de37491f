/**
 * Conformance cases: nvm — limits and error statuses of NVM commands: the LBA range (LBA Out of
 * Range), MDTS (exactly MDTS passes, one block more is Invalid Field in Command), invalid
 * namespaces (Invalid Namespace or Format) and unsupported opcodes (Invalid Command Opcode), and
 * that such errors, which a retry would only repeat, carry Do Not Retry. The data commands
 * themselves are in `nvm.ts`.
 *
 * @module
 */

import {
  DatasetManagement,
  DsmRange,
  Flush,
  Read,
  Verify,
  WriteZeroes,
} from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import type { Completion } from "../raw_host.ts";
import {
  allocData,
  buildPrp,
  type IoEnv,
  ioEnv,
  mdtsBytes,
  mustReadBack,
  mustWrite,
  pattern,
  readBlocks,
  rwCommand,
  writeBlocks,
} from "./_io_common.ts";
import { NSID_ALL } from "./_admin_util.ts";

const IO: ["namespace", "io-queues"] = ["namespace", "io-queues"];
/** NLB is a 16-bit 0's based field: at most 65536 blocks per command. */
const MAX_BLOCKS_PER_COMMAND = 0x10000;
/** An I/O opcode the NVM Command Set 1.1 reserves (its opcode table skips 03h). */
const RESERVED_IO_OPCODE = 0x03;
/** An SLBA whose NLB addition wraps 64 bits. */
const SLBA_MAX = 0xffff_ffff_ffff_ffffn;

const LBA_OUT_OF_RANGE_SECTION = "NVM CS 1.1 §3.3.4";

/** Reads one block at `slba` in namespace `nsid` and returns the completion. */
function readAt(env: IoEnv, nsid: number, slba: number | bigint, blocks = 1) {
  const addr = allocData(env.host, blocks * env.bs);
  const prp = buildPrp(env.host, addr, blocks * env.bs);
  return env.q.exec(Read.encode({
    opcode: NvmOpcode.READ,
    nsid,
    slba,
    nlb: blocks - 1,
    prp1: prp.prp1,
    prp2: prp.prp2,
  }));
}

/** A 64-byte command with a reserved I/O opcode (03h) for namespace `nsid`. */
function reservedOpcode(nsid: number): Uint8Array {
  return SubmissionQueueEntry.encode({ opcode: RESERVED_IO_OPCODE, nsid });
}

/**
 * Fails unless `c` has status `status` and DNR = 1: the command is malformed for this namespace
 * and controller, so the same command resubmitted fails the same way (Base 2.1 §4.2.3, DNR).
 */
function expectDnr(ctx: CaseContext, c: Completion, status: number, what: string): void {
  ctx.expectStatus(c, status, what);
  ctx.check(c.dnr, `${what}: Do Not Retry is 0, but a retry of the same command fails again`);
}

/** MDTS in blocks for a case, or a skip when it cannot be reached with one command. */
function mdtsBlocks(ctx: CaseContext, env: IoEnv, extra: number): number {
  const bytes = mdtsBytes(ctx);
  if (bytes === 0) ctx.skip("MDTS = 0: no transfer limit to probe");
  const blocks = bytes / env.bs;
  if (!Number.isInteger(blocks)) ctx.skip(`MDTS ${bytes} B is not a whole number of blocks`);
  if (blocks + extra > MAX_BLOCKS_PER_COMMAND) {
    ctx.skip(`MDTS is ${blocks} blocks: NLB cannot express ${blocks + extra}`);
  }
  if (blocks + extra > env.nsze) ctx.skip(`namespace of ${env.nsze} blocks is below MDTS`);
  return blocks;
}

/** The nvm limit and error cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "nvm.lba-range.last-block",
    title: "the last block of the namespace (NSZE − 1) can be written and read",
    section: LBA_OUT_OF_RANGE_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const data = pattern(201, env.bs);
      mustWrite(env, env.nsze - 1, data);
      mustReadBack(env, env.nsze - 1, data, "last block");
    },
  },
  {
    id: "nvm.lba-range.write-past-end",
    title: "a Write whose range passes NSZE fails with LBA Out of Range and changes nothing",
    section: "NVM CS 1.1 §3.3.6",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const last = env.nsze - 1;
      const before = pattern(202, env.bs);
      mustWrite(env, last, before);
      const c = writeBlocks(env, last, pattern(203, 2 * env.bs));
      ctx.expectStatus(c, Status.LBA_OUT_OF_RANGE, "Write of NSZE−1..NSZE");
      mustReadBack(env, last, before, "the in-range block of the refused Write");
    },
  },
  {
    id: "nvm.lba-range.read-past-end",
    title: "a Read starting at NSZE fails with LBA Out of Range",
    section: LBA_OUT_OF_RANGE_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      ctx.expectStatus(readAt(env, env.nsid, env.nsze), Status.LBA_OUT_OF_RANGE, "Read at NSZE");
    },
  },
  {
    id: "nvm.lba-range.slba-wraps",
    title: "SLBA FFFFFFFFFFFFFFFFh with 2 blocks (the sum wraps 64 bits) is LBA Out of Range",
    section: LBA_OUT_OF_RANGE_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      ctx.expectStatus(readAt(env, env.nsid, SLBA_MAX, 2), Status.LBA_OUT_OF_RANGE, "Read");
    },
  },
  {
    id: "nvm.lba-range.write-zeroes",
    title: "Write Zeroes past NSZE fails with LBA Out of Range",
    section: "NVM CS 1.1 §3.3.8",
    needs: [...IO, "write-zeroes"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const c = env.q.exec(WriteZeroes.encode({
        opcode: NvmOpcode.WRITE_ZEROES,
        nsid: env.nsid,
        slba: env.nsze - 2,
        nlb: 3,
      }));
      ctx.expectStatus(c, Status.LBA_OUT_OF_RANGE, "Write Zeroes of NSZE−2..NSZE+1");
    },
  },
  {
    id: "nvm.lba-range.dsm",
    title: "a Dataset Management range past NSZE fails with LBA Out of Range",
    section: "NVM CS 1.1 §3.3.3",
    needs: [...IO, "dsm"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const range = DsmRange.encode({ cattr: 0, nlb: 4, slba: env.nsze - 2 });
      const addr = allocData(env.host, range.length);
      env.host.memWrite(addr, range);
      const c = env.q.exec(DatasetManagement.encode({
        opcode: NvmOpcode.DATASET_MANAGEMENT,
        nsid: env.nsid,
        nr: 0,
        ad: 1,
        prp1: addr,
      }));
      ctx.expectStatus(c, Status.LBA_OUT_OF_RANGE, "DSM deallocate of NSZE−2..NSZE+1");
    },
  },
  {
    id: "nvm.lba-range.verify",
    title: "Verify past NSZE fails with LBA Out of Range",
    section: "NVM CS 1.1 §3.3.5",
    needs: [...IO, "verify"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const c = env.q.exec(
        Verify.encode({ opcode: NvmOpcode.VERIFY, nsid: env.nsid, slba: env.nsze, nlb: 0 }),
      );
      ctx.expectStatus(c, Status.LBA_OUT_OF_RANGE, "Verify at NSZE");
    },
  },
  {
    id: "nvm.mdts.exact",
    title: "a Write and a Read of exactly MDTS succeed with the data intact",
    section: "Base 2.1 §5.1.13.2.1",
    needs: [...IO, "mdts"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const blocks = mdtsBlocks(ctx, env, 0);
      const data = pattern(204, blocks * env.bs);
      mustWrite(env, 0, data);
      mustReadBack(env, 0, data, `MDTS transfer of ${blocks} blocks`);
    },
  },
  {
    id: "nvm.mdts.exceeded",
    title: "a Read of MDTS plus one block fails with Invalid Field in Command",
    section: "Base 2.1 §5.1.13.2.1",
    needs: [...IO, "mdts"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const blocks = mdtsBlocks(ctx, env, 1) + 1;
      const bytes = blocks * env.bs;
      const addr = allocData(env.host, bytes);
      const prp = buildPrp(env.host, addr, bytes);
      const c = env.q.exec(rwCommand(NvmOpcode.READ, env.nsid, 0, blocks, prp));
      ctx.expectStatus(c, Status.INVALID_FIELD, `Read of ${blocks} blocks (MDTS + 1)`);
    },
  },
  {
    id: "nvm.mdts.exceeded-write",
    title: "a Write of MDTS plus one block fails with Invalid Field and writes nothing",
    section: "Base 2.1 §5.1.13.2.1",
    needs: [...IO, "mdts"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const blocks = mdtsBlocks(ctx, env, 1) + 1;
      const before = pattern(205, env.bs);
      mustWrite(env, 0, before);
      const c = writeBlocks(env, 0, pattern(206, blocks * env.bs));
      ctx.expectStatus(c, Status.INVALID_FIELD, `Write of ${blocks} blocks (MDTS + 1)`);
      mustReadBack(env, 0, before, "first block after the refused Write");
    },
  },
  {
    id: "nvm.namespace.nsid-zero",
    title: "a Read with NSID 0 fails with Invalid Namespace or Format",
    section: "Base 2.1 §3.2.1.5",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      ctx.expectStatus(readAt(env, 0, 0), Status.INVALID_NAMESPACE, "Read NSID 0");
    },
  },
  {
    id: "nvm.namespace.nsid-above-nn",
    title: "a Read with NSID NN + 1 fails with Invalid Namespace or Format",
    section: "Base 2.1 §3.2.1.5",
    needs: [...IO, "identify"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const nn = ctx.caps.identify!.nn;
      if (nn >= NSID_ALL - 1) ctx.skip(`NN = ${nn}: no NSID above NN below FFFFFFFFh`);
      ctx.expectStatus(readAt(env, nn + 1, 0), Status.INVALID_NAMESPACE, `Read NSID ${nn + 1}`);
    },
  },
  {
    id: "nvm.namespace.broadcast-read",
    title: "a Read with NSID FFFFFFFFh (no broadcast for Read) is refused",
    section: "Base 2.1 §3.2.1.5",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const c = readAt(env, NSID_ALL, 0);
      ctx.expectStatus(c, [Status.INVALID_NAMESPACE, Status.INVALID_FIELD], "Read NSID FFFFFFFFh");
    },
  },
  {
    id: "nvm.namespace.flush-nsid-zero",
    title: "Flush with NSID 0 fails with Invalid Namespace or Format",
    section: "Base 2.1 §7.2",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const c = env.q.exec(Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: 0 }));
      ctx.expectStatus(c, Status.INVALID_NAMESPACE, "Flush NSID 0");
    },
  },
  {
    id: "nvm.opcode.reserved",
    title: "a reserved I/O opcode (03h) fails with Invalid Command Opcode",
    section: "NVM CS 1.1 §3.3",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const sqe = reservedOpcode(env.nsid);
      ctx.expectStatus(env.q.exec(sqe), Status.INVALID_OPCODE, "I/O opcode 03h");
    },
  },
  {
    id: "nvm.status.dnr-on-invalid",
    title: "errors a retry would repeat (LBA Out of Range, Invalid Namespace, Invalid Opcode) " +
      "set DNR, and the retry does fail again",
    section: "Base 2.1 §4.2.3",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const attempts: [string, number, () => Completion][] = [
        ["Read at NSZE", Status.LBA_OUT_OF_RANGE, () => readAt(env, env.nsid, env.nsze)],
        ["Read with NSID 0", Status.INVALID_NAMESPACE, () => readAt(env, 0, 0)],
        ["I/O opcode 03h", Status.INVALID_OPCODE, () => env.q.exec(reservedOpcode(env.nsid))],
      ];
      for (const [what, status, run] of attempts) {
        expectDnr(ctx, run(), status, what);
        // The retry DNR = 1 advises against: the same command fails the same way.
        expectDnr(ctx, run(), status, `${what}, resubmitted`);
      }
    },
  },
  {
    id: "nvm.opcode.queue-survives",
    title: "after an invalid opcode the queue keeps working",
    section: "Base 2.1 §4.2.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      env.q.exec(reservedOpcode(env.nsid));
      const r = readBlocks(env, 0, 1);
      ctx.expectStatus(r.c, Status.SUCCESS, "Read after the invalid opcode");
    },
  },
]);
