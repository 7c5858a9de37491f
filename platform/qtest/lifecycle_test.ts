import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { qemuAvailable } from "./available.ts";
import { QemuExitedError, QemuHangError, QemuStartError, QemuUnavailableError } from "./errors.ts";
import { type QemuMachine, startQemu } from "./machine.ts";
import { liveQemuCount } from "./process.ts";
import { qemuTest, withQemu } from "./_test_helpers.ts";
import { RawController } from "../../conformance/raw_host.ts";
import { Read } from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { SGL_DESCRIPTOR_SIZE, SglDescriptor, SglSubtype, SglType } from "../../spec/sgl.ts";
import { Psdt } from "../../spec/sqe.ts";

/** Byte offset of the data pointer (SGL Entry 1) in an SQE (Base 2.1 §4.1.1). */
const DPTR_OFFSET = 24;

/** Temporary folders this platform created and left behind. */
function leftovers(): string[] {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  return [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) => n.startsWith("nvme-qtest-"));
}

Deno.test("qemuAvailable: a missing binary says how to install QEMU", () => {
  const binary = "/nonexistent/qemu-system-x86_64";
  const a = qemuAvailable(binary);
  assert(!a.ok);
  assertMatch(a.reason, /not found: install QEMU/);
  assertThrows(() => startQemu({ binary }), QemuUnavailableError, "install QEMU");
});

qemuTest("lifecycle: close kills QEMU and leaves nothing on disk", async () => {
  // A private TMPDIR: other QEMU sessions on this machine (parallel runs) cannot change the count.
  const saved = Deno.env.get("TMPDIR");
  const tmp = Deno.makeTempDirSync({ prefix: "nvme-lifecycle-" });
  Deno.env.set("TMPDIR", tmp);
  let m: QemuMachine | undefined;
  try {
    m = startQemu({ serial: "life" });
    assertEquals(leftovers(), [], "the temporary folder is unlinked once QEMU holds it");
  } catch (e) {
    m?.close();
    throw e;
  } finally {
    if (saved === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", saved);
    Deno.removeSync(tmp, { recursive: true });
  }
  assertEquals(m.host.read32(0x08), 0x00010400, "VS of QEMU 7.2 is 1.4");
  m.close();
  m.close(); // idempotent
  const status = await m.exited;
  assertEquals(status.signal, "SIGKILL");
  assertEquals(liveQemuCount(), 0);
  assertThrows(() => m.host.read32(0), Error, "closed");
});

qemuTest("lifecycle: a QEMU that stops answering is killed by the watchdog", async () => {
  await withQemu({ watchdogMs: 300 }, (m) => {
    Deno.kill(m.pid, "SIGSTOP"); // frozen: no reply will ever come
    const e = assertThrows(() => m.host.read32(0), QemuHangError);
    assertMatch(e.message, /did not answer qtest "readl 0xe0000000" within 300 ms/);
    assertThrows(() => m.host.read32(0), QemuHangError, "", "the client stays dead");
  });
});

qemuTest("lifecycle: a QEMU killed from outside is an exit, not a hang", async () => {
  await withQemu({}, async (m) => {
    Deno.kill(m.pid, "SIGKILL");
    await m.exited;
    assertThrows(() => m.host.read32(0), QemuExitedError, "QEMU exited");
  });
});

qemuTest("lifecycle: a bad device property fails the start with QEMU's stderr", () => {
  const e = assertThrows(
    () => startQemu({ deviceProperties: { "no-such-property": 1 } }),
    QemuStartError,
  );
  assertMatch(e.message, /QEMU stderr:\n.*no-such-property/s);
  assertEquals(liveQemuCount(), 0);
});

qemuTest(
  "lifecycle: the 7.2 SGL self-loop hang (reference §13) becomes a QemuHangError",
  async () => {
    await withQemu({ watchdogMs: 500 }, (m) => {
      const ctrl = new RawController(m.host);
      const [q] = ctrl.ioSetup(1, 16);
      // A Segment descriptor whose only entry is a Segment descriptor pointing back at itself.
      const segment = m.host.allocate(SGL_DESCRIPTOR_SIZE, SGL_DESCRIPTOR_SIZE);
      const self = SglDescriptor.encode({
        addr: segment,
        len: SGL_DESCRIPTOR_SIZE,
        type: SglType.SEGMENT,
        subtype: SglSubtype.ADDRESS,
      });
      m.host.memWrite(segment, self);
      const sqe = Read.encode({ opcode: NvmOpcode.READ, nsid: 1, psdt: Psdt.SGL_MPTR_CONTIG });
      sqe.set(self, DPTR_OFFSET);
      q.submit(sqe);
      const e = assertThrows(() => q.wait(), QemuHangError);
      assertMatch(e.message, /killed by the watchdog/);
    });
  },
);
