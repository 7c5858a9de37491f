/**
 * Conformance cases: register access rules and timeouts (Base 2.1 §3.1.4) — 64-bit registers read
 * as two dwords, INTMS/INTMC with pin-based interrupts, CRTO against CAP.TO and CAP.CRMS.
 *
 * @module
 */

import { CRTO, decodeRegister, RegisterOffset as R } from "../../spec/registers.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";

/** VS 2.0.0: CRTO and CAP.CRMS.CRWMS are mandatory from this version (Base 2.1 §3.1.4.21). */
const VS_2_0 = 0x00020000;
/** CAP.TO and CRTO are in 500 ms units; CAP.TO tops out at FFh (Base 2.1 §3.1.4.1). */
const CAP_TO_MAX = 0xff;
/** Bit 0 of INTMS/INTMC: the only vector of pin-based interrupts. */
const VECTOR_0 = 1;
const DWORD = 4;

/** Reads CRTO decoded. */
function crto(ctx: CaseContext) {
  return decodeRegister(CRTO, ctx.host.read32(R.CRTO));
}

/** Switches the function to pin-based interrupts: INTMS/INTMC are defined only without MSI-X. */
function usePinInterrupts(ctx: CaseContext): void {
  if (ctx.host.setupInterrupts("intx") === 0) ctx.skip("the function offers no INTx pin");
}

/** The register access cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "registers.width.cap-dwords",
    title: "CAP read as one qword equals its two dwords (low at 00h, high at 04h)",
    section: "Base 2.1 §3.1.4",
    run(ctx: CaseContext) {
      const q = ctx.host.read64(R.CAP);
      const lo = ctx.host.read32(R.CAP), hi = ctx.host.read32(R.CAP + DWORD);
      const d = (BigInt(hi) << 32n) | BigInt(lo);
      ctx.check(q === d, `CAP qword 0x${q.toString(16)} ≠ dwords 0x${d.toString(16)}`);
    },
  },
  {
    id: "registers.width.cc-dword",
    title: "CC, CSTS and AQA read the same through repeated dword reads (no read side effects)",
    section: "Base 2.1 §3.1.4",
    run(ctx: CaseContext) {
      ctx.host.write32(R.AQA, (31 << 16) | 31);
      for (const off of [R.CC, R.CSTS, R.AQA, R.VS]) {
        const a = ctx.host.read32(off), b = ctx.host.read32(off);
        ctx.check(a === b, `0x${off.toString(16)} read 0x${a.toString(16)} then 0x${b}`);
      }
    },
  },
  {
    id: "registers.intms.reset-value",
    title: "INTMS and INTMC read 0 (nothing masked) after power-on, pin-based interrupts",
    section: "Base 2.1 §3.1.4.3",
    run(ctx: CaseContext) {
      usePinInterrupts(ctx);
      const s = ctx.host.read32(R.INTMS), c = ctx.host.read32(R.INTMC);
      ctx.check(s === 0 && c === 0, `INTMS 0x${s.toString(16)}, INTMC 0x${c.toString(16)}`);
    },
  },
  {
    id: "registers.intms.set-mask",
    title: "Writing 1 to INTMS bit 0 masks vector 0; INTMS and INTMC both read the mask",
    section: "Base 2.1 §3.1.4.3",
    run(ctx: CaseContext) {
      usePinInterrupts(ctx);
      ctx.host.write32(R.INTMS, VECTOR_0);
      const s = ctx.host.read32(R.INTMS), c = ctx.host.read32(R.INTMC);
      ctx.check((s & VECTOR_0) !== 0, `INTMS reads 0x${s.toString(16)} after setting bit 0`);
      ctx.check((c & VECTOR_0) !== 0, `INTMC reads 0x${c.toString(16)}: it returns the mask too`);
      ctx.host.write32(R.INTMS, 0);
      const s2 = ctx.host.read32(R.INTMS);
      ctx.check((s2 & VECTOR_0) !== 0, "writing 0 to INTMS cleared the mask (0 has no effect)");
    },
  },
  {
    id: "registers.intmc.clear-mask",
    title: "Writing 1 to INTMC bit 0 unmasks vector 0; writing 0 has no effect",
    section: "Base 2.1 §3.1.4.4",
    run(ctx: CaseContext) {
      usePinInterrupts(ctx);
      ctx.host.write32(R.INTMS, VECTOR_0);
      ctx.host.write32(R.INTMC, 0);
      ctx.check(
        (ctx.host.read32(R.INTMS) & VECTOR_0) !== 0,
        "writing 0 to INTMC cleared the mask (0 has no effect)",
      );
      ctx.host.write32(R.INTMC, VECTOR_0);
      const s = ctx.host.read32(R.INTMS), c = ctx.host.read32(R.INTMC);
      ctx.check((s & VECTOR_0) === 0, `INTMS reads 0x${s.toString(16)} after INTMC cleared bit 0`);
      ctx.check((c & VECTOR_0) === 0, `INTMC reads 0x${c.toString(16)} after clearing bit 0`);
    },
  },
  {
    id: "registers.crto.crwms-v2",
    title: "A VS ≥ 2.0 controller sets CAP.CRMS.CRWMS (CRTO implemented)",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const vs = ctx.host.read32(R.VS);
      if (vs < VS_2_0) ctx.skip(`VS 0x${vs.toString(16)} < 2.0: CRMS and CRTO are optional`);
      ctx.check(ctx.ctrl.cap.crwms === 1, "CAP.CRMS.CRWMS = 0 on a VS ≥ 2.0 controller");
    },
  },
  {
    id: "registers.crto.crwmt-ge-crimt",
    title: "CRTO.CRWMT ≥ CRTO.CRIMT, and CRIMT = 0 unless CAP.CRMS.CRIMS",
    section: "Base 2.1 §3.1.4.21",
    needs: ["crms"],
    run(ctx: CaseContext) {
      const { crwmt, crimt } = crto(ctx);
      ctx.note(`CRTO.CRWMT ${crwmt}, CRTO.CRIMT ${crimt} (500 ms units)`);
      ctx.check(crwmt >= crimt, `CRTO.CRWMT ${crwmt} < CRTO.CRIMT ${crimt}`);
      if (!ctx.ctrl.cap.crims) ctx.check(crimt === 0, `CRIMT ${crimt} with CAP.CRMS.CRIMS = 0`);
    },
  },
  {
    id: "registers.crto.timeout-covers-crwmt",
    title: "CAP.TO covers the ready-with-media time: TO ≥ min(CRTO.CRWMT, FFh)",
    section: "Base 2.1 §3.1.4.1",
    needs: ["crms"],
    run(ctx: CaseContext) {
      const { crwmt } = crto(ctx);
      const to = ctx.ctrl.cap.to;
      const need = Math.min(crwmt, CAP_TO_MAX);
      ctx.check(to >= need, `CAP.TO ${to} < min(CRTO.CRWMT ${crwmt}, FFh) = ${need}`);
    },
  },
  {
    id: "registers.crto.read-only",
    title: "CRTO does not change when written",
    section: "Base 2.1 §3.1.4.21",
    needs: ["crms"],
    run(ctx: CaseContext) {
      const before = ctx.host.read32(R.CRTO);
      ctx.host.write32(R.CRTO, ~before >>> 0);
      const after = ctx.host.read32(R.CRTO);
      ctx.check(after === before, `CRTO 0x${before.toString(16)} → 0x${after.toString(16)}`);
    },
  },
]);
