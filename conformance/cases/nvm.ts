/**
 * Conformance cases: nvm — each NVM command the target advertises, with its data checked (Write,
 * Read, Flush, FUA, Compare, Write Zeroes, Dataset Management deallocate, Write Uncorrectable,
 * Verify, Copy). Limits and error statuses are in `nvm_errors.ts`.
 *
 * @module
 */

import { bitRange, Vwc, VwcFlush } from "../../spec/identify_controller.ts";
import { Dlfeat, DlfeatRead } from "../../spec/identify_namespace.ts";
import {
  Compare,
  Copy,
  CopySourceRange,
  DatasetManagement,
  DsmRange,
  Flush,
  Verify,
  WriteUncorrectable,
  WriteZeroes,
} from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import { Status } from "../../spec/status.ts";
import { offsetOf } from "../../spec/struct.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  allBytes,
  allocData,
  buildPrp,
  caseLba,
  type IoEnv,
  ioEnv,
  mustReadBack,
  mustWrite,
  mustWritePattern,
  pattern,
  readBlocks,
} from "./_io_common.ts";
import { NSID_ALL } from "./_admin_util.ts";

const IO: ["namespace", "io-queues"] = ["namespace", "io-queues"];
/** Copy descriptor format 0h, advertised in Identify Controller OCFS bit 0. */
const COPY_FORMAT_0 = 0;

/** Where PRP Entry 1 and 2 sit in an SQE (Base 2.1 §4.1.1). */
const PRP1_OFFSET = offsetOf(SubmissionQueueEntry, "prp1");
const PRP2_OFFSET = offsetOf(SubmissionQueueEntry, "prp2");

/** Sends a command whose data (if any) is `data`, placed in fresh host memory. */
function execWithData(env: IoEnv, sqe: Uint8Array, data: Uint8Array | null) {
  if (data !== null) {
    const addr = allocData(env.host, data.length);
    env.host.memWrite(addr, data);
    const prp = buildPrp(env.host, addr, data.length);
    const dv = new DataView(sqe.buffer, sqe.byteOffset);
    dv.setBigUint64(PRP1_OFFSET, BigInt(prp.prp1), true);
    dv.setBigUint64(PRP2_OFFSET, BigInt(prp.prp2), true);
  }
  return env.q.exec(sqe);
}

/** The nvm cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "nvm.write-read.single-block",
    title: "a one-block Write reads back unchanged",
    section: "NVM CS 1.1 §3.3.6",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 1, 101, 1);
      mustReadBack(env, lba, data, "seed 101");
    },
  },
  {
    id: "nvm.write-read.multi-page",
    title: "a Write spanning three memory pages reads back unchanged",
    section: "NVM CS 1.1 §3.3.4",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const blocks = Math.ceil((3 * env.pageSize) / env.bs);
      const { lba, data } = mustWritePattern(env, 2, 102, blocks);
      mustReadBack(env, lba, data, "seed 102");
    },
  },
  {
    id: "nvm.write-read.overwrite",
    title: "a second Write to the same blocks replaces the first",
    section: "NVM CS 1.1 §3.3.6",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = mustWritePattern(env, 3, 103, 4);
      const second = pattern(104, 4 * env.bs);
      mustWrite(env, lba, second);
      mustReadBack(env, lba, second, "seed 104 over 103");
    },
  },
  {
    id: "nvm.flush.namespace",
    title: "Flush of the namespace succeeds and the data stays readable",
    section: "Base 2.1 §7.2",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 4, 105, 2);
      const c = env.q.exec(Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: env.nsid }));
      ctx.expectStatus(c, Status.SUCCESS, "Flush");
      mustReadBack(env, lba, data, "after Flush");
    },
  },
  {
    id: "nvm.flush.broadcast",
    title: "Flush with NSID FFFFFFFFh follows VWC bits 2:1",
    section: "Base 2.1 §7.2",
    needs: [...IO, "identify"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const support = bitRange(ctx.caps.identify!.vwc, Vwc.FLUSH_BROADCAST);
      const c = env.q.exec(Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: NSID_ALL }));
      // 11b: supported; 10b: not supported (Invalid Namespace or Format); 00b: not indicated.
      const allowed = support === VwcFlush.SUPPORTED
        ? [Status.SUCCESS]
        : support === VwcFlush.UNSUPPORTED
        ? [Status.INVALID_NAMESPACE]
        : [Status.SUCCESS, Status.INVALID_NAMESPACE];
      ctx.expectStatus(c, allowed, `Flush NSID FFFFFFFFh with VWC bits 2:1 = ${support}`);
    },
  },
  {
    id: "nvm.fua.write",
    title: "a Write with FUA completes and reads back unchanged",
    section: "NVM CS 1.1 §3.3.6",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 5, 106, 2, { fua: true });
      mustReadBack(env, lba, data, "FUA write, seed 106");
    },
  },
  {
    id: "nvm.fua.read",
    title: "a Read with FUA returns the latest written data",
    section: "NVM CS 1.1 §3.3.4",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 6, 107, 2);
      mustReadBack(env, lba, data, "FUA read, seed 107", { fua: true });
    },
  },
  {
    id: "nvm.compare.match",
    title: "Compare of the data just written succeeds",
    section: "NVM CS 1.1 §3.3.1",
    needs: [...IO, "compare"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 7, 108, 2);
      const sqe = Compare.encode({ opcode: NvmOpcode.COMPARE, nsid: env.nsid, slba: lba, nlb: 1 });
      ctx.expectStatus(execWithData(env, sqe, data), Status.SUCCESS, "Compare of equal data");
    },
  },
  {
    id: "nvm.compare.miscompare",
    title: "Compare with one byte different fails with Compare Failure",
    section: "NVM CS 1.1 §3.3.1",
    needs: [...IO, "compare"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 8, 109, 2);
      const other = data.slice();
      other[env.bs + 17] ^= 0x40;
      const sqe = Compare.encode({ opcode: NvmOpcode.COMPARE, nsid: env.nsid, slba: lba, nlb: 1 });
      ctx.expectStatus(execWithData(env, sqe, other), Status.COMPARE_FAILURE, "Compare");
    },
  },
  {
    id: "nvm.write-zeroes.reads-zero",
    title: "blocks read as zeros after Write Zeroes",
    section: "NVM CS 1.1 §3.3.8",
    needs: [...IO, "write-zeroes"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = mustWritePattern(env, 9, 110, 4);
      const c = env.q.exec(
        WriteZeroes.encode({ opcode: NvmOpcode.WRITE_ZEROES, nsid: env.nsid, slba: lba, nlb: 3 }),
      );
      ctx.expectStatus(c, Status.SUCCESS, "Write Zeroes");
      mustReadBack(env, lba, new Uint8Array(4 * env.bs), "after Write Zeroes");
    },
  },
  {
    id: "nvm.write-zeroes.deallocate",
    title: "blocks read as zeros after Write Zeroes with DEAC, and neighbours are untouched",
    section: "NVM CS 1.1 §3.3.8",
    needs: [...IO, "write-zeroes"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 10, 111, 4);
      const c = env.q.exec(WriteZeroes.encode({
        opcode: NvmOpcode.WRITE_ZEROES,
        nsid: env.nsid,
        slba: lba + 1,
        nlb: 1,
        deac: 1,
      }));
      ctx.expectStatus(c, Status.SUCCESS, "Write Zeroes DEAC=1");
      const expected = data.slice();
      expected.fill(0, env.bs, 3 * env.bs);
      mustReadBack(env, lba, expected, "after Write Zeroes of LBAs +1..+2");
    },
  },
  {
    id: "nvm.dsm.deallocate",
    title: "Dataset Management deallocate: blocks read per DLFEAT (or keep their data)",
    section: "NVM CS 1.1 §3.3.3",
    needs: [...IO, "dsm"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 11, 112, 8);
      const range = DsmRange.encode({ cattr: 0, nlb: 8, slba: lba });
      const sqe = DatasetManagement.encode({
        opcode: NvmOpcode.DATASET_MANAGEMENT,
        nsid: env.nsid,
        nr: 0,
        ad: 1,
      });
      ctx.expectStatus(execWithData(env, sqe, range), Status.SUCCESS, "DSM deallocate");
      const r = readBlocks(env, lba, 8);
      ctx.expectStatus(r.c, Status.SUCCESS, "Read of deallocated blocks");
      const behaviour = bitRange(ctx.caps.namespace!.dlfeat, Dlfeat.READ_BEHAVIOR);
      const fill = behaviour === DlfeatRead.ZEROES ? 0 : behaviour === DlfeatRead.ONES ? 0xff : -1;
      // AD says the controller *may* deallocate: the old data is allowed, anything else is not.
      for (let b = 0; b < 8; b++) {
        const got = r.data.subarray(b * env.bs, (b + 1) * env.bs);
        const old = data.subarray(b * env.bs, (b + 1) * env.bs);
        const ok = (fill >= 0 && allBytes(got, fill)) ||
          got.every((v, i) => v === old[i]);
        ctx.check(
          ok,
          `block ${b} after deallocate is neither the DLFEAT value (${behaviour}) nor its old data`,
        );
      }
    },
  },
  {
    id: "nvm.write-uncorrectable.read-fails",
    title: "Read of a Write Uncorrectable block fails until it is written again",
    section: "NVM CS 1.1 §3.3.7",
    needs: [...IO, "write-uncorrectable"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = mustWritePattern(env, 12, 113, 2);
      const c = env.q.exec(WriteUncorrectable.encode({
        opcode: NvmOpcode.WRITE_UNCORRECTABLE,
        nsid: env.nsid,
        slba: lba,
        nlb: 0,
      }));
      ctx.expectStatus(c, Status.SUCCESS, "Write Uncorrectable");
      ctx.expectStatus(readBlocks(env, lba, 1).c, Status.UNRECOVERED_READ_ERROR, "Read");
      const fresh = pattern(114, env.bs);
      mustWrite(env, lba, fresh);
      mustReadBack(env, lba, fresh, "after rewriting the uncorrectable block");
    },
  },
  {
    id: "nvm.verify.written",
    title: "Verify of written blocks succeeds",
    section: "NVM CS 1.1 §3.3.5",
    needs: [...IO, "verify"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba } = mustWritePattern(env, 13, 115, 4);
      const c = env.q.exec(
        Verify.encode({ opcode: NvmOpcode.VERIFY, nsid: env.nsid, slba: lba, nlb: 3 }),
      );
      ctx.expectStatus(c, Status.SUCCESS, "Verify");
    },
  },
  {
    id: "nvm.copy.single-range",
    title: "Copy of one source range: the destination holds the source data",
    section: "NVM CS 1.1 §3.3.2",
    needs: [...IO, "copy"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      if ((ctx.caps.identify!.ocfs & (1 << COPY_FORMAT_0)) === 0) {
        ctx.skip("OCFS bit 0 clear: Copy descriptor format 0h not supported");
      }
      const ns = ctx.caps.namespace!;
      const blocks = Math.min(4, ns.mssrl || 4, ns.mcl || 4);
      const { lba, data } = mustWritePattern(env, 14, 116, blocks);
      const dest = caseLba(env, 15, blocks);
      const entry = CopySourceRange.encode({ slba: lba, nlb: blocks - 1 });
      const sqe = Copy.encode({
        opcode: NvmOpcode.COPY,
        nsid: env.nsid,
        sdlba: dest,
        nr: 0,
        desfmt: COPY_FORMAT_0,
      });
      ctx.expectStatus(execWithData(env, sqe, entry), Status.SUCCESS, "Copy");
      mustReadBack(env, dest, data, "Copy destination");
      mustReadBack(env, lba, data, "Copy source");
    },
  },
]);
