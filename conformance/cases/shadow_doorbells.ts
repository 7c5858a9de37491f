/**
 * Conformance cases: shadow-doorbell — Doorbell Buffer Config (Base 2.1 §5.2.5): the buffers
 * must be page aligned; once configured, a host that writes every doorbell value to the Shadow
 * Doorbell buffer and rings MMIO only when the EventIdx rule says so still gets every command
 * processed (SQ side and CQ side); the controller keeps EventIdx meaningful; and the
 * configuration does not survive a Controller Level Reset.
 *
 * @module
 */

import { Oacs, testBit } from "../../spec/identify_controller.ts";
import { Flush } from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { pollUntil, RawQueue } from "../raw_host.ts";
import { caseLba, ioEnv, mustReadBack, mustWrite, PAGE_4K, pattern } from "./_io_common.ts";
import { EVENT_WAIT_NS, expectQuiet } from "./_io_events.ts";
import {
  doorbellBufferConfig,
  enableShadow,
  shadowBuffers,
  ShadowQueue,
  shadowSlot,
} from "./_io_shadow.ts";

const SECTION = "Base 2.1 §5.2.5";
const SHADOW_IO: ["namespace", "io-queues", "dbbuf"] = ["namespace", "io-queues", "dbbuf"];
/** A byte offset that breaks page alignment. */
const MISALIGN = 0x200;
/** Commands per burst in the need_event cases: 1, 2, 3, 4, 1, 2, … */
const BURSTS = 16;
/** A value written into buffers the controller must not touch. */
const SENTINEL = 0xabcd;

function flush(nsid: number): Uint8Array {
  return Flush.encode({ opcode: NvmOpcode.FLUSH, nsid });
}

/** Runs bursts of Flushes on `q`; fails unless every completion arrives. Returns the count. */
function runBursts(ctx: CaseContext, q: RawQueue, nsid: number): number {
  let total = 0;
  for (let b = 0; b < BURSTS; b++) {
    const n = (b % 4) + 1;
    for (let i = 0; i < n; i++) q.submit(flush(nsid), { ring: false });
    q.ring();
    let got = 0;
    const ok = pollUntil(q.host, () => {
      for (let c = q.take(); c; c = q.take()) {
        ctx.expectStatus(c, Status.SUCCESS, `Flush in burst ${b}`);
        got++;
        q.release();
      }
      return got === n;
    }, EVENT_WAIT_NS);
    ctx.check(ok, `burst ${b}: ${got} of ${n} completions (a need_event host stalled)`);
    total += n;
  }
  return total;
}

/** The shadow-doorbell cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "shadow-doorbell.config.accepted",
    title: "Doorbell Buffer Config with page-aligned buffers succeeds; I/O then works",
    section: SECTION,
    needs: SHADOW_IO,
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const { buffers, c } = enableShadow(ctx.ctrl);
      ctx.expectStatus(c, Status.SUCCESS, "Doorbell Buffer Config");
      const env = ioEnv(ctx);
      const q = new ShadowQueue(env.q, buffers, "always");
      const io = { ...env, q, queues: [q] };
      const lba = caseLba(env, 60, 2);
      const data = pattern(601, 2 * env.bs);
      mustWrite(io, lba, data);
      mustReadBack(io, lba, data, "I/O through shadowed doorbells");
    },
  },
  {
    id: "shadow-doorbell.config.prp1-unaligned",
    title: "a Shadow Doorbell buffer (PRP1) not page aligned fails with Invalid Field",
    section: SECTION,
    needs: ["dbbuf"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const b = shadowBuffers(ctx.host);
      const c = doorbellBufferConfig(ctx.ctrl, b.dbs + MISALIGN, b.eis);
      ctx.expectStatus(c, Status.INVALID_FIELD, "PRP1 = page + 200h");
    },
  },
  {
    id: "shadow-doorbell.config.prp2-unaligned",
    title: "an EventIdx buffer (PRP2) not page aligned fails with Invalid Field",
    section: SECTION,
    needs: ["dbbuf"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const b = shadowBuffers(ctx.host);
      const c = doorbellBufferConfig(ctx.ctrl, b.dbs, b.eis + MISALIGN);
      ctx.expectStatus(c, Status.INVALID_FIELD, "PRP2 = page + 200h");
    },
  },
  {
    id: "shadow-doorbell.config.unsupported",
    title: "without OACS bit 8, Doorbell Buffer Config fails with Invalid Command Opcode",
    section: SECTION,
    needs: ["identify"],
    run(ctx: CaseContext) {
      if (testBit(ctx.caps.identify!.oacs, Oacs.DBBUF)) {
        ctx.skip("the target advertises Doorbell Buffer Config");
      }
      ctx.ctrl.enable();
      const b = shadowBuffers(ctx.host);
      ctx.expectStatus(doorbellBufferConfig(ctx.ctrl, b.dbs, b.eis), Status.INVALID_OPCODE, "7Ch");
    },
  },
  {
    id: "shadow-doorbell.event-idx.sq-need-event",
    title: "queues created first, then configured: a need_event host's bursts all complete",
    section: SECTION,
    needs: SHADOW_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 16 });
      const { buffers, c } = enableShadow(env.ctrl);
      ctx.expectStatus(c, Status.SUCCESS, "Doorbell Buffer Config after queue creation");
      const q = new ShadowQueue(env.q, buffers, "need-event");
      const total = runBursts(ctx, q, env.nsid);
      ctx.note(`${q.mmioWrites} MMIO doorbell writes for ${q.updates} updates, ${total} commands`);
    },
  },
  {
    id: "shadow-doorbell.event-idx.cq-need-event",
    title: "configured first: a 4-entry CQ behind a 16-entry SQ drains with need_event heads",
    section: SECTION,
    needs: SHADOW_IO,
    run(ctx: CaseContext) {
      const ctrl = ctx.ctrl;
      ctrl.enable();
      const { buffers, c } = enableShadow(ctrl);
      ctx.expectStatus(c, Status.SUCCESS, "Doorbell Buffer Config before queue creation");
      ctx.check(ctrl.requestQueues(1).pairs >= 1, "no I/O queue granted");
      const cq = ctrl.createCq(1, 4, { ien: 0 });
      ctx.expectStatus(cq.c, Status.SUCCESS, "Create I/O CQ");
      const sq = ctrl.createSq(1, 16, 1);
      ctx.expectStatus(sq.c, Status.SUCCESS, "Create I/O SQ");
      const base = new RawQueue(ctx.host, 1, sq.addr, cq.addr, 16, 4, ctrl.dstrd);
      const q = new ShadowQueue(base, buffers, "need-event");
      for (let i = 0; i < 12; i++) q.submit(flush(ctx.caps.nsid), { ring: false });
      q.ring();
      let got = 0;
      const ok = pollUntil(ctx.host, () => {
        for (let e = q.take(); e; e = q.take()) {
          got++;
          q.release();
        }
        return got === 12;
      }, EVENT_WAIT_NS);
      ctx.check(ok, `${got} of 12 completions through a 4-entry CQ (CQ head updates lost)`);
      ctx.note(`${q.mmioWrites} MMIO doorbell writes for ${q.updates} updates`);
    },
  },
  {
    id: "shadow-doorbell.event-idx.maintained",
    title: "the controller advances EventIdx, or else picks up shadow-only tails by itself",
    section: SECTION,
    needs: SHADOW_IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 16 });
      const { buffers, c } = enableShadow(env.ctrl);
      ctx.expectStatus(c, Status.SUCCESS, "Doorbell Buffer Config");
      const q = new ShadowQueue(env.q, buffers, "always");
      for (let i = 0; i < 5; i++) q.exec(flush(env.nsid));
      const ei = q.eventIdx(false);
      if (ei !== 0) {
        ctx.note(`SQ 1 EventIdx ${ei} after 5 commands`);
        return;
      }
      // EventIdx still 0: a need_event host would not ring MMIO for tails 6… so the controller
      // must notice a shadow-only update itself.
      q.policy = "need-event";
      q.submit(flush(env.nsid));
      let seen = false;
      pollUntil(ctx.host, () => (seen = q.take() !== null), EVENT_WAIT_NS);
      ctx.check(seen, "EventIdx never left 0 and a shadow-only tail was never processed");
    },
  },
  {
    id: "shadow-doorbell.reset.clears-config",
    title: "after a controller reset the shadow buffers are neither read nor written",
    section: SECTION,
    needs: SHADOW_IO,
    run(ctx: CaseContext) {
      const first = ioEnv(ctx);
      const { buffers, c } = enableShadow(first.ctrl);
      ctx.expectStatus(c, Status.SUCCESS, "Doorbell Buffer Config");
      new ShadowQueue(first.q, buffers, "always").exec(flush(first.nsid));
      ctx.ctrl.disable();
      const env = ioEnv(ctx, { size: 8 });
      const dstrd = env.q.dstrd;
      // A stale shadow tail of 5 over 5 valid entries: only the MMIO tail (1) may count now.
      ctx.host.memWriteU32(buffers.dbs + shadowSlot(1, false, dstrd), 5);
      ctx.host.memFill(buffers.eis, PAGE_4K, 0);
      ctx.host.memWriteU32(buffers.eis + shadowSlot(1, false, dstrd), SENTINEL);
      ctx.host.memWriteU32(buffers.eis + shadowSlot(1, true, dstrd), SENTINEL);
      for (let i = 0; i < 5; i++) env.q.submit(flush(env.nsid), { ring: false });
      env.q.ring(1);
      const one = env.q.wait();
      ctx.expectStatus(one, Status.SUCCESS, "the one announced Flush");
      expectQuiet(ctx, env.q, "entries 1..4 announced only by the stale shadow tail");
      const eiSq = ctx.host.memReadU32(buffers.eis + shadowSlot(1, false, dstrd));
      const eiCq = ctx.host.memReadU32(buffers.eis + shadowSlot(1, true, dstrd));
      ctx.check(
        eiSq === SENTINEL && eiCq === SENTINEL,
        `EventIdx written after the reset (SQ 0x${eiSq.toString(16)}, CQ 0x${eiCq.toString(16)})`,
      );
      const sqShadow = ctx.host.memReadU32(buffers.dbs + shadowSlot(1, false, dstrd));
      ctx.check(sqShadow === 5, `the Shadow Doorbell slot was rewritten to ${sqShadow}`);
    },
  },
]);
