/**
 * Shadow doorbell helpers (Doorbell Buffer Config, Base 2.1 §5.2.5): the buffers, the command, and
 * a {@linkcode RawQueue} that writes every new SQ tail / CQ head to its Shadow Doorbell slot and
 * rings the MMIO doorbell either always or only when the EventIdx rule (`need_event`) asks for it.
 *
 * @module
 */

import { DoorbellBufferConfig } from "../../spec/admin_commands.ts";
import { needEventLinux } from "../../spec/doorbell.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import type { HostPort } from "../../platform/ports.ts";
import { type Completion, type RawController, RawQueue } from "../raw_host.ts";
import { PAGE_4K } from "./_io_common.ts";

/** Doorbell values are 16 bits in 32-bit slots. */
const VALUE_MASK = 0xffff;

/** Byte offset of queue `qid`'s slot in the Shadow Doorbell and EventIdx buffers. */
export function shadowSlot(qid: number, isCq: boolean, dstrd: number): number {
  return (2 * qid + (isCq ? 1 : 0)) * (4 << dstrd);
}

/** The two buffers, one zeroed memory page each. */
export interface ShadowBuffers {
  /** Shadow Doorbell buffer (PRP1). */
  readonly dbs: number;
  /** EventIdx buffer (PRP2). */
  readonly eis: number;
}

/** Allocates two zeroed, page-aligned buffers. */
export function shadowBuffers(host: HostPort, pageSize = PAGE_4K): ShadowBuffers {
  const dbs = host.allocate(pageSize, pageSize);
  const eis = host.allocate(pageSize, pageSize);
  host.memFill(dbs, pageSize, 0);
  host.memFill(eis, pageSize, 0);
  return { dbs, eis };
}

/** Sends Doorbell Buffer Config with PRP1 = `dbs`, PRP2 = `eis`. */
export function doorbellBufferConfig(ctrl: RawController, dbs: number, eis: number): Completion {
  return ctrl.adminExec(
    DoorbellBufferConfig.encode({
      opcode: AdminOpcode.DOORBELL_BUFFER_CONFIG,
      prp1: dbs,
      prp2: eis,
    }),
  );
}

/** When a {@linkcode ShadowQueue} writes the MMIO doorbell. */
export type MmioPolicy = "always" | "need-event";

/** A queue that updates its shadow slots, ringing MMIO per `policy`. */
export class ShadowQueue extends RawQueue {
  /** MMIO doorbell writes this queue made. */
  mmioWrites = 0;
  /** Doorbell updates (shadow writes) this queue made. */
  updates = 0;
  #sqShadow: number;
  #cqShadow: number;

  /** Takes over `base` (its memory, tail, head and phase) with the given buffers and policy. */
  constructor(base: RawQueue, readonly buffers: ShadowBuffers, public policy: MmioPolicy) {
    super(base.host, base.qid, base.sq, base.cq, base.sqSize, base.cqSize, base.dstrd);
    this.sqTail = base.sqTail;
    this.cqHead = base.cqHead;
    this.phase = base.phase;
    this.#sqShadow = base.sqTail;
    this.#cqShadow = base.cqHead;
    this.host.memWriteU32(this.#slot(this.buffers.dbs, false), base.sqTail);
    this.host.memWriteU32(this.#slot(this.buffers.dbs, true), base.cqHead);
  }

  #slot(buffer: number, isCq: boolean): number {
    return buffer + shadowSlot(this.qid, isCq, this.dstrd);
  }

  /** The EventIdx the controller published for this queue's SQ or CQ. */
  eventIdx(isCq: boolean): number {
    return this.host.memReadU32(this.#slot(this.buffers.eis, isCq)) & VALUE_MASK;
  }

  #update(isCq: boolean, value: number, old: number): boolean {
    this.host.memWriteU32(this.#slot(this.buffers.dbs, isCq), value);
    this.updates++;
    // The EventIdx is read after the shadow write (Linux puts a full barrier between them).
    const ring = this.policy === "always" || needEventLinux(this.eventIdx(isCq), value, old);
    if (ring) this.mmioWrites++;
    return ring;
  }

  /** Writes the new tail to the shadow slot, then MMIO per the policy. */
  override ring(value: number = this.sqTail): void {
    const old = this.#sqShadow;
    this.#sqShadow = value;
    if (this.#update(false, value, old)) super.ring(value);
  }

  /** Writes the new head to the shadow slot, then MMIO per the policy. */
  override release(value: number = this.cqHead): void {
    const old = this.#cqShadow;
    this.#cqShadow = value;
    if (this.#update(true, value, old)) super.release(value);
  }
}

/**
 * Sends Doorbell Buffer Config for fresh buffers with the admin queue already shadowed (a
 * conforming host keeps every queue's shadow slot current once the buffers exist; MMIO is rung
 * too). Returns the buffers and the command's completion for the case to check.
 */
export function enableShadow(ctrl: RawController): { buffers: ShadowBuffers; c: Completion } {
  const buffers = shadowBuffers(ctrl.host);
  ctrl.admin = new ShadowQueue(ctrl.admin, buffers, "always");
  // The slot already holds the tail this submission will produce, so the controller sees the
  // same value in the shadow slot and the MMIO doorbell.
  const sq = ctrl.admin.sqTail;
  ctrl.host.memWriteU32(
    buffers.dbs + shadowSlot(0, false, ctrl.admin.dstrd),
    (sq + 1) % ctrl.admin.sqSize,
  );
  const c = doorbellBufferConfig(ctrl, buffers.dbs, buffers.eis);
  return { buffers, c };
}
