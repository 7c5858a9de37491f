/**
 * Conformance cases: integrity — data written is the data read: across SQ/CQ wraparound with many
 * commands in flight, over two queues, across Controller Level Resets (CC.EN 1 → 0 → 1 and FLR:
 * the namespace's data belongs to the NVM subsystem, not to the controller), and across a power
 * loss for data made durable by Flush or FUA (unflushed data may be lost when a volatile write
 * cache is present, but nothing durable may be).
 *
 * @module
 */

import { NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import type { Completion, RawQueue } from "../raw_host.ts";
import {
  allocData,
  buildPrp,
  caseLba,
  checkBytes,
  firstDifference,
  type IoEnv,
  ioEnv,
  mustFlush,
  mustReadBack,
  mustWrite,
  mustWritePattern,
  pattern,
  readBlocks,
  reopen,
  rwCommand,
} from "./_io_common.ts";
import { readMem } from "./_admin_util.ts";

const IO: ["namespace", "io-queues"] = ["namespace", "io-queues"];
const RESET_SECTION = "Base 2.1 §3.7.2";

/**
 * Runs `n` commands on `q` with at most `depth` outstanding, matching completions by CID;
 * `done(i, c)` sees command `i`'s completion.
 */
function pipeline(
  ctx: CaseContext,
  q: RawQueue,
  n: number,
  depth: number,
  make: (i: number) => Uint8Array,
  done: (i: number, c: Completion) => void,
): void {
  const byCid = new Map<number, number>();
  let next = 0;
  for (let finished = 0; finished < n; finished++) {
    while (next < n && byCid.size < depth) byCid.set(q.submit(make(next)), next++);
    const c = q.wait();
    const i = byCid.get(c.cid);
    ctx.check(i !== undefined, `completion for unknown CID ${c.cid}`);
    byCid.delete(c.cid);
    done(i, c);
  }
}

/** Writes then reads back `n` one-block commands at QD `depth` on `q`, checking every block. */
function roundTrip(
  ctx: CaseContext,
  env: IoEnv,
  q: RawQueue,
  n: number,
  depth: number,
  seed: number,
) {
  const base = caseLba(env, seed % 64, n);
  const blocks = Array.from({ length: n }, (_, i) => pattern(seed + i, env.bs));
  const io = (op: typeof NvmOpcode.READ | typeof NvmOpcode.WRITE, bufs: number[]) => (i: number) =>
    rwCommand(op, env.nsid, base + i, 1, buildPrp(env.host, bufs[i], env.bs));
  const src = blocks.map((b) => {
    const a = allocData(env.host, env.bs);
    env.host.memWrite(a, b);
    return a;
  });
  pipeline(ctx, q, n, depth, io(NvmOpcode.WRITE, src), (i, c) => {
    ctx.expectStatus(c, Status.SUCCESS, `Write ${i} (seed ${seed + i})`);
  });
  const dst = blocks.map(() => allocData(env.host, env.bs));
  pipeline(ctx, q, n, depth, io(NvmOpcode.READ, dst), (i, c) => {
    ctx.expectStatus(c, Status.SUCCESS, `Read ${i}`);
    checkBytes(ctx, readMem(env.host, dst[i], env.bs), blocks[i], `block ${i} (seed ${seed + i})`);
  });
}

/** Skips unless the session can lose power. */
function powerLoss(ctx: CaseContext): () => void {
  const loss = ctx.session.powerLoss;
  if (!loss) ctx.skip("the target cannot simulate a power loss");
  return () => loss.call(ctx.session);
}

/** The integrity cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "integrity.wrap.queue-depth-7",
    title: "48 Writes then 48 Reads at QD 7 on 8-entry queues (six wraps) keep every block",
    section: "Base 2.1 §3.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 8 });
      roundTrip(ctx, env, env.q, 48, 7, 700);
    },
  },
  {
    id: "integrity.wrap.size-2",
    title: "12 Writes then 12 Reads on 2-entry queues (one slot, a wrap per command)",
    section: "Base 2.1 §3.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 2 });
      roundTrip(ctx, env, env.q, 12, 1, 760);
    },
  },
  {
    id: "integrity.multi-queue.cross-read",
    title: "blocks written through SQ 1 read back through SQ 2 and vice versa",
    section: "Base 2.1 §3.3.1",
    needs: ["namespace", "io-queues-2"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { pairs: 2, size: 16 });
      const [q1, q2] = env.queues;
      const lba = caseLba(env, 40, 8);
      const a = pattern(780, 4 * env.bs);
      const b = pattern(781, 4 * env.bs);
      mustWrite(env, lba, a, { q: q1 });
      mustWrite(env, lba + 4, b, { q: q2 });
      mustReadBack(env, lba, a, "written on SQ 1, read on SQ 2", { q: q2 });
      mustReadBack(env, lba + 4, b, "written on SQ 2, read on SQ 1", { q: q1 });
    },
  },
  {
    id: "integrity.reset.without-flush",
    title: "data written (no Flush) is readable after CC.EN 1 → 0 → 1",
    section: RESET_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 41, 782, 4);
      env.ctrl.disable();
      mustReadBack(ioEnv(ctx), lba, data, "after a controller reset");
    },
  },
  {
    id: "integrity.reset.with-flush",
    title: "data written and flushed is readable after CC.EN 1 → 0 → 1",
    section: RESET_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 42, 783, 4);
      mustFlush(env);
      env.ctrl.disable();
      mustReadBack(ioEnv(ctx), lba, data, "after Flush and a controller reset");
    },
  },
  {
    id: "integrity.reset.flr",
    title: "data written (no Flush) is readable after a PCIe Function Level Reset",
    section: RESET_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const flr = ctx.session.functionLevelReset;
      if (!flr) ctx.skip("the target cannot do a Function Level Reset");
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 43, 784, 4);
      flr.call(ctx.session);
      mustReadBack(reopen(ctx), lba, data, "after FLR");
    },
  },
  {
    id: "integrity.power-loss.flushed",
    title: "data written and flushed survives a power loss",
    section: "Base 2.1 §7.2",
    needs: IO,
    run(ctx: CaseContext) {
      const lose = powerLoss(ctx);
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 44, 785, 8);
      mustFlush(env);
      lose();
      mustReadBack(reopen(ctx), lba, data, "flushed data after power loss");
    },
  },
  {
    id: "integrity.power-loss.fua",
    title: "data written with FUA survives a power loss without a Flush",
    section: "NVM CS 1.1 §3.3.6",
    needs: IO,
    run(ctx: CaseContext) {
      const lose = powerLoss(ctx);
      const env = ioEnv(ctx);
      const { lba, data } = mustWritePattern(env, 45, 786, 4, { fua: true });
      lose();
      mustReadBack(reopen(ctx), lba, data, "FUA data after power loss");
    },
  },
  {
    id: "integrity.power-loss.unflushed",
    title: "with a volatile write cache, power loss may drop only unflushed writes",
    section: "Base 2.1 §5.1.25.1.4",
    needs: [...IO, "vwc"],
    run(ctx: CaseContext) {
      const lose = powerLoss(ctx);
      const env = ioEnv(ctx);
      const { lba: durable, data: a } = mustWritePattern(env, 46, 787, 4);
      const cached = caseLba(env, 47, 4);
      mustFlush(env);
      const before = readBlocks(env, cached, 4);
      ctx.expectStatus(before.c, Status.SUCCESS, "Read before the unflushed Write");
      const b = pattern(788, 4 * env.bs);
      mustWrite(env, cached, b);
      lose();
      const after = reopen(ctx);
      mustReadBack(after, durable, a, "flushed data next to an unflushed write");
      const r = readBlocks(after, cached, 4);
      ctx.expectStatus(r.c, Status.SUCCESS, "Read of the unflushed range");
      for (let blk = 0; blk < 4; blk++) {
        const at = (x: Uint8Array) => x.subarray(blk * env.bs, (blk + 1) * env.bs);
        const isNew = firstDifference(at(r.data), at(b)) < 0;
        const isOld = firstDifference(at(r.data), at(before.data)) < 0;
        ctx.check(isNew || isOld, `unflushed block ${blk} is neither the new nor the old data`);
        ctx.note(`unflushed block ${blk}: ${isNew ? "kept" : "lost"}`);
      }
    },
  },
]);
