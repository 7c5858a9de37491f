// Register offsets and bit positions checked against Base 2.1 §3.1.4 (independently of the
// tables' own arithmetic), and against real register values seen on QEMU 7.2.

import { assertEquals } from "@std/assert";
import {
  AQA,
  CAP,
  CC,
  ControllerRegisters,
  CRTO,
  CSTS,
  decodeRegister,
  encodeRegister,
  memoryPageSize,
  RegisterOffset,
  REGISTERS,
  timeoutUnitsToNs,
  VS,
} from "./registers.ts";
import { offsetOf } from "./struct.ts";

Deno.test("registers: map offsets (Base 2.1 §3.1.4)", () => {
  const expect: Record<string, number> = {
    cap: 0x00,
    vs: 0x08,
    intms: 0x0c,
    intmc: 0x10,
    cc: 0x14,
    csts: 0x1c,
    nssr: 0x20,
    aqa: 0x24,
    asq: 0x28,
    acq: 0x30,
    cmbloc: 0x38,
    cmbsz: 0x3c,
    bpinfo: 0x40,
    bprsel: 0x44,
    bpmbl: 0x48,
    cmbmsc: 0x50,
    cmbsts: 0x58,
    cmbebs: 0x5c,
    cmbswtp: 0x60,
    nssd: 0x64,
    crto: 0x68,
    pmrcap: 0xe00,
    pmrctl: 0xe04,
    pmrsts: 0xe08,
    pmrebs: 0xe0c,
    pmrswtp: 0xe10,
    pmrmscl: 0xe14,
    pmrmscu: 0xe18,
  };
  assertEquals(REGISTERS.length, Object.keys(expect).length);
  for (const r of REGISTERS) {
    assertEquals(r.offset, expect[r.name], r.name);
    assertEquals(offsetOf(ControllerRegisters, r.name), r.offset, r.name);
    assertEquals(RegisterOffset[r.name.toUpperCase() as keyof typeof RegisterOffset], r.offset);
    assertEquals(r.layout.size, r.size, r.name);
  }
  assertEquals(ControllerRegisters.size, 0x1000);
});

Deno.test("registers: CAP, VS and CSTS decode values QEMU 7.2 reports", () => {
  // CAP = 0x004018200f0107ff (reference/qemu-nvme.md §1).
  const cap = decodeRegister(CAP, 0x004018200f0107ffn);
  assertEquals(
    { mqes: cap.mqes, cqr: cap.cqr, ams: cap.ams, to: cap.to, dstrd: cap.dstrd, css: cap.css },
    { mqes: 0x7ff, cqr: 1, ams: 0, to: 0x0f, dstrd: 0, css: 0xc1 },
  );
  assertEquals([cap.mpsmin, cap.mpsmax, cap.nssrs, cap.cmbs, cap.pmrs], [0, 4, 0, 0, 0]);
  const vs = decodeRegister(VS, 0x00010400);
  assertEquals([vs.mjr, vs.mnr, vs.ter], [1, 4, 0]);
  const csts = decodeRegister(CSTS, 0x9);
  assertEquals([csts.rdy, csts.cfs, csts.shst], [1, 0, 2]);
});

Deno.test("registers: CC values Linux writes (reference/linux-driver.md §2.5)", () => {
  // First write 0x00460000: IOSQES=6, IOCQES=4, everything else 0. Second adds EN.
  assertEquals(Number(encodeRegister(CC, { iosqes: 6, iocqes: 4 })), 0x00460000);
  assertEquals(Number(encodeRegister(CC, { iosqes: 6, iocqes: 4, css: 6, en: 1 })), 0x00460061);
  const cc = decodeRegister(CC, 0x00464001);
  assertEquals([cc.en, cc.shn, cc.mps, cc.ams], [1, 1, 0, 0]);
  // AQA 0x001F001F = 32-entry admin queues, 0's based.
  assertEquals(Number(encodeRegister(AQA, { asqs: 31, acqs: 31 })), 0x001f001f);
  // CAP bit positions that span the dword boundary.
  assertEquals(encodeRegister(CAP, { dstrd: 0xf }), 0xfn << 32n);
  assertEquals(encodeRegister(CAP, { css: 0xff }), 0xffn << 37n);
  assertEquals(encodeRegister(CAP, { crwms: 1, crims: 1 }), 3n << 59n);
  assertEquals(Number(encodeRegister(CRTO, { crwmt: 0x10, crimt: 0x20 })), 0x00200010);
});

Deno.test("registers: unit conversions", () => {
  assertEquals(memoryPageSize(0), 4096);
  assertEquals(memoryPageSize(4), 65536);
  assertEquals(timeoutUnitsToNs(0x0f), 7_500_000_000);
});
