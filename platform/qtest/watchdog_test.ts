import { assert, assertEquals } from "@std/assert";
import { watchProcess } from "./watchdog.ts";

Deno.test("watchdog: a missed deadline kills the process and wakes a blocked FIFO open", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nvme-qtest-test-" });
  const victim = new Deno.Command("sleep", { args: ["30"], stdout: "null" }).spawn();
  const slot = watchProcess(victim.pid);
  try {
    const fifo = `${dir}/f`;
    const mk = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    assert(mk.success);
    slot.setRescuePaths([fifo]);
    slot.arm(100);
    // Nobody ever opens the other end: only the watchdog's rescue can end this open.
    Deno.openSync(fifo, { write: true }).close();
    assert(slot.fired);
    assertEquals((await victim.status).signal, "SIGKILL");
  } finally {
    slot.release();
    try {
      victim.kill("SIGKILL");
    } catch {
      // already dead
    }
    await victim.status;
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("watchdog: FIFOs opened only after the kill are still woken (rescue every tick)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "nvme-qtest-test-" });
  const victim = new Deno.Command("sleep", { args: ["30"], stdout: "null" }).spawn();
  const slot = watchProcess(victim.pid);
  try {
    const first = `${dir}/in`, second = `${dir}/out`;
    for (const f of [first, second]) {
      assert(new Deno.Command("mkfifo", { args: [f] }).outputSync().success);
    }
    slot.setRescuePaths([first, second]);
    slot.arm(1);
    // The main thread is late: the deadline passes and the first rescue runs before it opens
    // anything, as when it is descheduled between arming and opening.
    while (!slot.fired) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    // Two blocking opens in turn, as the qtest client opens its command and reply FIFOs.
    Deno.openSync(first, { write: true }).close();
    Deno.openSync(second, { read: true }).close();
    assertEquals((await victim.status).signal, "SIGKILL");
  } finally {
    slot.release();
    await victim.status;
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("watchdog: a disarmed slot never fires", async () => {
  const victim = new Deno.Command("sleep", { args: ["30"], stdout: "null" }).spawn();
  const slot = watchProcess(victim.pid);
  slot.arm(50);
  slot.disarm();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  assertEquals(slot.fired, false);
  slot.release();
  victim.kill("SIGKILL");
  await victim.status;
});
