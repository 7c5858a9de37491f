// Shared scenario tests for driver models, run against the reference controller: the SPDK-like
// driver (driver_test.ts) and the minimal example (../examples/minimal_driver_test.ts) register
// the same scenarios through `defineDriverScenarios`, each declaring what its features allow.
// Random choices come from a printed seed (env SEED, default below).

import { assert, assertEquals, assertThrows } from "@std/assert";
import type { ControllerOptions } from "../../controller/options.ts";
import { Machine } from "../../platform/machine.ts";
import type { HostPort } from "../../platform/ports.ts";
import { Mulberry32 } from "../../platform/preemption.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { CSTS, decodeRegister, RegisterOffset, ShutdownStatus } from "../../spec/registers.ts";
import {
  dataLength,
  type DataSegment,
  type DriverCompletion,
  DriverError,
  type DriverFactory,
  type DriverModel,
  HOST_ABORTED_STATUS,
  HOST_INTERNAL_ERROR_STATUS,
  type NamespaceInfo,
} from "../model.ts";
import { HostileController } from "./_hostile_controller_test_helpers.ts";

/** The seed of every random choice in these scenarios (env SEED when readable). */
export const SEED: number = Number(
  (Deno.permissions.querySync({ name: "env", variable: "SEED" }).state === "granted"
    ? Deno.env.get("SEED")
    : undefined) ?? 0x5eed5,
);

/** A driver model under test and what its features allow. */
export interface DriverUnderTest {
  /** Name, for test titles. */
  readonly name: string;
  /** The factory. */
  readonly factory: DriverFactory;
  /** Driver options for `queues` I/O queues of `depth` entries (the driver caps both). */
  ioOptions(depth: number, queues: number): Record<string, unknown>;
  /** Driver options that make a command time out after `ns` and report it to `onTimeout`. */
  timeoutOptions(ns: number, onTimeout: () => void): Record<string, unknown>;
  /** Supports CAP.MPSMIN > 0 (memory pages larger than 4 KiB). */
  readonly largePages: boolean;
  /** Recovers from a timeout by itself (reset inside `wait`); otherwise the test calls reset. */
  readonly selfRecovers: boolean;
}

/** A machine with one controller attached. */
export function setup(options: Partial<ControllerOptions> = {}): {
  machine: Machine;
  host: HostPort;
  ctrl: HostileController;
} {
  const machine = new Machine();
  const ctrl = new HostileController(options);
  return { machine, host: machine.attach(ctrl), ctrl };
}

/** Fails with the findings listed when any was recorded (host side only with `hostOnly`). */
export function assertNoFindings(host: HostPort, hostOnly = false): void {
  const all = host.findings.all().filter((f) => !hostOnly || f.side === "host");
  assertEquals(all.map((f) => `${f.id}: ${f.message}`), [], "findings recorded");
}

/** A data buffer laid out as `segments`, with the allocations to free afterwards. */
interface Buffer {
  readonly segments: DataSegment[];
  readonly allocations: number[];
}

/**
 * Allocates `bytes` starting at dword offset `offset` in its first memory page, split into up to
 * `pieces` physically discontiguous segments whose interior boundaries are page aligned.
 */
export function layoutBuffer(
  host: HostPort,
  bytes: number,
  pageSize: number,
  offset: number,
  pieces: number,
  rng: Mulberry32,
): Buffer {
  const segments: DataSegment[] = [], allocations: number[] = [];
  let left = bytes, first = true;
  while (left > 0) {
    const start = first ? offset : 0;
    const roomPages = Math.ceil((start + left) / pageSize);
    const more = pieces - segments.length > 1 && roomPages > 1;
    const pages = more ? 1 + (rng.nextU32() % (roomPages - 1)) : roomPages;
    const length = Math.min(left, pages * pageSize - start);
    const base = host.allocate(pages * pageSize, pageSize);
    allocations.push(base);
    segments.push({ addr: base + start, length });
    left -= length;
    first = false;
  }
  return { segments, allocations };
}

function writeSegments(host: HostPort, segs: readonly DataSegment[], data: Uint8Array): void {
  let at = 0;
  for (const s of segs) {
    host.memWrite(s.addr, data, at, s.length);
    at += s.length;
  }
}

function readSegments(host: HostPort, segs: readonly DataSegment[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const s of segs) {
    host.memRead(s.addr, out, at, s.length);
    at += s.length;
  }
  return out;
}

function randomBytes(rng: Mulberry32, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  for (let i = 0; i + 4 <= n; i += 4) v.setUint32(i, rng.nextU32());
  return out;
}

/** Options of {@linkcode runIo}. */
export interface IoRun {
  /** Commands to run. */
  readonly commands: number;
  /** Outstanding commands to keep (the driver may accept fewer). */
  readonly queueDepth: number;
  /** Submitting contexts (map to queues). */
  readonly contexts?: number;
  /** Largest command in blocks. */
  readonly maxBlocks?: number;
  /** First LBA used. */
  readonly lbaBase?: number;
  /** Random dword offsets and several segments per buffer. */
  readonly scatter?: boolean;
  /** Seed (default {@linkcode SEED}). */
  readonly seed?: number;
}

/** Result of {@linkcode runIo}. */
export interface IoResult {
  /** Commands completed successfully. */
  completed: number;
  /** Reads whose data was compared with what was written. */
  verifiedReads: number;
  /** Most commands the driver held at once. */
  maxInFlight: number;
}

/**
 * Mixed reads and writes from a seeded PRNG; each command owns a region of LBAs while in flight,
 * so expected contents are exact; reads compare every block written earlier in this run.
 */
export function runIo(host: HostPort, driver: DriverModel, run: IoRun): IoResult {
  const info = driver.info!;
  const ns = info.namespaces[0];
  const seed = run.seed ?? SEED;
  const rng = new Mulberry32(seed);
  const maxBlocks = Math.max(
    1,
    Math.min(run.maxBlocks ?? 8, Math.floor(info.maxTransferBytes / ns.blockSize)),
  );
  const regions = Math.max(16, 2 * run.queueDepth);
  const base = run.lbaBase ?? 0;
  assert(base + regions * maxBlocks <= ns.blocks, "namespace too small for this run");
  const expected = new Map<number, Uint8Array>();
  const free: number[] = [];
  for (let r = regions - 1; r >= 0; r--) free.push(r);
  const result: IoResult = { completed: 0, verifiedReads: 0, maxInFlight: 0 };
  const errors: string[] = [];
  let issued = 0, finished = 0, inFlight = 0;
  let lastProgress = host.now();
  while (finished < run.commands) {
    while (inFlight < run.queueDepth && issued < run.commands && free.length > 0) {
      const region = free.splice(rng.nextU32() % free.length, 1)[0];
      const nlb = 1 + (rng.nextU32() % maxBlocks);
      const slba = base + region * maxBlocks + (rng.nextU32() % (maxBlocks - nlb + 1));
      const bytes = nlb * ns.blockSize;
      const known = Array.from({ length: nlb }, (_, i) => expected.has(slba + i));
      const write = rng.nextU32() % 2 === 0 || !known.some((k) => k);
      const scatter = run.scatter ?? true;
      const offset = scatter ? 4 * (rng.nextU32() % (info.pageSize / 4)) : 0;
      const buf = layoutBuffer(host, bytes, info.pageSize, offset, scatter ? 4 : 1, rng);
      const data = write ? randomBytes(rng, bytes) : null;
      if (data) writeSegments(host, buf.segments, data);
      else for (const s of buf.segments) host.memFill(s.addr, s.length, 0xee);
      const cmd = {
        opcode: write ? NvmOpcode.WRITE : NvmOpcode.READ,
        nsid: ns.nsid,
        cdw10: slba % 2 ** 32,
        cdw11: Math.floor(slba / 2 ** 32),
        cdw12: nlb - 1,
        data: buf.segments,
        context: rng.nextU32() % (run.contexts ?? 1),
      };
      const done = (c: DriverCompletion) => {
        inFlight--;
        finished++;
        free.push(region);
        lastProgress = host.now();
        const what = `${write ? "write" : "read"} lba ${slba}+${nlb} (seed ${seed})`;
        if (c.status !== 0 || c.hostError) {
          errors.push(`${what}: status 0x${c.status.toString(16)} ${c.hostError ?? ""}`);
        } else if (data) {
          for (let i = 0; i < nlb; i++) {
            expected.set(slba + i, data.slice(i * ns.blockSize, (i + 1) * ns.blockSize));
          }
          result.completed++;
        } else {
          const got = readSegments(host, buf.segments, bytes);
          for (let i = 0; i < nlb; i++) {
            const want = expected.get(slba + i);
            const block = got.subarray(i * ns.blockSize, (i + 1) * ns.blockSize);
            if (want && !want.every((b, j) => b === block[j])) {
              errors.push(`${what}: block ${slba + i} differs from what was written`);
            }
          }
          result.verifiedReads++;
          result.completed++;
        }
        for (const a of buf.allocations) host.free(a);
      };
      if (!driver.submit(cmd, done)) {
        for (const a of buf.allocations) host.free(a);
        free.push(region);
        break;
      }
      issued++;
      inFlight++;
      result.maxInFlight = Math.max(result.maxInFlight, inFlight);
    }
    driver.wait(1_000_000_000);
    assert(host.now() - lastProgress < 60e9, `no progress for 60 s (seed ${seed})`);
  }
  assertEquals(errors, [], `I/O errors (seed ${seed})`);
  assertEquals(driver.inFlight, 0);
  return result;
}

/**
 * Writes then reads back one transfer of `bytes` at dword `offset`, split into `pieces`
 * segments; returns the completion statuses.
 */
export function roundTrip(
  host: HostPort,
  driver: DriverModel,
  bytes: number,
  offset: number,
  pieces: number,
  slba: number,
): void {
  const info = driver.info!, ns = info.namespaces[0];
  const rng = new Mulberry32(SEED ^ bytes ^ offset ^ pieces);
  const data = randomBytes(rng, bytes);
  const nlb = bytes / ns.blockSize;
  const io = (opcode: number, fill: Uint8Array | null): Uint8Array => {
    const buf = layoutBuffer(host, bytes, info.pageSize, offset, pieces, rng);
    assertEquals(buf.segments.length, Math.min(pieces, buf.segments.length));
    if (fill) writeSegments(host, buf.segments, fill);
    let c: DriverCompletion | null = null;
    const cmd = { opcode, nsid: ns.nsid, cdw10: slba, cdw12: nlb - 1, data: buf.segments };
    while (!driver.submit(cmd, (x) => (c = { ...x }))) driver.wait(1e6);
    while (c === null) driver.wait(1e9);
    const done = c as DriverCompletion;
    const what = `${bytes} bytes at offset ${offset} in ${buf.segments.length} segments`;
    assertEquals([done.status, done.hostError], [0, null], what);
    const out = readSegments(host, buf.segments, bytes);
    for (const a of buf.allocations) host.free(a);
    return out;
  };
  io(NvmOpcode.WRITE, data);
  const back = io(NvmOpcode.READ, null);
  assert(back.every((b, i) => b === data[i]), `read back differs (${bytes} bytes, ${offset})`);
}

/**
 * Submits `n` one-block writes (to LBAs 0..n-1 of namespace `ns`, default the first) and returns
 * the list their completions are copied into.
 */
export function submitSlowWrites(
  host: HostPort,
  driver: DriverModel,
  n: number,
  ns: NamespaceInfo = driver.info!.namespaces[0],
): DriverCompletion[] {
  const ends: DriverCompletion[] = [];
  for (let i = 0; i < n; i++) {
    const data = [{ addr: host.allocate(ns.blockSize, 4096), length: ns.blockSize }];
    const cmd = { opcode: NvmOpcode.WRITE, nsid: ns.nsid, cdw10: i, data };
    assert(driver.submit(cmd, (c) => ends.push({ ...c })), "submit refused");
  }
  return ends;
}

/** Registers the scenarios every driver model must pass. */
export function defineDriverScenarios(dut: DriverUnderTest): void {
  const t = (name: string, fn: () => void) => Deno.test(`${dut.name}: ${name} (seed ${SEED})`, fn);

  const variants: [string, Partial<ControllerOptions>][] = [
    ["defaults", {}],
    ["mqes 1", { mqes: 1 }],
    ["mqes 15", { mqes: 15 }],
    ["mqes 255", { mqes: 255 }],
    ["dstrd 1", { dstrd: 1 }],
    ["dstrd 2", { dstrd: 2 }],
    ["dstrd 3", { dstrd: 3 }],
    ["no shadow doorbells", { shadowDoorbells: false }],
    ["no SGL", { sgl: "none" }],
    ["byte-aligned SGL", { sgl: "byte" }],
    ["shadow polling policy", { eventIdxPolicy: "polling" }],
  ];
  if (dut.largePages) variants.push(["mpsmin 1 (8 KiB pages)", { mpsmin: 1 }]);
  for (const [label, options] of variants) {
    t(`bring-up, I/O and shutdown on ${label}`, () => {
      const { host } = setup(options);
      const driver = dut.factory(host, dut.ioOptions(64, 2));
      const info = driver.bringUp();
      assert(info.namespaces.length > 0 && info.ioQueues.length > 0);
      runIo(host, driver, { commands: 200, queueDepth: 16, contexts: 4 });
      driver.shutdown();
      assertEquals(driver.info, null);
      const csts = decodeRegister(CSTS, host.read32(RegisterOffset.CSTS));
      assertEquals(csts.shst, ShutdownStatus.COMPLETE);
      assertNoFindings(host);
    });
  }
  if (!dut.largePages) {
    t("refuses CAP.MPSMIN > 0 with a DriverError", () => {
      const { host } = setup({ mpsmin: 1 });
      assertThrows(() => dut.factory(host).bringUp(), DriverError);
      assertNoFindings(host);
    });
  }

  for (const qd of [1, 8, 64, 1024]) {
    t(`mixed verified I/O at queue depth ${qd}`, () => {
      const { host } = setup();
      const driver = dut.factory(host, dut.ioOptions(Math.max(qd, 2), 4));
      driver.bringUp();
      const r = runIo(host, driver, {
        commands: Math.max(400, 2 * qd),
        queueDepth: qd,
        contexts: 4,
        seed: SEED + qd,
      });
      assert(r.verifiedReads > 0, "some reads compared data");
      assert(r.maxInFlight >= Math.min(qd, 64), `reached depth ${r.maxInFlight}`);
      driver.shutdown();
      assertNoFindings(host);
    });
  }

  for (const sgl of ["dword", "byte", "none"] as const) {
    t(`transfers from one block to MDTS at odd dword offsets in pieces, SGLS ${sgl}`, () => {
      const { host } = setup({ sgl });
      const driver = dut.factory(host);
      const info = driver.bringUp();
      const bs = info.namespaces[0].blockSize, page = info.pageSize;
      const sizes = [bs, 2 * bs, page, page + bs, 8 * page, info.maxTransferBytes];
      for (const bytes of sizes) {
        for (const offset of [0, 4, 0x204, page - 4]) {
          for (const pieces of [1, 2, 5]) roundTrip(host, driver, bytes, offset, pieces, 0);
        }
      }
      driver.shutdown();
      assertNoFindings(host);
    });
  }

  t("controller reset mid-I/O aborts in-flight commands, then I/O works", () => {
    const { host } = setup({ commandLatencyNs: 5_000_000 });
    const driver = dut.factory(host, dut.ioOptions(64, 2));
    driver.bringUp();
    const ends = submitSlowWrites(host, driver, 10);
    host.sleep(1_000_000); // the controller has fetched them; none completed yet
    assertEquals(ends.length, 0);
    driver.reset();
    assertEquals(ends.length, 10, "every in-flight command ended exactly once");
    for (const c of ends) assertEquals([c.status, c.hostError], [HOST_ABORTED_STATUS, "aborted"]);
    assertEquals(driver.inFlight, 0);
    runIo(host, driver, { commands: 100, queueDepth: 8, contexts: 2 });
    driver.shutdown();
    assertNoFindings(host);
  });

  t("hostile: a CQE with an unknown CID is dropped; the stuck command recovers", () => {
    const { host, ctrl } = setup();
    let timeouts = 0;
    const driver = dut.factory(host, dut.timeoutOptions(50_000_000, () => timeouts++));
    driver.bringUp();
    runIo(host, driver, { commands: 20, queueDepth: 4 });
    ctrl.rewriteNextIoCid = 0xfffe;
    const ends = submitSlowWrites(host, driver, 1);
    recoverStuck(driver, ends, dut.selfRecovers);
    assert(dut.selfRecovers || timeouts === 1, `onTimeout fired ${timeouts} times`);
    assertEquals(ctrl.rewriteNextIoCid, null, "the CQE was rewritten");
    runIo(host, driver, { commands: 50, queueDepth: 4, seed: SEED + 1 });
    driver.shutdown();
    assertNoFindings(host);
  });

  t("hostile: a completion that never comes (SQ doorbell swallowed)", () => {
    const { host, ctrl } = setup({ shadowDoorbells: false });
    let timeouts = 0;
    const driver = dut.factory(host, dut.timeoutOptions(50_000_000, () => timeouts++));
    driver.bringUp();
    ctrl.swallowNextIoSqDoorbell = true;
    const ends = submitSlowWrites(host, driver, 1);
    recoverStuck(driver, ends, dut.selfRecovers);
    assert(dut.selfRecovers || timeouts === 1, `onTimeout fired ${timeouts} times`);
    assertEquals(ctrl.swallowNextIoSqDoorbell, false, "the doorbell was swallowed");
    runIo(host, driver, { commands: 50, queueDepth: 4 });
    driver.shutdown();
    assertNoFindings(host);
  });

  t("bad buffers end with host error bad-buffer, never a throw", () => {
    const { host } = setup({ sgl: "none" });
    const driver = dut.factory(host);
    const info = driver.bringUp();
    const ns = info.namespaces[0], page = info.pageSize;
    const a = host.allocate(4 * page, page), b = host.allocate(4 * page, page);
    const bad: DataSegment[][] = [
      [{ addr: a + 2, length: ns.blockSize }], // not dword aligned
      [{ addr: a, length: 512 }, { addr: b, length: page - 512 }], // interior ends mid-page
      [{ addr: a, length: page }, { addr: b + 512, length: 512 }], // interior starts mid-page
    ];
    const ends: DriverCompletion[] = [];
    for (const data of bad) {
      const nlb = dataLength(data) / ns.blockSize;
      const cmd = { opcode: NvmOpcode.WRITE, nsid: ns.nsid, cdw12: nlb - 1, data };
      assert(driver.submit(cmd, (c) => ends.push({ ...c })));
    }
    const huge = info.maxTransferBytes + page;
    const big = host.allocate(huge, page);
    const cmd = { opcode: NvmOpcode.READ, nsid: ns.nsid, data: [{ addr: big, length: huge }] };
    assert(driver.submit(cmd, (c) => ends.push({ ...c })));
    assertEquals(ends.length, 0, "callbacks run from processCompletions, not from submit");
    driver.processCompletions();
    assertEquals(
      ends.map((c) => [c.status, c.hostError]),
      Array(4).fill([HOST_INTERNAL_ERROR_STATUS, "bad-buffer"]),
    );
    assertEquals(driver.inFlight, 0);
    driver.shutdown();
    assertNoFindings(host);
  });

  t("submit before bring-up ends with host error dead", () => {
    const { host } = setup();
    const driver = dut.factory(host);
    const ends: DriverCompletion[] = [];
    assert(driver.submit({ opcode: NvmOpcode.FLUSH, nsid: 1 }, (c) => ends.push({ ...c })));
    assertEquals(driver.inFlight, 1);
    assertEquals(driver.wait(1_000_000), 1);
    assertEquals(ends.map((c) => c.hostError), ["dead"]);
    assertEquals(driver.wait(1_000_000), 0);
    assertNoFindings(host);
  });

  t("hostile: a controller that never sets RDY fails bring-up within CAP.TO", () => {
    const { host } = setup({ readyDelayNs: 1e15, timeoutUnits: 4 });
    const start = host.now();
    const driver = dut.factory(host);
    assertThrows(() => driver.bringUp(), DriverError, "RDY");
    assert(host.now() - start <= 4 * 500_000_000 + 10_000_000, "bounded by CAP.TO");
    assertEquals(driver.info, null);
    assertNoFindings(host);
  });

  t("hostile: CFS mid-I/O ends every command once; reset recovers", () => {
    const { host, ctrl } = setup({ commandLatencyNs: 2_000_000 });
    const driver = dut.factory(host, dut.timeoutOptions(50_000_000, () => {}));
    driver.bringUp();
    const ends = submitSlowWrites(host, driver, 8);
    ctrl.injectFatal();
    const more = submitSlowWrites(host, driver, 4);
    for (let i = 0; i < 1000 && driver.inFlight > 0; i++) driver.wait(10_000_000);
    assertEquals(ends.length + more.length, 12, "every command ended exactly once");
    if (driver.info === null || !dut.selfRecovers) driver.reset();
    runIo(host, driver, { commands: 50, queueDepth: 4 });
    driver.shutdown();
    assertNoFindings(host, true);
  });

  t("hostile: the device disappears (all ones) mid-I/O", () => {
    const { host, ctrl } = setup({ commandLatencyNs: 2_000_000 });
    const driver = dut.factory(host, dut.timeoutOptions(50_000_000, () => {}));
    const ns = driver.bringUp().namespaces[0];
    const ends = submitSlowWrites(host, driver, 4);
    ctrl.gone = true;
    for (let i = 0; i < 1000 && driver.inFlight > 0; i++) driver.wait(10_000_000);
    assertEquals(ends.length, 4, "every command ended exactly once");
    assertThrows(() => driver.reset(), DriverError, "gone");
    const late = submitSlowWrites(host, driver, 1, ns);
    driver.wait(1_000_000);
    assertEquals(late.map((c) => c.hostError), ["dead"]);
    driver.shutdown();
  });
}

/** Waits for a command that will not complete: the driver resets by itself, or reports a timeout
 * and the test resets. The command ends with "timeout" either way. */
function recoverStuck(driver: DriverModel, ends: DriverCompletion[], selfRecovers: boolean): void {
  for (let i = 0; i < 100 && ends.length === 0; i++) {
    driver.wait(10_000_000);
    if (!selfRecovers && driver.inFlight > 0 && i > 10) break;
  }
  if (!selfRecovers) {
    assertEquals(ends.length, 0);
    driver.reset();
  }
  assertEquals(ends.map((c) => [c.status, c.hostError]), [[HOST_ABORTED_STATUS, "timeout"]]);
}
