// Command dword layouts checked against the spec's CDW bit positions, independently of the
// tables: encode one field, look at the raw dword.

import { assertEquals } from "@std/assert";
import * as admin from "./admin_commands.ts";
import * as nvm from "./nvm_commands.ts";
import {
  ADMIN_OPCODES,
  dataDirection,
  NVM_OPCODES,
  opcodeInfo,
  qemuOpcodeName,
} from "./opcodes.ts";
import type { Struct } from "./struct.ts";

function dword(s: Struct, value: Record<string, number | bigint>, cdw: number): number {
  const b = s.encode(value as never);
  return new DataView(b.buffer).getUint32(cdw * 4, true);
}

Deno.test("admin commands: CDW10..15 bit positions", () => {
  assertEquals(dword(admin.CreateIoCq, { qid: 3, qsize: 0x3f }, 10), 0x003f0003);
  assertEquals(dword(admin.CreateIoCq, { pc: 1, ien: 1, iv: 5 }, 11), 0x00050003);
  assertEquals(dword(admin.CreateIoSq, { pc: 1, qprio: 2, cqid: 7 }, 11), 0x00070005);
  assertEquals(dword(admin.CreateIoSq, { nvmsetid: 9 }, 12), 9);
  assertEquals(dword(admin.DeleteIoSq, { qid: 0xffff }, 10), 0xffff);
  assertEquals(dword(admin.GetLogPage, { lid: 2, lsp: 0x7f, rae: 1, numdl: 0x7f }, 10), 0x007fff02);
  assertEquals(dword(admin.GetLogPage, { numdu: 1, lsi: 2 }, 11), 0x00020001);
  assertEquals(dword(admin.GetLogPage, { lpol: 512 }, 12), 512);
  assertEquals(dword(admin.GetLogPage, { uuidx: 1, ot: 1, csi: 2 }, 14), 0x02800001);
  assertEquals(dword(admin.Identify, { cns: 1, cntid: 0x1234 }, 10), 0x12340001);
  assertEquals(dword(admin.Identify, { cnssid: 5, csi: 2 }, 11), 0x02000005);
  assertEquals(dword(admin.Abort, { sqid: 1, abort_cid: 0x42 }, 10), 0x00420001);
  assertEquals(dword(admin.SetFeatures, { fid: 7, sv: 1 }, 10), 0x80000007);
  assertEquals(dword(admin.GetFeatures, { fid: 7, sel: 3 }, 10), 0x00000307);
  assertEquals(
    dword(admin.FormatNvm, { lbafl: 0xf, mset: 1, pi: 7, pil: 1, ses: 7, lbafu: 3 }, 10),
    0x3fff,
  );
});

Deno.test("NVM commands: SLBA, NLB and flag positions", () => {
  const rw = { slba: 0x1_0000_0002n, nlb: 7, fua: 1, lr: 1 };
  assertEquals(dword(nvm.Read, rw, 10), 2);
  assertEquals(dword(nvm.Read, rw, 11), 1);
  assertEquals(dword(nvm.Read, rw, 12), 0xc0000007);
  assertEquals(dword(nvm.Write, { dtype: 2, prinfo: 0xf }, 12), 0x3c200000);
  assertEquals(dword(nvm.WriteZeroes, { deac: 1 }, 12), 1 << 25);
  assertEquals(dword(nvm.DatasetManagement, { nr: 255 }, 10), 255);
  assertEquals(dword(nvm.DatasetManagement, { ad: 1 }, 11), 4);
  assertEquals(dword(nvm.Copy, { nr: 3, desfmt: 1 }, 12), 0x103);
  assertEquals(nvm.DsmRange.size, 16);
  assertEquals(nvm.CopySourceRange.field("nlb").offset, 16);
});

Deno.test("opcodes: tables, directions and QEMU names", () => {
  for (const [op, i] of [...ADMIN_OPCODES, ...NVM_OPCODES]) assertEquals(i.opcode, op);
  assertEquals(dataDirection(0x01), "host-to-controller");
  assertEquals(dataDirection(0x02), "controller-to-host");
  assertEquals(dataDirection(0x7c), "none");
  assertEquals(opcodeInfo(0x06, true)?.direction, "controller-to-host");
  assertEquals(qemuOpcodeName(0x02, false), "NVME_NVM_CMD_READ");
  assertEquals(qemuOpcodeName(0xee, true), "NVME_ADM_CMD_UNKNOWN");
});
