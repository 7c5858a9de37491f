// A tiny NvmeFunction for platform tests. Registers (BAR0):
//   0x00 ID      (RO, 32)      0x08 SRC (64)     0x10 DST (64)     0x18 LEN (32)
//   0x1C GO      (WO, 32 only): schedules a DMA copy SRC→DST of LEN bytes after LATENCY_NS,
//                then signals MSI-X vector (value & 3) when MSI-X is enabled, else raises INTx.
//   0x20 INTXACK (WO, 32): lowers INTx.      0x24 DONE (RO, 32): copies completed.
//   0x1000+      doorbells: recorded, traced as QEMU doorbell events.
import { decodeDoorbell, DOORBELL_BASE } from "../spec/doorbell.ts";
import { PLATFORM_RULES } from "./findings.ts";
import { nvmeIdentity, type PciIdentity } from "./identity.ts";
import type { DevicePort, NvmeFunction, ResetKind } from "./ports.ts";

export const TOY_ID = 0x70790001;
export const REG = {
  ID: 0x00,
  SRC: 0x08,
  DST: 0x10,
  LEN: 0x18,
  GO: 0x1c,
  INTXACK: 0x20,
  DONE: 0x24,
};
export const LATENCY_NS = 1_000;

export interface MmioCall {
  write: boolean;
  offset: number;
  size: 4 | 8;
  value: number;
}

export class ToyDevice implements NvmeFunction {
  readonly identity: PciIdentity;
  port!: DevicePort;
  readonly calls: MmioCall[] = [];
  readonly doorbells: { qid: number; isCq: boolean; value: number }[] = [];
  readonly resets: ResetKind[] = [];
  workRan = 0;
  done = 0;
  #regs = new Uint32Array(16);
  #buf = new Uint8Array(4096);

  constructor(identity: Partial<PciIdentity> = {}) {
    this.identity = nvmeIdentity({ msixVectors: 4, ...identity });
  }

  attach(port: DevicePort): void {
    this.port = port;
  }

  mmioRead(offset: number, size: 4 | 8): number {
    this.calls.push({ write: false, offset, size, value: 0 });
    if (offset === REG.ID) return TOY_ID;
    if (offset === REG.DONE) return this.done;
    if (offset < 0x40) return this.#regs[offset >>> 2];
    return 0;
  }

  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    this.calls.push({ write: true, offset, size, value });
    if (offset >= DOORBELL_BASE) {
      const db = decodeDoorbell(offset, this.identity.dstrd);
      if (db === null) return;
      this.doorbells.push({ ...db, value });
      const t = this.port.trace;
      if (t.enabled) {
        t.emit(
          db.isCq
            ? { type: "mmio_doorbell_cq", cqid: db.qid, new_head: value }
            : { type: "mmio_doorbell_sq", sqid: db.qid, new_tail: value },
        );
      }
      return;
    }
    if (offset === REG.GO) {
      if (size === 8) {
        this.port.findings.report(PLATFORM_RULES.mmioWidth, "64-bit access to 32-bit GO", 0);
        return;
      }
      this.port.schedule(LATENCY_NS, (vector: number) => this.#copy(vector), value & 3);
      return;
    }
    if (offset === REG.INTXACK) {
      this.port.setIntx(false);
      return;
    }
    if (offset < 0x40) this.#regs[offset >>> 2] = value;
  }

  reset(kind: ResetKind): void {
    this.resets.push(kind);
    this.#regs.fill(0);
  }

  #copy(vector: number): void {
    this.workRan++;
    const r = this.#regs;
    const src = r[REG.SRC >>> 2] + r[(REG.SRC >>> 2) + 1] * 2 ** 32;
    const dst = r[REG.DST >>> 2] + r[(REG.DST >>> 2) + 1] * 2 ** 32;
    const len = r[REG.LEN >>> 2];
    const p = this.port;
    if (p.trace.enabled) p.trace.emit({ type: "map_addr", addr: src, len });
    if (p.dmaRead(src, this.#buf, 0, len)) p.dmaWrite(dst, this.#buf, 0, len);
    this.done++;
    if (p.msixEnabled) p.msixNotify(vector);
    else p.setIntx(true);
  }
}
