/**
 * Conformance cases: data-pointer — SGLs (Base 2.1 §4.3.2): a Data Block in the SQE, Last Segment
 * lists, Segment chains, Bit Buckets, and the statuses for malformed SGLs (descriptor type,
 * length, segment descriptor, granularity) and for SGLs where they are not allowed (admin
 * commands on PCIe; controllers without SGL support).
 *
 * @module
 */

import { Cns, Identify } from "../../spec/admin_commands.ts";
import { bitRange, Sgls, SglSupport, testBit } from "../../spec/identify_controller.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { SglDescriptor, SglType } from "../../spec/sgl.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  allBytes,
  allocData,
  caseLba,
  checkBytes,
  type IoEnv,
  ioEnv,
  mustReadBack,
  mustWritePattern,
  pattern,
  POISON,
  rwCommand,
} from "./_io_common.ts";
import { segmentDescriptor, sglDescriptor, useSgl } from "./_io_sgl.ts";
import { readMem } from "./_admin_util.ts";

const SGL_IO: ["namespace", "io-queues", "sgl"] = ["namespace", "io-queues", "sgl"];
const SGL_SECTION = "Base 2.1 §4.3.2";
/** A descriptor type the spec reserves (types 6h..Eh are reserved on PCIe). */
const RESERVED_SGL_TYPE = 0xe;
/** No PRPs: the data pointer is filled by {@linkcode useSgl}. */
const NO_PRP = { prp1: 0, prp2: 0 };

/** Reads `blocks` at `slba` with SGL Entry 1 = `entry1`. */
function sglRead(env: IoEnv, slba: number, blocks: number, entry1: Uint8Array) {
  return env.q.exec(useSgl(rwCommand(NvmOpcode.READ, env.nsid, slba, blocks, NO_PRP), entry1));
}

/** `count` separately allocated poisoned buffers of `len` bytes at a dword-aligned offset. */
function buffers(env: IoEnv, count: number, len: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(allocData(env.host, len + 64) + 0x20);
  return out;
}

/** One poisoned buffer per length, and a Last Segment of Data Blocks describing them in order. */
function lastSegmentOver(env: IoEnv, lens: readonly number[]) {
  const bufs = lens.map((l) => buffers(env, 1, l)[0]);
  const dbs = bufs.map((b, i) => sglDescriptor(b, lens[i]));
  return { bufs, entry1: segmentDescriptor(env.host, dbs, true) };
}

/** Checks that Data Block `i` (`lens[i]` bytes at `bufs[i]`) holds the next `lens[i]` bytes of `data`. */
function checkDataBlocks(
  ctx: CaseContext,
  env: IoEnv,
  bufs: readonly number[],
  lens: readonly number[],
  data: Uint8Array,
): void {
  let off = 0;
  bufs.forEach((b, i) => {
    checkBytes(ctx, readMem(env.host, b, lens[i]), data.subarray(off, off + lens[i]), `DB ${i}`);
    off += lens[i];
  });
}

/** The data-pointer SGL cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "data-pointer.sgl.data-block-read",
    title: "a Read with one Data Block descriptor in the SQE",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 40, 401, 2);
      const [buf] = buffers(env, 1, data.length);
      const c = sglRead(env, lba, 2, sglDescriptor(buf, data.length));
      ctx.expectStatus(c, Status.SUCCESS, "Read, SGL Data Block");
      checkBytes(ctx, readMem(env.host, buf, data.length), data, "Data Block");
      ctx.check(allBytes(readMem(env.host, buf + data.length, 16), POISON), "past the Data Block");
    },
  },
  {
    id: "data-pointer.sgl.data-block-write",
    title: "a Write with one Data Block descriptor in the SQE",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const data = pattern(402, 3 * env.bs);
      const [buf] = buffers(env, 1, data.length);
      env.host.memWrite(buf, data);
      const lba = caseLba(env, 41, 3);
      const sqe = useSgl(
        rwCommand(NvmOpcode.WRITE, env.nsid, lba, 3, NO_PRP),
        sglDescriptor(buf, data.length),
      );
      ctx.expectStatus(env.q.exec(sqe), Status.SUCCESS, "Write, SGL Data Block");
      mustReadBack(env, lba, data, "SGL write read back with PRPs");
    },
  },
  {
    id: "data-pointer.sgl.last-segment",
    title: "a Last Segment of three Data Blocks scatters the data in order",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 42, 403, 4);
      const lens = [env.bs, 2 * env.bs, env.bs];
      const { bufs, entry1 } = lastSegmentOver(env, lens);
      ctx.expectStatus(sglRead(env, lba, 4, entry1), Status.SUCCESS, "Read, Last Segment");
      checkDataBlocks(ctx, env, bufs, lens, data);
    },
  },
  {
    id: "data-pointer.sgl.segment-chain",
    title: "a Segment whose last descriptor is a Last Segment: five Data Blocks in order",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 43, 404, 5);
      const bufs = buffers(env, 5, env.bs);
      const dbs = bufs.map((b) => sglDescriptor(b, env.bs));
      const last = segmentDescriptor(env.host, dbs.slice(2), true);
      const entry1 = segmentDescriptor(env.host, [...dbs.slice(0, 2), last], false);
      ctx.expectStatus(sglRead(env, lba, 5, entry1), Status.SUCCESS, "Read, Segment chain");
      checkDataBlocks(ctx, env, bufs, bufs.map(() => env.bs), data);
    },
  },
  {
    id: "data-pointer.sgl.bit-bucket",
    title: "a Bit Bucket in a Read discards its bytes; the Data Blocks around it get theirs",
    section: SGL_SECTION,
    needs: [...SGL_IO, "sgl-bit-bucket"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 44, 405, 3);
      const [a, b] = buffers(env, 2, env.bs);
      const entry1 = segmentDescriptor(env.host, [
        sglDescriptor(a, env.bs),
        sglDescriptor(0, env.bs, SglType.BIT_BUCKET),
        sglDescriptor(b, env.bs),
      ], true);
      ctx.expectStatus(sglRead(env, lba, 3, entry1), Status.SUCCESS, "Read with a Bit Bucket");
      checkBytes(ctx, readMem(env.host, a, env.bs), data.subarray(0, env.bs), "block 0");
      checkBytes(ctx, readMem(env.host, b, env.bs), data.subarray(2 * env.bs), "block 2");
    },
  },
  {
    id: "data-pointer.sgl.reserved-type",
    title: "a reserved descriptor type in the SQE fails with SGL Descriptor Type Invalid",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const [buf] = buffers(env, 1, env.bs);
      const c = sglRead(env, 0, 1, sglDescriptor(buf, env.bs, RESERVED_SGL_TYPE));
      ctx.expectStatus(c, Status.SGL_DESCRIPTOR_TYPE_INVALID, "Read, SGL type Eh");
    },
  },
  {
    id: "data-pointer.sgl.reserved-type-in-segment",
    title:
      "a reserved descriptor type inside a Last Segment fails with SGL Descriptor Type Invalid",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const [a, b] = buffers(env, 2, env.bs);
      const entry1 = segmentDescriptor(env.host, [
        sglDescriptor(a, env.bs),
        sglDescriptor(b, env.bs, RESERVED_SGL_TYPE),
      ], true);
      const c = sglRead(env, 0, 2, entry1);
      ctx.expectStatus(c, Status.SGL_DESCRIPTOR_TYPE_INVALID, "Read, type Eh in a segment");
    },
  },
  {
    id: "data-pointer.sgl.length-short",
    title: "Data Blocks shorter than the transfer fail with Data SGL Length Invalid",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const [buf] = buffers(env, 1, 2 * env.bs);
      const c = sglRead(env, 0, 2, sglDescriptor(buf, env.bs));
      ctx.expectStatus(c, Status.DATA_SGL_LENGTH_INVALID, "2-block Read, 1-block Data Block");
    },
  },
  {
    id: "data-pointer.sgl.length-long",
    title: "Data Blocks longer than the transfer: allowed only with SGLS bit 18",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 45, 406, 1);
      const [buf] = buffers(env, 1, 2 * env.bs);
      const c = sglRead(env, lba, 1, sglDescriptor(buf, 2 * env.bs));
      if (testBit(ctx.caps.identify!.sgls, Sgls.LENGTH_LARGER_THAN_DATA)) {
        ctx.expectStatus(c, Status.SUCCESS, "1-block Read, 2-block Data Block (SGLS bit 18)");
        checkBytes(ctx, readMem(env.host, buf, env.bs), data, "data");
      } else {
        ctx.expectStatus(c, Status.DATA_SGL_LENGTH_INVALID, "1-block Read, 2-block Data Block");
      }
    },
  },
  {
    id: "data-pointer.sgl.segment-length",
    title: "a Last Segment of length 0 or not a multiple of 16: Invalid SGL Segment Descriptor",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const [buf] = buffers(env, 1, env.bs);
      const seg = segmentDescriptor(env.host, [sglDescriptor(buf, env.bs)], true);
      for (const len of [0, 24]) {
        const bad = seg.slice();
        new DataView(bad.buffer).setUint32(SglDescriptor.field("len").offset, len, true);
        const c = sglRead(env, 0, 1, bad);
        ctx.expectStatus(c, Status.INVALID_SGL_SEGMENT_DESCRIPTOR, `Last Segment length ${len}`);
      }
    },
  },
  {
    id: "data-pointer.sgl.granularity",
    title: "Data Blocks of 510 + 514 bytes: fine byte-aligned, refused when dword-granular",
    section: SGL_SECTION,
    needs: SGL_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 46, 407, 2);
      const lens = [env.bs - 2, env.bs + 2];
      const { bufs, entry1 } = lastSegmentOver(env, lens);
      const c = sglRead(env, lba, 2, entry1);
      const support = bitRange(ctx.caps.identify!.sgls, Sgls.SUPPORT);
      if (support === SglSupport.DWORD_ALIGNED) {
        ctx.expectStatus(c, Status.SGL_DATA_BLOCK_GRANULARITY_INVALID, "non-dword Data Blocks");
        return;
      }
      ctx.expectStatus(c, Status.SUCCESS, "byte-granular Data Blocks");
      checkDataBlocks(ctx, env, bufs, lens, data);
    },
  },
  {
    id: "data-pointer.sgl.admin-command",
    title: "an admin command with PSDT = 01b (SGLs are for I/O commands on PCIe) is refused",
    section: "Base 2.1 §4.1.1 (Figure 91, PSDT)",
    needs: ["identify"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const buf = allocData(ctx.host, 4096);
      const sqe = useSgl(
        Identify.encode({ opcode: AdminOpcode.IDENTIFY, cns: Cns.CONTROLLER }),
        sglDescriptor(buf, 4096),
      );
      ctx.expectStatus(ctx.ctrl.adminExec(sqe), Status.INVALID_FIELD, "Identify with PSDT = 01b");
    },
  },
  {
    id: "data-pointer.sgl.unsupported",
    title: "without SGL support (SGLS bits 1:0 = 00b) a Read with PSDT = 01b is refused",
    section: SGL_SECTION,
    needs: ["namespace", "io-queues", "identify"],
    run(ctx: CaseContext) {
      if (bitRange(ctx.caps.identify!.sgls, Sgls.SUPPORT) !== SglSupport.NONE) {
        ctx.skip("the target supports SGLs");
      }
      const env = ioEnv(ctx);
      const [buf] = buffers(env, 1, env.bs);
      const c = sglRead(env, 0, 1, sglDescriptor(buf, env.bs));
      ctx.expectStatus(c, Status.INVALID_FIELD, "Read with PSDT = 01b");
      ctx.check(allBytes(readMem(env.host, buf, env.bs), POISON), "the refused Read wrote data");
    },
  },
]);
