// No namespace of the reference controller carries end-to-end protection information: Identify
// Namespace says so (DPC = 0, DPS = 0), and a Read, Write, Compare, Verify or Write Zeroes that
// sets PRACT (PRINFO bit 3, CDW12 bit 29) fails with Invalid Field in Command before touching
// the media or host memory (NVM CS 1.1 §5.2.3); PRCHK bits alone are ignored.

import { assertEquals } from "@std/assert";
import { CreateIoCq, CreateIoSq, Identify } from "../spec/admin_commands.ts";
import { IdentifyNamespace } from "../spec/identify_namespace.ts";
import { Compare, Read, Verify, Write, WriteZeroes } from "../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../spec/opcodes.ts";
import { Status } from "../spec/status.ts";
import { exec, HostQueue, rig, type TestRig } from "./_test_host.ts";

const PAGE = 4096;
/** Identify CNS 00h: Identify Namespace. */
const CNS_NAMESPACE = 0;
/** PRINFO values with PRACT (bit 3) set, alone and with PRCHK bits. */
const WITH_PRACT = [0b1000, 0b1111];
/** PRCHK alone (guard, application tag, reference tag): ignored without PI. */
const PRCHK_ONLY = 0b0111;

function ioPair(r: TestRig): HostQueue {
  const sq = r.host.allocate(PAGE, PAGE), cq = r.host.allocate(PAGE, PAGE);
  r.host.memFill(cq, PAGE, 0);
  const ien = { ien: 1, iv: 1 };
  assertEquals(
    exec(
      r.admin,
      CreateIoCq.encode({ opcode: 5, cid: 1, prp1: cq, qid: 1, qsize: 7, pc: 1, ...ien }),
    )
      .status,
    0,
  );
  assertEquals(
    exec(
      r.admin,
      CreateIoSq.encode({ opcode: 1, cid: 2, prp1: sq, qid: 1, qsize: 7, pc: 1, cqid: 1 }),
    )
      .status,
    0,
  );
  return new HostQueue(r.host, 1, sq, cq, 8, 0);
}

Deno.test("Identify Namespace reports no protection information (DPC = 0, DPS = 0)", () => {
  const r = rig();
  const buf = r.host.allocate(PAGE, PAGE);
  const c = exec(
    r.admin,
    Identify.encode({
      opcode: AdminOpcode.IDENTIFY,
      cid: 3,
      nsid: 1,
      prp1: buf,
      cns: CNS_NAMESPACE,
    }),
  );
  assertEquals(c.status, 0);
  const data = new Uint8Array(PAGE);
  r.host.memRead(buf, data);
  const id = IdentifyNamespace.decode(data);
  assertEquals([id.dpc, id.dps], [0, 0]);
});

Deno.test("PRACT on a namespace without PI is Invalid Field (DNR), media untouched", () => {
  const r = rig();
  const io = ioPair(r);
  const buf = r.host.allocate(PAGE, PAGE);
  r.host.memFill(buf, PAGE, 0x77);
  const common = { nsid: 1, prp1: buf, slba: 8, nlb: 7 };
  const commands = [
    (cid: number, prinfo: number) =>
      Write.encode({ opcode: NvmOpcode.WRITE, cid, prinfo, ...common }),
    (cid: number, prinfo: number) =>
      Read.encode({ opcode: NvmOpcode.READ, cid, prinfo, ...common }),
    (cid: number, prinfo: number) =>
      Compare.encode({ opcode: NvmOpcode.COMPARE, cid, prinfo, ...common }),
    (cid: number, prinfo: number) =>
      Verify.encode({ opcode: NvmOpcode.VERIFY, cid, prinfo, ...common }),
    (cid: number, prinfo: number) =>
      // Elsewhere (LBA 64), so the zeros do not hide what the writes stored.
      WriteZeroes.encode({ opcode: NvmOpcode.WRITE_ZEROES, cid, prinfo, ...common, slba: 64 }),
  ];
  let cid = 10;
  for (const make of commands) {
    for (const prinfo of WITH_PRACT) {
      const c = exec(io, make(cid++, prinfo));
      assertEquals([c.status, c.dnr], [Status.INVALID_FIELD, 1], `PRINFO ${prinfo}`);
    }
    assertEquals(exec(io, make(cid++, 0)).status === Status.INVALID_FIELD, false, "PRINFO 0");
    const prchk = exec(io, make(cid++, PRCHK_ONLY)).status;
    assertEquals(prchk === Status.INVALID_FIELD, false, "PRCHK alone");
  }
  const ns = r.ctrl.subsystem.namespace(1)!;
  assertEquals(ns.media.bytesStored(), PAGE, "only the writes without PRACT stored data");
});
