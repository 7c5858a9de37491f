// The command property of the robustness tests (see _robustness_test_helpers.ts): arbitrary
// commands each complete exactly once. Its test is in robustness_commands_test.ts, its mutant
// checks in robustness_mutants_test.ts; generators in _robustness_command_arbitraries.ts.
//
// An enabled controller, optionally with an I/O queue pair, receives N commands: fully random
// 64-byte SQEs and SQEs with a real opcode and biased-random dwords (data pointers mostly into a
// mapped data area whose qwords are page addresses, so PRP lists and SGLs get walked; otherwise
// random). The host gives each command a unique CID on its queue, writes it at the tail, rings
// the doorbell in random batches (never overrunning: it tracks the SQ head from CQE.SQHD) and
// drains both CQs, releasing entries, until every command completes or nothing more can happen.
//
// Excluded from the inputs (they are other properties, and here they would only make the host's
// bookkeeping meaningless): deleting the host's own I/O queues (Base 2.1 §5.2.3/§5.2.4: queue
// lifecycle), and Doorbell Buffer Config (§5.2.5: it moves doorbells into host memory while this
// host rings MMIO doorbells).
//
// Then:
//  C0  Nothing throws; the drain ends within the event budget.
//  C1  Every SQE the controller fetched is one the host submitted, fetched once.
//  C2  Every fetched command gets exactly one completion, with its CID, the SQID it was submitted
//      on, and SQHD inside the queue (§4.2.1), unless CSTS.CFS is set at the end (then at most
//      one). No completion names a CID that was not submitted; none is duplicated.
//  C3  Asynchronous Event Requests may stay outstanding (§5.1.2): at most AERL + 1 of them; when
//      no event completed any, exactly min(#AER, AERL + 1) are outstanding and every other AER
//      completed with Asynchronous Event Request Limit Exceeded. Every other command completes.
//  C4  A command during which a DMA was refused (a data pointer to unmapped memory: a host bug the
//      IOMMU catches) does not succeed: it completes with Data Transfer Error or a PRP/SGL status
//      (§4.2.3.1; memory errors associated with a command are reported in its status).
//  C5  The harness is intact: the SQ rings hold exactly what the host wrote (the controller only
//      reads them), unmapped canary memory around the buffers is unchanged, every refused DMA was
//      recorded as a dma.* platform finding, and there is no other finding (the host broke no
//      rule: CIDs unique, doorbells rung properly).

import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { CreateIoCq, CreateIoSq } from "../spec/admin_commands.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { RegisterOffset as R } from "../spec/registers.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { Status, STATUS_CODE_MASK } from "../spec/status.ts";
import {
  commandArb,
  type DataArea,
  type GenCommand,
  type QueueName,
} from "./_robustness_command_arbitraries.ts";
import { CommandBook, type Cqe, ProbeQueue, type Submitted } from "./_robustness_probe_queue.ts";
import {
  ADMIN_SIZE,
  boundedSleep,
  Budget,
  CSTS_CFS,
  CSTS_RDY,
  HangError,
  IO_QID,
  makeRig,
  type Mutant,
  PAGE,
  type Rig,
} from "./_robustness_test_helpers.ts";
import { DEFAULT_OPTIONS } from "./options.ts";

/** Entries of the I/O queue pair. */
const IO_SIZE = 32;
/** Pages of the data area. */
const DATA_PAGES = 16;
/** Unmapped memory on each side of the case's buffers, filled with CANARY_BYTE. */
const CANARY_BYTES = 4 * PAGE;
const CANARY_BYTE = 0xa5;

/** Statuses the controller reports for malformed data pointers or queue bases. */
const POINTER_STATUSES: ReadonlySet<number> = new Set([
  Status.PRP_OFFSET_INVALID,
  Status.INVALID_SGL_SEGMENT_DESCRIPTOR,
  Status.INVALID_SGL_DESCRIPTOR_COUNT,
  Status.DATA_SGL_LENGTH_INVALID,
  Status.SGL_DESCRIPTOR_TYPE_INVALID,
  Status.SGL_DATA_BLOCK_GRANULARITY_INVALID,
  Status.SGL_OFFSET_INVALID,
]);

/** Statuses that legitimately report a bad data pointer: a malformed one, or a refused DMA. */
const DATA_POINTER_STATUSES: ReadonlySet<number> = new Set([
  ...POINTER_STATUSES,
  Status.DATA_TRANSFER_ERROR,
  Status.METADATA_SGL_LENGTH_INVALID,
]);

/** Sends a setup admin command and waits for its completion (no fuzzing yet). */
function adminSetup(rig: Rig, q: ProbeQueue, bytes: Uint8Array, budget: Budget): Cqe {
  bytes[2] = q.nextCid & 0xff;
  bytes[3] = q.nextCid >>> 8;
  q.nextCid++;
  q.place(bytes, {
    queue: "admin",
    qid: 0,
    cid: 0,
    opcode: 0,
    fetches: 0,
    faults: 0,
    completions: [],
  });
  q.ring();
  for (let i = 0; i < 1000; i++) {
    boundedSleep(rig.machine, rig.host, 1_000, budget);
    const c = q.take();
    if (c) {
      q.release();
      return c;
    }
  }
  throw new Error("setup command never completed");
}

interface CommandCaseResult {
  submitted: Submitted[];
  book: CommandBook;
  cfs: boolean;
}

/** Runs one command case against a rig built with `mutant`; throws on any violation of C0–C5. */
function runCommandCase(
  mutant: Mutant | undefined,
  withIo: boolean,
  commands: GenCommand[],
  data: DataArea,
): CommandCaseResult {
  const rig = makeRig(mutant?.(), false);
  const { machine, host, fn } = rig;
  const budget = new Budget();
  // Canary before the data area is allocated: an unmapped page run the device must never write.
  const canaryLo = host.allocate(CANARY_BYTES, PAGE);
  const ioSq = host.allocate(IO_SIZE * SQE_SIZE, PAGE);
  const ioCq = host.allocate(IO_SIZE * CQE_SIZE, PAGE);
  const dataBase = host.allocate(data.pages * PAGE, PAGE);
  const canaryHi = host.allocate(CANARY_BYTES, PAGE);
  assertEquals(dataBase, data.base, "data area address is deterministic");
  for (const c of [canaryLo, canaryHi]) {
    host.memFill(c, CANARY_BYTES, CANARY_BYTE);
    host.dmaUnmap(c, CANARY_BYTES);
  }
  host.memFill(ioCq, IO_SIZE * CQE_SIZE, 0);
  // Data pages hold page addresses, so PRP lists and SGL segments inside them lead somewhere.
  const fill = new Uint8Array(data.pages * PAGE);
  const fv = new DataView(fill.buffer);
  for (let i = 0; i < fill.length / 8; i++) {
    const a = data.base + ((i * 7) % data.pages) * PAGE;
    fv.setUint32(i * 8, a >>> 0, true);
    fv.setUint32(i * 8 + 4, Math.floor(a / 2 ** 32), true);
  }
  host.memWrite(data.base, fill);

  host.write32(R.CC, 0x00460001);
  for (let i = 0; i < 10_000 && !(host.read32(R.CSTS) & CSTS_RDY); i++) {
    boundedSleep(machine, host, 10_000, budget);
  }
  const admin = new ProbeQueue(host, 0, rig.asq, rig.acq, ADMIN_SIZE, 0x100);
  const book = new CommandBook(fn);
  fn.observer = book;
  book.queues.push(admin);
  const queues: Partial<Record<QueueName, ProbeQueue>> = { admin };
  if (withIo) {
    const cq = adminSetup(
      rig,
      admin,
      CreateIoCq.encode({
        opcode: AdminOpcode.CREATE_IO_CQ,
        prp1: ioCq,
        qid: IO_QID,
        qsize: IO_SIZE - 1,
        pc: 1,
        ien: 1,
        iv: 1,
      }),
      budget,
    );
    assertEquals(cq.status, 0, "setup: Create I/O CQ");
    const sq = adminSetup(
      rig,
      admin,
      CreateIoSq.encode({
        opcode: AdminOpcode.CREATE_IO_SQ,
        prp1: ioSq,
        qid: IO_QID,
        qsize: IO_SIZE - 1,
        pc: 1,
        cqid: IO_QID,
      }),
      budget,
    );
    assertEquals(sq.status, 0, "setup: Create I/O SQ");
    const io = new ProbeQueue(host, IO_QID, ioSq, ioCq, IO_SIZE, 0x200);
    book.queues.push(io);
    queues.io = io;
  }
  book.current = null;
  const faultsBeforeFuzz = book.faults;
  const findingsBeforeFuzz = machine.findings.all().length;

  // Submit, ringing in batches; make room by draining when a queue is full.
  const submitted: Submitted[] = [];
  const byQidCid = new Map<string, Submitted>();
  const phantom: string[] = [];
  const drainOnce = (): number => {
    let n = 0;
    for (const q of Object.values(queues)) {
      let got = false;
      for (let c = q.take(); c; c = q.take()) {
        got = true;
        n++;
        const cmd = byQidCid.get(`${c.sqid}:${c.cid}`);
        if (!cmd || cmd.qid !== q.qid) {
          phantom.push(
            `CQ ${q.qid}: sqid ${c.sqid} cid ${c.cid} status 0x${c.status.toString(16)}`,
          );
        } else {
          cmd.completions.push(c);
        }
      }
      if (got) q.release();
    }
    return n;
  };
  for (const g of commands) {
    const q = queues[g.queue]!;
    for (let idle = 0; q.free() === 0;) {
      q.ring();
      boundedSleep(machine, host, 1_000, budget);
      idle = drainOnce() === 0 && machine.scheduler.isIdle ? idle + 1 : 0;
      if (idle > 20) {
        // Every fetched command but ≤ AERL + 1 AERs completes with an SQHD, so a full SQ with
        // an idle controller means completions went missing.
        throw new Error(`C2: SQ ${q.qid} stays full and the controller is idle`);
      }
    }
    const bytes = g.bytes.slice();
    const cid = q.nextCid++ & 0xffff;
    bytes[2] = cid & 0xff;
    bytes[3] = cid >>> 8;
    const cmd: Submitted = {
      queue: g.queue,
      qid: q.qid,
      cid,
      opcode: bytes[0],
      fetches: 0,
      faults: 0,
      completions: [],
    };
    submitted.push(cmd);
    byQidCid.set(`${q.qid}:${cid}`, cmd);
    q.place(bytes, cmd);
    if (g.ring) q.ring();
  }
  for (const q of Object.values(queues)) q.ring();

  // Drain until everything but AERs completed (then a little longer, to catch duplicates), or
  // until no device work is left and nothing new arrives.
  const isAer = (c: Submitted) =>
    c.queue === "admin" && c.opcode === AdminOpcode.ASYNC_EVENT_REQUEST;
  let settled = 0;
  for (let iterations = 0;; iterations++) {
    if (iterations > 100_000) throw new HangError("hang: the drain never settled");
    const s = machine.scheduler;
    const step = s.isIdle ? 10_000 : Math.max(1_000, Math.min(s.nextTime - s.now, 1_000_000));
    boundedSleep(machine, host, step, budget);
    const got = drainOnce();
    const done = submitted.every((c) => c.completions.length > 0 || isAer(c));
    const cfs = (host.read32(R.CSTS) & CSTS_CFS) !== 0;
    if (got === 0 && (done || cfs || machine.scheduler.isIdle)) settled++;
    else settled = 0;
    if (settled >= 20) break;
  }
  const cfs = (host.read32(R.CSTS) & CSTS_CFS) !== 0;

  // ---- assertions
  assertEquals(book.unexpectedFetches, [], "C1: fetched entries the host never submitted");
  for (const c of submitted) {
    assert(c.fetches <= 1, `C1: SQ ${c.qid} CID ${c.cid} fetched ${c.fetches} times`);
  }
  assertEquals(phantom, [], "C2: completions for commands never submitted");
  const aerl = DEFAULT_OPTIONS.aerl;
  let outstandingAers = 0, aers = 0, aersByEvent = 0;
  for (const c of submitted) {
    const what = `SQ ${c.qid} CID ${c.cid} opcode 0x${c.opcode.toString(16)}`;
    assert(c.completions.length <= 1, `C2: ${what} completed ${c.completions.length} times`);
    for (const e of c.completions) {
      assertEquals(e.sqid, c.qid, `C2: ${what}: CQE.SQID`);
      assert(e.sqhd < (c.qid === 0 ? ADMIN_SIZE : IO_SIZE), `C2: ${what}: SQHD ${e.sqhd}`);
      if (c.faults > 0) {
        assert(
          DATA_POINTER_STATUSES.has(e.status & STATUS_CODE_MASK),
          `C4: ${what} had ${c.faults} refused DMA(s) but completed with status 0x${
            e.status.toString(16)
          }`,
        );
      }
    }
    if (c.completions.length > 0 && c.fetches === 0) {
      throw new Error(`C2: ${what} completed but was never fetched`);
    }
    if (isAer(c)) {
      aers++;
      if (c.completions.length === 0) outstandingAers++;
      else if (
        (c.completions[0].status & STATUS_CODE_MASK) !== Status.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED
      ) {
        aersByEvent++;
      }
    } else if (!cfs) {
      assertEquals(c.completions.length, 1, `C2/C3: ${what} never completed`);
    }
  }
  assert(outstandingAers <= aerl + 1, `C3: ${outstandingAers} AERs outstanding (AERL ${aerl})`);
  if (!cfs && aersByEvent === 0) {
    assertEquals(outstandingAers, Math.min(aers, aerl + 1), "C3: outstanding AERs");
  }
  // C5: harness intact.
  for (const q of Object.values(queues)) {
    const ring = new Uint8Array(q.size * SQE_SIZE);
    host.memRead(q.sq, ring);
    assert(ring.every((b, i) => b === q.shadow[i]), `C5: SQ ${q.qid} ring was modified`);
  }
  for (const c of [canaryLo, canaryHi]) {
    const back = new Uint8Array(CANARY_BYTES);
    host.memRead(c, back);
    assert(back.every((b) => b === CANARY_BYTE), "C5: unmapped canary memory was written");
  }
  assertEquals(book.orphanFaults, 0, "C5: a DMA was refused outside any command");
  const fuzzFindings = machine.findings.all().slice(findingsBeforeFuzz);
  // Host mistakes the controller reports as findings: refused DMAs (dma.*), and malformed data
  // pointers or queue bases, each matching a completion with the status it reports.
  const dma = fuzzFindings.filter((f) => f.id.startsWith("dma."));
  const pointer = fuzzFindings.filter((f) =>
    f.id === "data_pointer.invalid" || f.id === "queue.base_alignment"
  );
  const other = fuzzFindings.filter((f) => !dma.includes(f) && !pointer.includes(f));
  assertEquals(other.map((f) => `${f.id}: ${f.message}`), [], "C5: unexpected findings");
  assertEquals(
    dma.length,
    book.faults - faultsBeforeFuzz,
    "C5: every refused DMA is one dma.* finding",
  );
  const pointerStatuses = submitted.flatMap((c) => c.completions)
    .filter((e) => POINTER_STATUSES.has(e.status & STATUS_CODE_MASK)).length;
  assertEquals(pointer.length, pointerStatuses, "C5: one finding per malformed data pointer");
  return { submitted, book, cfs };
}

/** The data area's address for a fresh rig (allocation is deterministic). */
function dataArea(): DataArea {
  const rig = makeRig(undefined, false);
  const h = rig.host;
  h.allocate(CANARY_BYTES, PAGE);
  h.allocate(IO_SIZE * SQE_SIZE, PAGE);
  h.allocate(IO_SIZE * CQE_SIZE, PAGE);
  return { base: h.allocate(DATA_PAGES * PAGE, PAGE), pages: DATA_PAGES };
}

/** The command property against a fresh `mutant()` per case (none = the real controller). */
export function commandProperty(mutant?: Mutant): fc.IProperty<[[boolean, GenCommand[]]]> {
  const data = dataArea();
  return fc.property(
    fc.boolean().chain((withIo) =>
      fc.tuple(
        fc.constant(withIo),
        fc.array(commandArb(withIo, data), { minLength: 1, maxLength: 64, size: "max" }),
      )
    ),
    ([withIo, commands]) => {
      runCommandCase(mutant, withIo, commands, data);
    },
  );
}
