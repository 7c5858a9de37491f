/**
 * The hostile device: an {@linkcode NvmeFunction} wrapping the reference controller that, on a
 * script, misbehaves in well-typed ways a real device (or a buggy one) can — for fuzzing drivers.
 * Everything else passes through, so data really is stored and read back:
 *
 * - `unknown-cid`: a completion carries a command identifier no command has outstanding on its
 *   SQ (the real completion is lost);
 * - `error-status`: a completion's status is replaced by an error (phase tag kept);
 * - `delay-doorbell`: an I/O doorbell write reaches the controller only after a delay (later
 *   doorbell writes queue behind it, so the controller still sees values in order);
 * - `drop-doorbell`: an I/O doorbell write is lost;
 * - `cfs`: the controller turns fatal — CSTS.CFS reads 1, nothing more is posted, interrupts and
 *   doorbells are lost — until the host clears CC.EN (a controller reset), which recovers it.
 *
 * Actions are keyed by ordinal: the `at`-th completion posted to an I/O CQ, or the `at`-th
 * MMIO doorbell write to an I/O queue without shadow doorbells (admin traffic is left alone so
 * bring-up works; shadowed queues too, see `mmioWrite`), counting from 0. Each action fires once.
 *
 * @example A completion for command nobody sent
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { HostileDevice } from "./hostile_device.ts";
 * const hostile = new HostileDevice(new NvmeController(), [{ kind: "unknown-cid", at: 0 }]);
 * new Machine().attach(hostile);
 * if (hostile.fired.length !== 0) throw new Error("nothing happened yet");
 * ```
 *
 * @module
 */

import type { NvmeController } from "../controller/controller.ts";
import { ForwardingDevicePort } from "../platform/forwarding_ports.ts";
import type { PciIdentity } from "../platform/identity.ts";
import type { DevicePort, NvmeFunction, ResetKind } from "../platform/ports.ts";
import type { EventHandle } from "../platform/scheduler.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { decodeDoorbell } from "../spec/doorbell.ts";
import { RegisterOffset } from "../spec/registers.ts";

/** One scripted misbehaviour. */
export type HostileAction =
  | { readonly kind: "unknown-cid"; readonly at: number }
  | {
    readonly kind: "error-status";
    readonly at: number;
    readonly status: number;
    readonly dnr: boolean;
  }
  | { readonly kind: "delay-doorbell"; readonly at: number; readonly ns: number }
  | { readonly kind: "drop-doorbell"; readonly at: number }
  | { readonly kind: "cfs"; readonly at: number };

/** CQE bytes 10..11 SQID, 12..13 CID, 14..15 status word (phase in bit 0, DNR in bit 15). */
const CQE_SQID = 10;
const CQE_CID = 12;
const CQE_STATUS = 14;
const STATUS_PHASE = 1;
const STATUS_DNR = 1 << 15;
const CSTS_CFS = 1 << 1;
const CC_EN = 1;
const CID_SPACE = 0x1_0000;

interface PendingDoorbell {
  readonly offset: number;
  readonly size: 4 | 8;
  readonly value: number;
}

/** The wrapper. */
export class HostileDevice implements NvmeFunction {
  /** The wrapped controller's identity. */
  readonly identity: PciIdentity;
  /** Actions that fired, in order, as text (for failure messages). */
  readonly fired: string[] = [];
  /**
   * Completions rewritten to an error with DNR, as `sqid:cid` → count not yet matched: the
   * driver must report each of those commands as failed (DNR forbids a retry).
   */
  readonly dnrErrors: Map<string, number> = new Map();
  /** CSTS.CFS is being reported and the device is mute. */
  fatal = false;
  readonly #ctrl: NvmeController;
  readonly #actions: HostileAction[];
  #port!: DevicePort;
  #cqes = 0;
  #doorbells = 0;
  /** The CQE being posted gets this status word (set by the first half of the post). */
  #statusFor: { addr: number; status: number; dnr: boolean } | null = null;
  #queued: PendingDoorbell[] = [];
  #flushTimer: EventHandle | null = null;

  /** Wraps `ctrl` with the scripted `actions`. */
  constructor(ctrl: NvmeController, actions: readonly HostileAction[]) {
    this.#ctrl = ctrl;
    this.identity = ctrl.identity;
    this.#actions = [...actions];
  }

  /** Called by the machine. */
  attach(port: DevicePort): void {
    this.#port = port;
    this.#ctrl.attach(new HostilePort(port, this));
  }

  /** CSTS reads CFS while fatal. */
  mmioRead(offset: number, size: 4 | 8): number {
    const v = this.#ctrl.mmioRead(offset, size);
    return offset === RegisterOffset.CSTS && this.fatal ? (v | CSTS_CFS) >>> 0 : v;
  }

  /** Doorbells may be delayed, dropped or lost to a fatal device; CC.EN = 0 recovers it. */
  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (offset === RegisterOffset.CC) {
      const enabled = (this.#ctrl.mmioRead(RegisterOffset.CC, 4) & CC_EN) !== 0;
      if (enabled && (value & CC_EN) === 0) {
        // A controller reset: the fatal condition and any queued doorbells are gone.
        this.fatal = false;
        this.#dropQueued();
      }
      this.#ctrl.mmioWrite(offset, size, value);
      return;
    }
    const db = decodeDoorbell(offset, this.#ctrl.options.dstrd);
    // Queues with shadow doorbells are left alone: the controller may already have read a newer
    // value from the shadow buffer, so a late MMIO value would move the tail backwards — a
    // device-side artifact, not driver behaviour to judge.
    if (db === null || db.qid === 0 || this.#ctrl.shadow.applies(db.qid)) {
      this.#ctrl.mmioWrite(offset, size, value);
      return;
    }
    if (this.fatal) return;
    const n = this.#doorbells++;
    const act = this.#take(n, "drop-doorbell", "delay-doorbell");
    const which = `${db.isCq ? "CQ" : "SQ"} ${db.qid} doorbell write #${n} (value ${value})`;
    if (act?.kind === "drop-doorbell") {
      this.fired.push(`dropped ${which}`);
      return;
    }
    if (act?.kind === "delay-doorbell") {
      this.fired.push(`delayed ${which} by ${act.ns} ns`);
      this.#queued.push({ offset, size, value });
      if (this.#flushTimer === null) this.#flushTimer = this.#port.schedule(act.ns, this.#flush);
      return;
    }
    if (this.#queued.length > 0) this.#queued.push({ offset, size, value });
    else this.#ctrl.mmioWrite(offset, size, value);
  }

  /** Drops every action not yet fired: from now on the device behaves. */
  disarm(): void {
    this.#actions.length = 0;
  }

  /** FLR or power loss: the device is itself again. */
  reset(kind: ResetKind): void {
    this.fatal = false;
    this.#dropQueued();
    this.#statusFor = null;
    this.#ctrl.reset(kind);
  }

  #flush = () => {
    this.#flushTimer = null;
    const queued = this.#queued;
    this.#queued = [];
    for (const d of queued) this.#ctrl.mmioWrite(d.offset, d.size, d.value);
  };

  #dropQueued(): void {
    if (this.#flushTimer !== null) this.#port.cancel(this.#flushTimer);
    this.#flushTimer = null;
    this.#queued = [];
  }

  /** The first untaken action of one of `kinds` for ordinal `n`, removed from the script. */
  #take(n: number, ...kinds: HostileAction["kind"][]): HostileAction | undefined {
    const i = this.#actions.findIndex((a) => a.at === n && kinds.includes(a.kind));
    return i < 0 ? undefined : this.#actions.splice(i, 1)[0];
  }

  /** True when `addr` is the start of a slot of an I/O CQ. */
  #ioCqSlot(addr: number): boolean {
    const cqs = this.#ctrl.cqs;
    for (let q = 1; q < cqs.length; q++) {
      const cq = cqs[q];
      if (cq && addr >= cq.base && addr < cq.base + cq.size * CQE_SIZE) {
        return (addr - cq.base) % CQE_SIZE === 0;
      }
    }
    return false;
  }

  /**
   * A DMA write from the controller: a CQE — posted whole, or as its first 14 bytes and then the
   * status word — is rewritten here; a fatal device writes nothing. Returns false to swallow the
   * write (reported to the controller as done).
   */
  interceptDmaWrite(addr: number, src: Uint8Array, off: number, len: number): boolean {
    if (this.fatal) return false;
    if ((len === CQE_STATUS || len === CQE_SIZE) && this.#ioCqSlot(addr)) {
      const n = this.#cqes++;
      const act = this.#take(n, "unknown-cid", "error-status", "cfs");
      if (!act) return true;
      const view = new DataView(src.buffer, src.byteOffset + off, len);
      const sqid = view.getUint16(CQE_SQID, true);
      const cid = view.getUint16(CQE_CID, true);
      if (act.kind === "cfs") {
        this.fired.push(`controller fatal at I/O completion #${n} (SQ ${sqid} CID ${cid})`);
        this.fatal = true;
        return false;
      }
      if (act.kind === "unknown-cid") {
        const bogus = this.#unknownCid(sqid, cid);
        view.setUint16(CQE_CID, bogus, true);
        this.fired.push(
          `I/O completion #${n}: CID ${cid} replaced by unknown CID ${bogus} (SQ ${sqid})`,
        );
        return true;
      }
      if (act.kind !== "error-status") return true;
      this.fired.push(
        `I/O completion #${n} (SQ ${sqid} CID ${cid}): status 0x${act.status.toString(16)}` +
          (act.dnr ? " with DNR" : ""),
      );
      if (act.dnr) {
        const key = `${sqid}:${cid}`;
        this.dnrErrors.set(key, (this.dnrErrors.get(key) ?? 0) + 1);
      }
      const status = { addr: addr + CQE_STATUS, status: act.status, dnr: act.dnr };
      if (len === CQE_SIZE) this.#rewriteStatus(status, src, off + CQE_STATUS);
      else this.#statusFor = status;
      return true;
    }
    if (this.#statusFor && addr === this.#statusFor.addr && len === 2) {
      const status = this.#statusFor;
      this.#statusFor = null;
      this.#rewriteStatus(status, src, off);
    }
    return true;
  }

  /** Replaces the status word at `src[at]` by `s`, keeping its phase tag. */
  #rewriteStatus(s: { status: number; dnr: boolean }, src: Uint8Array, at: number): void {
    const word = (s.status << 1) | (src[at] & STATUS_PHASE) | (s.dnr ? STATUS_DNR : 0);
    src[at] = word & 0xff;
    src[at + 1] = word >>> 8;
  }

  /** A CID not outstanding on SQ `sqid` and different from `cid`. */
  #unknownCid(sqid: number, cid: number): number {
    const outstanding = this.#ctrl.sqs[sqid]?.outstanding;
    for (let k = 1; k < CID_SPACE; k++) {
      const c = (cid + CID_SPACE / 2 + k) % CID_SPACE;
      if (c !== cid && !outstanding?.has(c)) return c;
    }
    return cid ^ 1;
  }

  /** Interrupts are lost while fatal. */
  interceptInterrupt(): boolean {
    return !this.fatal;
  }
}

/**
 * The controller's view of the machine, through the hostile device: DMA writes (CQEs among them)
 * and interrupts go through the device's interceptors. Like its base it has no word fast paths,
 * so every SQE fetch and CQE post is a `dmaRead`/`dmaWrite` the device can see.
 */
class HostilePort extends ForwardingDevicePort {
  constructor(inner: DevicePort, readonly device: HostileDevice) {
    super(inner);
  }
  override dmaWrite(
    addr: number,
    src: Uint8Array,
    srcOffset = 0,
    length = src.length - srcOffset,
  ): boolean {
    if (!this.device.interceptDmaWrite(addr, src, srcOffset, length)) return true;
    return this.inner.dmaWrite(addr, src, srcOffset, length);
  }
  override dmaWriteU32(addr: number, value: number): boolean {
    return this.device.fatal ? true : this.inner.dmaWriteU32(addr, value);
  }
  override dmaWriteU64(addr: number, value: number): boolean {
    return this.device.fatal ? true : this.inner.dmaWriteU64(addr, value);
  }
  override msixNotify(vector: number): void {
    if (this.device.interceptInterrupt()) this.inner.msixNotify(vector);
  }
  override setIntx(level: boolean): void {
    if (this.device.interceptInterrupt() || !level) this.inner.setIntx(level);
  }
}
