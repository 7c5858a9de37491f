/**
 * Conformance cases: controller registers (Base 2.1 §3.1.4) — CAP field rules, VS, the reset
 * values of CC and CSTS, read-only registers, reserved registers and bits, and the admin queue
 * registers reading back what the host wrote. CRTO, access widths and INTMS/INTMC are in
 * `registers_access.ts`.
 *
 * @module
 */

import { CQE_SIZE_SHIFT } from "../../spec/cqe.ts";
import { cqHeadDoorbell, DOORBELL_BASE } from "../../spec/doorbell.ts";
import { CapCssBit, CC, decodeRegister, RegisterOffset as R, VS } from "../../spec/registers.ts";
import { SQE_SIZE_SHIFT } from "../../spec/sqe.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  ADMIN_BASE_RESERVED_MASK,
  bar0Size,
  CAP_CSS_ADMIN_ONLY_BIT,
  ccValue,
  msixRangesInBar0,
  readCsts,
} from "./_regs_util.ts";

/** CAP bits 23:19 and 63:62 are reserved (Base 2.1 §3.1.4.1). */
const CAP_RESERVED_MASK = (0x1fn << 19n) | (0x3n << 62n);
/** VS 1.2.0: the first version whose Identify VER field must equal VS (Base 2.1 §5.1.13). */
const VS_1_2 = 0x00010200;
/** The highest minor version of each released major version (1.4, 2.x open-ended). */
const LAST_MINOR_OF_MAJOR_1 = 4;
/** Reserved register ranges [start, end) of the memory-based controller map (Figure 33). */
const RESERVED_RANGES: readonly (readonly [number, number])[] = [[0x18, 0x1c], [0x6c, 0xe00], [
  0xe1c,
  0x1000,
]];
/** Registers of optional features, by the CAP bit that says the feature is there. */
const OPTIONAL_REGISTERS = {
  cmbs: [R.CMBLOC, R.CMBSZ, R.CMBMSC, R.CMBMSC + 4, R.CMBSTS, R.CMBEBS, R.CMBSWTP],
  bps: [R.BPINFO, R.BPRSEL, R.BPMBL, R.BPMBL + 4],
  pmrs: [R.PMRCAP, R.PMRCTL, R.PMRSTS, R.PMREBS, R.PMRSWTP, R.PMRMSCL, R.PMRMSCU],
  nsss: [R.NSSD],
} as const;
/** AQA bits 31:28 and 15:12 are reserved (Base 2.1 §3.1.4.8). */
const AQA_RESERVED_MASK = 0xf000f000;
/** CSTS bits RDY, CFS, SHST and PP: everything defined except NSSRO (RW1C, bit 4). */
const CSTS_NON_RW1C_BITS = 0b10_1111;
/** A memory page of the smallest size (4 KiB), for admin queue bases. */
const PAGE = 4096;
const DWORD = 4;

/** The registers cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "registers.cap.mqes-minimum",
    title: "CAP.MQES is at least 1 (two-entry queues)",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const mqes = ctx.ctrl.cap.mqes;
      ctx.check(mqes >= 1, `CAP.MQES = ${mqes}; the minimum value is 1h (two entries)`);
    },
  },
  {
    id: "registers.cap.css-command-set",
    title: "CAP.CSS advertises the NVM Command Set (bit 0) or I/O Command Sets (bit 6)",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const css = ctx.ctrl.cap.css;
      const io = (css & ((1 << CapCssBit.NVM) | (1 << CapCssBit.IO_COMMAND_SETS))) !== 0;
      if (!io && (css & (1 << CAP_CSS_ADMIN_ONLY_BIT))) {
        ctx.skip("CAP.CSS has only bit 7: an administrative (no I/O command set) controller");
      }
      ctx.check(io, `CAP.CSS = 0x${css.toString(16)}: neither bit 0 nor bit 6 is set`);
    },
  },
  {
    id: "registers.cap.mps-range",
    title: "CAP.MPSMIN ≤ CAP.MPSMAX",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const { mpsmin, mpsmax } = ctx.ctrl.cap;
      ctx.check(mpsmin <= mpsmax, `CAP.MPSMIN ${mpsmin} > CAP.MPSMAX ${mpsmax}`);
    },
  },
  {
    id: "registers.cap.timeout-nonzero",
    title: "CAP.TO reports a ready timeout (not 0)",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      ctx.check(ctx.ctrl.cap.to !== 0, "CAP.TO = 0: no worst-case time for CSTS.RDY to change");
    },
  },
  {
    id: "registers.cap.reserved-zero",
    title: "CAP reserved bits 23:19 and 63:62 read 0",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const cap = ctx.host.read64(R.CAP);
      const bad = cap & CAP_RESERVED_MASK;
      ctx.check(bad === 0n, `CAP = 0x${cap.toString(16)}: reserved bits 0x${bad.toString(16)}`);
    },
  },
  {
    id: "registers.cap.nvm-subsystem-bits",
    title: "CAP.NSSS needs CAP.NSSRS, and CAP.NSES needs both",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const { nssrs, nsss, nsses } = ctx.ctrl.cap;
      ctx.check(!(nsss && !nssrs), "CAP.NSSS = 1 with CAP.NSSRS = 0");
      ctx.check(!(nsses && !(nssrs && nsss)), "CAP.NSES = 1 without CAP.NSSRS and CAP.NSSS");
    },
  },
  {
    id: "registers.cap.doorbells-fit-bar",
    title: "With CAP.DSTRD, the doorbells of every granted queue lie in BAR0, clear of MSI-X",
    section: "Base 2.1 §3.1.4.1",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      const size = bar0Size(ctx.host);
      const last = ctx.caps.ioQueuePairs;
      const end = cqHeadDoorbell(last, ctx.ctrl.dstrd) + DWORD;
      ctx.note(`BAR0 0x${size.toString(16)} bytes, doorbells up to 0x${end.toString(16)}`);
      ctx.check(end <= size, `CQ ${last} head doorbell ends at 0x${end.toString(16)} > BAR0`);
      for (const [start, stop] of msixRangesInBar0(ctx.host)) {
        ctx.check(
          end <= start || stop <= DOORBELL_BASE,
          `doorbells 0x1000..0x${end.toString(16)} overlap MSI-X at 0x${start.toString(16)}`,
        );
      }
    },
  },
  {
    id: "registers.cap.read-only",
    title: "Writes to CAP and VS do not change them",
    section: "Base 2.1 §3.1.4.1",
    run(ctx: CaseContext) {
      const h = ctx.host;
      const cap = h.read64(R.CAP), vs = h.read32(R.VS);
      for (const off of [R.CAP, R.CAP + 4, R.VS]) h.write32(off, ~h.read32(off) >>> 0);
      ctx.check(h.read64(R.CAP) === cap, `CAP changed to 0x${h.read64(R.CAP).toString(16)}`);
      ctx.check(h.read32(R.VS) === vs, `VS changed to 0x${h.read32(R.VS).toString(16)}`);
    },
  },
  {
    id: "registers.vs.format",
    title: "VS reports a released specification version (1.0 … 1.4, 2.0 or later)",
    section: "Base 2.1 §3.1.4.2",
    run(ctx: CaseContext) {
      const raw = ctx.host.read32(R.VS);
      const { mjr, mnr } = decodeRegister(VS, raw);
      ctx.note(`VS 0x${raw.toString(16).padStart(8, "0")}`);
      ctx.check(mjr >= 1, `VS major ${mjr} < 1`);
      ctx.check(
        mjr !== 1 || mnr <= LAST_MINOR_OF_MAJOR_1,
        `VS 1.${mnr}: no such NVMe 1.x release (last is 1.4)`,
      );
    },
  },
  {
    id: "registers.vs.identify-ver",
    title: "Identify Controller VER equals VS (VS ≥ 1.2)",
    section: "Base 2.1 §5.1.13",
    needs: ["identify"],
    run(ctx: CaseContext) {
      const vs = ctx.host.read32(R.VS);
      if (vs < VS_1_2) ctx.skip(`VS 0x${vs.toString(16)} < 1.2: VER may be 0`);
      ctx.ctrl.enable();
      const ver = ctx.ctrl.identifyController().ver >>> 0;
      ctx.check(ver === vs, `Identify VER 0x${ver.toString(16)} ≠ VS 0x${vs.toString(16)}`);
    },
  },
  {
    id: "registers.cc.reset-value",
    title: "CC reads 0 after power-on",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      const cc = ctx.host.read32(R.CC);
      ctx.check(cc === 0, `CC = 0x${cc.toString(16)} at power-on, expected 0`);
    },
  },
  {
    id: "registers.csts.reset-value",
    title: "CSTS reads RDY = 0, CFS = 0, SHST = 00b, PP = 0 after power-on",
    section: "Base 2.1 §3.1.4.6",
    run(ctx: CaseContext) {
      const csts = readCsts(ctx.host);
      ctx.check(csts.rdy === 0, "CSTS.RDY = 1 with CC.EN = 0 at power-on");
      ctx.check(csts.cfs === 0, "CSTS.CFS = 1 at power-on");
      ctx.check(csts.shst === 0, `CSTS.SHST = ${csts.shst} at power-on, expected 00b`);
      ctx.check(csts.pp === 0, "CSTS.PP = 1 at power-on");
    },
  },
  {
    id: "registers.csts.read-only",
    title: "Writing RDY, CFS, SHST and PP into CSTS does not change them",
    section: "Base 2.1 §3.1.4.6",
    run(ctx: CaseContext) {
      const before = ctx.host.read32(R.CSTS);
      ctx.host.write32(R.CSTS, CSTS_NON_RW1C_BITS);
      const after = ctx.host.read32(R.CSTS);
      ctx.check(
        after === before,
        `CSTS 0x${before.toString(16)} became 0x${after.toString(16)} after a host write`,
      );
    },
  },
  {
    id: "registers.cc.readback",
    title: "CC reads back the configuration fields written while disabled",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      const cap = ctx.ctrl.cap;
      // EN = 0 with the fields a driver programs before enabling.
      const cc = ccValue({ iocqes: CQE_SIZE_SHIFT, iosqes: SQE_SIZE_SHIFT, mps: cap.mpsmin });
      ctx.host.write32(R.CC, cc);
      const got = ctx.host.read32(R.CC);
      ctx.check(got === cc, `CC wrote 0x${cc.toString(16)}, read 0x${got.toString(16)}`);
      ctx.check(readCsts(ctx.host).rdy === 0, "CSTS.RDY = 1 while CC.EN = 0");
    },
  },
  {
    id: "registers.cc.crime-read-only",
    title: "CC.CRIME stays 0 when CAP.CRMS is not 11b",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      const { crwms, crims } = ctx.ctrl.cap;
      if (crwms && crims) ctx.skip("CAP.CRMS = 11b: CC.CRIME is read/write");
      ctx.host.write32(R.CC, ccValue({ crime: 1 }));
      const cc = ctx.host.read32(R.CC);
      ctx.check(decodeRegister(CC, cc).crime === 0, `CC.CRIME reads 1 (CC 0x${cc.toString(16)})`);
    },
  },
  {
    id: "registers.aqa.readback",
    title: "AQA reads back the admin queue sizes written",
    section: "Base 2.1 §3.1.4.8",
    run(ctx: CaseContext) {
      const aqa = (0x0ff << 16) | 0x07f;
      ctx.host.write32(R.AQA, aqa);
      const got = ctx.host.read32(R.AQA);
      ctx.check(got === aqa, `AQA wrote 0x${aqa.toString(16)}, read 0x${got.toString(16)}`);
    },
  },
  {
    id: "registers.aqa.reserved-zero",
    title: "AQA reserved bits 31:28 and 15:12 read 0 even after a write of all ones",
    section: "Base 2.1 §3.1.4.8",
    run(ctx: CaseContext) {
      ctx.host.write32(R.AQA, 0xffffffff);
      const got = ctx.host.read32(R.AQA);
      const bad = (got & AQA_RESERVED_MASK) >>> 0;
      ctx.check(bad === 0, `AQA reads 0x${got.toString(16)}: reserved bits 0x${bad.toString(16)}`);
    },
  },
  ...(["ASQ", "ACQ"] as const).flatMap((name): ConformanceCase[] => {
    const off = R[name];
    const section = name === "ASQ" ? "Base 2.1 §3.1.4.9" : "Base 2.1 §3.1.4.10";
    const lower = name.toLowerCase();
    return [{
      id: `registers.${lower}.readback`,
      title: `${name} reads back a 64-bit page-aligned base above 4 GiB, as a qword and as dwords`,
      section,
      run(ctx: CaseContext) {
        const addr = ctx.host.allocate(PAGE, PAGE);
        ctx.host.write64(off, addr);
        const q = ctx.host.read64(off);
        ctx.check(q === BigInt(addr), `${name} wrote 0x${addr.toString(16)}, read 0x${q}`);
        const lo = ctx.host.read32(off), hi = ctx.host.read32(off + DWORD);
        const dwords = hi * 2 ** 32 + lo;
        ctx.check(dwords === addr, `${name} as dwords 0x${hi.toString(16)}:${lo.toString(16)}`);
      },
    }, {
      id: `registers.${lower}.reserved-low-bits`,
      title: `${name} bits 11:0 are reserved and read 0`,
      section,
      run(ctx: CaseContext) {
        const addr = ctx.host.allocate(PAGE, PAGE);
        ctx.host.write32(off + DWORD, Math.floor(addr / 2 ** 32));
        ctx.host.write32(off, (addr % 2 ** 32 + ADMIN_BASE_RESERVED_MASK) >>> 0);
        const lo = ctx.host.read32(off);
        ctx.check(
          (lo & ADMIN_BASE_RESERVED_MASK) === 0,
          `${name} low dword reads 0x${lo.toString(16)}`,
        );
      },
    }, {
      id: `registers.${lower}.dword-writes`,
      title: `${name} written as two dwords (low, high) reads back as one qword`,
      section,
      run(ctx: CaseContext) {
        const addr = ctx.host.allocate(PAGE, PAGE);
        ctx.host.write32(off, addr % 2 ** 32);
        ctx.host.write32(off + DWORD, Math.floor(addr / 2 ** 32));
        const q = ctx.host.read64(off);
        ctx.check(q === BigInt(addr), `${name} wrote 0x${addr.toString(16)}, read 0x${q}`);
      },
    }];
  }),
  {
    id: "registers.reserved.read-zero",
    title: "Reserved register ranges (18h, 6Ch–DFFh, E1Ch–FFFh) read 0",
    section: "Base 2.1 §3.1.4",
    run(ctx: CaseContext) {
      for (const [start, end] of RESERVED_RANGES) {
        for (let off = start; off < end; off += DWORD) {
          const v = ctx.host.read32(off);
          ctx.check(v === 0, `reserved register 0x${off.toString(16)} reads 0x${v.toString(16)}`);
        }
      }
    },
  },
  {
    id: "registers.reserved.unsupported-features",
    title: "Registers of features CAP says are absent (CMB, BP, PMR, NSSD) read 0",
    section: "Base 2.1 §3.1.4",
    run(ctx: CaseContext) {
      const cap = ctx.ctrl.cap;
      let checked = 0;
      for (const [bit, offsets] of Object.entries(OPTIONAL_REGISTERS)) {
        if (cap[bit as keyof typeof OPTIONAL_REGISTERS]) continue;
        for (const off of offsets) {
          const v = ctx.host.read32(off);
          ctx.check(v === 0, `0x${off.toString(16)} reads 0x${v.toString(16)} with CAP.${bit} = 0`);
          checked++;
        }
      }
      if (checked === 0) ctx.skip("CAP advertises CMB, Boot Partitions, PMR and NSSD");
    },
  },
  {
    id: "registers.nssr.reads-zero",
    title: "NSSR reads 0",
    section: "Base 2.1 §3.1.4.7",
    run(ctx: CaseContext) {
      const v = ctx.host.read32(R.NSSR);
      ctx.check(v === 0, `NSSR reads 0x${v.toString(16)}`);
    },
  },
]);
