/**
 * Conformance cases: interrupt — MSI-X per completion queue (PCIe Transport 1.1 §3.2: an I/O CQ
 * with IEN = 1 signals its IV, IEN = 0 signals nothing, the Admin CQ uses vector 0), masking (a
 * masked vector or function holds the message in its Pending Bit and sends it on unmask), and
 * Interrupt Coalescing (Base 2.1 §5.1.25.2.2: aggregation threshold and time) with Interrupt
 * Vector Configuration CD (§5.1.25.2.3) and the Admin CQ exempt from coalescing.
 *
 * @module
 */

import { FeatureId } from "../../spec/features.ts";
import { Flush } from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { GetFeatures } from "../../spec/admin_commands.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { WAIT_TIMEOUT } from "../../platform/ports.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { pollUntil, type RawQueue } from "../raw_host.ts";
import { EVENT_WAIT_NS, QUIET_WAIT_NS } from "./_io_events.ts";
import {
  drainInterrupts,
  firedVectors,
  maskFunction,
  maskVector,
  type MsixLayout,
  msixLayout,
  pendingBit,
} from "./_io_msix.ts";

const MSIX_SECTION = "PCIe Transport 1.1 §3.2";
const COALESCING_SECTION = "Base 2.1 §5.1.25.2.2";
const IRQ_IO: ["namespace", "io-queues", "msix"] = ["namespace", "io-queues", "msix"];
/** Interrupt Coalescing: THR (bits 7:0, 0's based) and TIME (bits 15:8, 100 µs units). */
const coalescing = (thr: number, time: number) => (thr & 0xff) | ((time & 0xff) << 8);
/** Interrupt Vector Configuration CD (bit 16). */
const CD = 1 << 16;
/** The longest TIME (25.5 ms): well beyond what the cases watch while holding interrupts. */
const TIME_MAX = 0xff;
/** One coalescing time unit (100 µs) in ns. */
const TIME_UNIT_NS = 100_000;

/** The vector the cases put an I/O CQ on: 2 when the table has it, else 1. */
function ioVector(ctx: CaseContext): number {
  return Math.min(2, ctx.caps.msixVectors - 1);
}

/** Enables the controller and creates I/O queue pair 1 on vector `iv` with interrupts `ien`. */
function irqQueue(ctx: CaseContext, ien: number, iv: number, pairs = 1): RawQueue {
  ctx.ctrl.enable();
  ctx.check(ctx.ctrl.requestQueues(pairs).pairs >= pairs, `fewer than ${pairs} queue pairs`);
  return ctx.ctrl.createQueuePair(1, 16, { ien, iv });
}

function flush(ctx: CaseContext): Uint8Array {
  return Flush.encode({ opcode: NvmOpcode.FLUSH, nsid: ctx.caps.nsid });
}

/** Polls until a CQE is visible at `q`'s head, without consuming it or writing the doorbell. */
function awaitPosted(ctx: CaseContext, q: RawQueue, what: string): void {
  const at = q.cq + q.cqHead * 16 + 12;
  const posted = () => ((q.host.memReadU32(at) >>> 16) & 1) === q.phase;
  ctx.check(pollUntil(q.host, posted, EVENT_WAIT_NS), `${what}: no completion was posted`);
}

function layout(ctx: CaseContext): MsixLayout {
  const m = msixLayout(ctx.host);
  if (m === null) ctx.skip("the MSI-X table or PBA is not in BAR0");
  return m;
}

/** Sets Interrupt Coalescing; skips when the target reports it not changeable. */
function setCoalescing(ctx: CaseContext, value: number): void {
  const c = ctx.ctrl.setFeature(FeatureId.INTERRUPT_COALESCING, value);
  if (c.status === Status.FEATURE_NOT_CHANGEABLE) ctx.skip("Interrupt Coalescing not changeable");
  ctx.expectStatus(c, Status.SUCCESS, "Set Features Interrupt Coalescing");
}

/** Fails unless `vector` fires within `ns`. */
function expectFires(ctx: CaseContext, vector: number, ns: number, what: string): void {
  const v = ctx.host.waitForInterrupt([vector], ns);
  ctx.check(v !== WAIT_TIMEOUT, `${what}: vector ${vector} did not fire within ${ns / 1e6} ms`);
}

/** The interrupt cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "interrupt.msix.io-cq-vector",
    title: "a completion on an I/O CQ with IEN = 1 raises the CQ's MSI-X vector",
    section: MSIX_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      q.submit(flush(ctx));
      expectFires(ctx, iv, EVENT_WAIT_NS, "Flush completion");
      ctx.expectStatus(q.wait(), Status.SUCCESS, "Flush");
    },
  },
  {
    id: "interrupt.msix.ien-zero",
    title: "a completion on an I/O CQ with IEN = 0 raises no interrupt",
    section: MSIX_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const q = irqQueue(ctx, 0, ioVector(ctx));
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      q.submit(flush(ctx));
      awaitPosted(ctx, q, "Flush on a polled CQ");
      ctx.host.sleep(QUIET_WAIT_NS);
      const fired = firedVectors(ctx.host, ctx.caps.msixVectors);
      ctx.check(fired.length === 0, `vectors ${fired.join(", ")} fired for an IEN = 0 CQ`);
    },
  },
  {
    id: "interrupt.msix.admin-vector-0",
    title: "an admin completion raises MSI-X vector 0",
    section: MSIX_SECTION,
    needs: ["msix"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      ctx.ctrl.admin.submit(
        GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, fid: FeatureId.ARBITRATION }),
      );
      expectFires(ctx, 0, EVENT_WAIT_NS, "Get Features completion");
      ctx.expectStatus(ctx.ctrl.admin.wait(), Status.SUCCESS, "Get Features Arbitration");
    },
  },
  {
    id: "interrupt.msix.per-queue-vector",
    title: "two CQs on vectors 1 and 2: a completion on CQ 2 raises vector 2 only",
    section: MSIX_SECTION,
    needs: ["namespace", "io-queues-2", "msix"],
    run(ctx: CaseContext) {
      if (ctx.caps.msixVectors < 3) ctx.skip("fewer than 3 MSI-X vectors");
      irqQueue(ctx, 1, 1, 2);
      const q2 = ctx.ctrl.createQueuePair(2, 16, { ien: 1, iv: 2 });
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      q2.submit(flush(ctx));
      awaitPosted(ctx, q2, "Flush on CQ 2");
      ctx.host.sleep(QUIET_WAIT_NS);
      const fired = firedVectors(ctx.host, ctx.caps.msixVectors);
      ctx.check(fired.length === 1 && fired[0] === 2, `vectors fired: [${fired.join(", ")}]`);
    },
  },
  {
    id: "interrupt.msix.vector-mask",
    title: "a masked vector holds its message in the PBA and sends it when unmasked",
    section: MSIX_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const m = layout(ctx);
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      maskVector(ctx.host, m, iv, true);
      q.submit(flush(ctx));
      // Do not consume the entry: the event that pends must still be unserviced at unmask.
      awaitPosted(ctx, q, "Flush with the vector masked");
      const early = ctx.host.waitForInterrupt([iv], QUIET_WAIT_NS);
      ctx.check(early === WAIT_TIMEOUT, `masked vector ${iv} delivered a message`);
      ctx.check(pendingBit(ctx.host, m, iv), `Pending Bit ${iv} clear while masked`);
      maskVector(ctx.host, m, iv, false);
      expectFires(ctx, iv, EVENT_WAIT_NS, "after unmasking");
      ctx.check(!pendingBit(ctx.host, m, iv), `Pending Bit ${iv} still set after delivery`);
    },
  },
  {
    id: "interrupt.msix.function-mask",
    title: "with the MSI-X Function Mask set, messages pend and are sent when it is cleared",
    section: MSIX_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const m = layout(ctx);
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      maskFunction(ctx.host, m, true);
      q.submit(flush(ctx));
      awaitPosted(ctx, q, "Flush with the function masked");
      const early = ctx.host.waitForInterrupt([iv], QUIET_WAIT_NS);
      ctx.check(early === WAIT_TIMEOUT, `vector ${iv} delivered while the function was masked`);
      ctx.check(pendingBit(ctx.host, m, iv), `Pending Bit ${iv} clear under Function Mask`);
      maskFunction(ctx.host, m, false);
      expectFires(ctx, iv, EVENT_WAIT_NS, "after clearing the Function Mask");
    },
  },
  {
    id: "interrupt.create-cq.vector-out-of-range",
    title: "Create I/O CQ with IV beyond the MSI-X table fails with Invalid Interrupt Vector",
    section: "Base 2.1 §5.2.1",
    needs: ["io-queues", "msix"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      ctx.ctrl.requestQueues(1);
      const { c } = ctx.ctrl.createCq(1, 16, { ien: 1, iv: ctx.caps.msixVectors });
      ctx.expectStatus(c, Status.INVALID_INTERRUPT_VECTOR, `IV ${ctx.caps.msixVectors}`);
    },
  },
  {
    id: "interrupt.coalescing.threshold",
    title: "with THR = 3 one completion raises no interrupt; the fourth one does",
    section: COALESCING_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      setCoalescing(ctx, coalescing(3, TIME_MAX));
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      q.submit(flush(ctx));
      awaitPosted(ctx, q, "first Flush");
      const early = ctx.host.waitForInterrupt([iv], QUIET_WAIT_NS);
      ctx.check(early === WAIT_TIMEOUT, "an interrupt for 1 of 4 aggregated entries");
      for (let i = 0; i < 3; i++) q.submit(flush(ctx));
      expectFires(ctx, iv, 2 * TIME_MAX * TIME_UNIT_NS, "4 aggregated entries");
    },
  },
  {
    id: "interrupt.coalescing.time-limit",
    title: "with THR = 255 and TIME = 1, a lone completion still raises an interrupt",
    section: COALESCING_SECTION,
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      setCoalescing(ctx, coalescing(0xff, 1));
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      const start = ctx.host.now();
      q.submit(flush(ctx));
      expectFires(ctx, iv, EVENT_WAIT_NS, "a lone completion under a 100 µs time limit");
      ctx.note(`interrupt after ${((ctx.host.now() - start) / 1000).toFixed(1)} µs`);
    },
  },
  {
    id: "interrupt.coalescing.vector-cd",
    title: "Interrupt Vector Configuration CD = 1 exempts a vector from coalescing",
    section: "Base 2.1 §5.1.25.2.3",
    needs: IRQ_IO,
    run(ctx: CaseContext) {
      const iv = ioVector(ctx);
      const q = irqQueue(ctx, 1, iv);
      setCoalescing(ctx, coalescing(0xff, TIME_MAX));
      const c = ctx.ctrl.setFeature(FeatureId.INTERRUPT_VECTOR_CONFIG, (iv | CD) >>> 0);
      ctx.expectStatus(
        c,
        Status.SUCCESS,
        `Set Features Interrupt Vector Configuration IV ${iv} CD`,
      );
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      q.submit(flush(ctx));
      // Coalesced, the interrupt could wait 25.5 ms; exempt, it must not wait for the timer.
      expectFires(ctx, iv, QUIET_WAIT_NS, "completion on a CD = 1 vector");
    },
  },
  {
    id: "interrupt.coalescing.admin-exempt",
    title: "coalescing settings do not delay Admin CQ interrupts (vector 0)",
    section: COALESCING_SECTION,
    needs: ["msix", "io-queues"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      setCoalescing(ctx, coalescing(0xff, TIME_MAX));
      drainInterrupts(ctx.host, ctx.caps.msixVectors);
      ctx.ctrl.admin.submit(
        GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, fid: FeatureId.ARBITRATION }),
      );
      expectFires(ctx, 0, QUIET_WAIT_NS, "admin completion under THR = 255, TIME = 25.5 ms");
      ctx.expectStatus(ctx.ctrl.admin.wait(), Status.SUCCESS, "Get Features Arbitration");
    },
  },
]);
