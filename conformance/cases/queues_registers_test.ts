/**
 * Runs every registers / reset / admin-queue / io-queues case against the reference controller
 * (each must pass, except the listed controller deviations), checks the tables, and shows the
 * cases can fail: targets whose host port lies about CSTS, CAP or the SQ Head in admin CQEs, or
 * drops doorbell writes, make the relevant cases fail with the relevant message.
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import { CASE_ID_PATTERN, type ConformanceCase } from "../case.ts";
import { probeTarget, runCase } from "../run_case.ts";
import { referenceTarget, type Target, type TargetSession } from "../target.ts";
import type { HostPort } from "../../platform/ports.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import { DOORBELL_BASE } from "../../spec/doorbell.ts";
import { CQE_SIZE } from "../../spec/cqe.ts";

/** Byte offset of CQE Dword 2 (SQ Head, SQ Identifier). */
const CQE_DW2 = 8;
import { CASES as REGISTERS } from "./registers.ts";
import { CASES as REGISTERS_ACCESS } from "./registers_access.ts";
import { CASES as RESET } from "./reset.ts";
import { CASES as RESET_SHUTDOWN } from "./reset_shutdown.ts";
import { CASES as ADMIN_QUEUE } from "./admin_queue.ts";
import { CASES as IO_QUEUES } from "./io_queues.ts";
import { CASES as IO_QUEUES_ERRORS } from "./io_queues_errors.ts";

const ALL: readonly ConformanceCase[] = [
  ...REGISTERS,
  ...REGISTERS_ACCESS,
  ...RESET,
  ...RESET_SHUTDOWN,
  ...ADMIN_QUEUE,
  ...IO_QUEUES,
  ...IO_QUEUES_ERRORS,
];

/**
 * Cases the reference controller fails because the controller (not the case) departs from the
 * spec. Each is reported to the lead; the case stays as the spec says.
 */
const REFERENCE_DEVIATIONS: Readonly<Record<string, string>> = {};

/** Cases that skip on the reference controller's default configuration, and why. */
const REFERENCE_SKIPS: Readonly<Record<string, string>> = {
  "registers.cc.crime-read-only": "the reference controller reports CAP.CRMS = 11b",
};

Deno.test("queue and register case tables: ≥ 60 cases, unique well-formed ids, right groups", () => {
  assert(ALL.length >= 60, `only ${ALL.length} cases`);
  const ids = new Set(ALL.map((c) => c.id));
  assertEquals(ids.size, ALL.length, "duplicate case ids across the tables");
  const groups = new Set(["registers", "reset", "admin-queue", "io-queues"]);
  for (const c of ALL) {
    assert(CASE_ID_PATTERN.test(c.id), c.id);
    assert(groups.has(c.id.split(".")[0]), `${c.id}: group not one of ${[...groups]}`);
  }
  for (const id of [...Object.keys(REFERENCE_DEVIATIONS), ...Object.keys(REFERENCE_SKIPS)]) {
    assert(ids.has(id), `unknown case ${id}`);
  }
});

Deno.test("queue and register cases pass against the reference controller", async (t) => {
  const target = referenceTarget();
  const caps = probeTarget(target);
  for (const c of ALL) {
    await t.step(c.id, () => {
      const r = runCase(target, caps, c);
      const deviation = REFERENCE_DEVIATIONS[c.id];
      if (deviation) {
        assertEquals(r.status, "fail", `${c.id} now ${r.status} (listed deviation: ${deviation})`);
        return;
      }
      const expected = REFERENCE_SKIPS[c.id] ? "skip" : "pass";
      assertEquals(r.status, expected, `${c.id}: ${r.message}`);
    });
  }
});

/** Overrides some HostPort methods of every session `inner` opens. */
function lyingTarget(
  name: string,
  inner: Target,
  override: (host: HostPort) => Partial<HostPort>,
): Target {
  return {
    name,
    description: `reference controller behind a host port that ${name}`,
    open(): TargetSession {
      const session = inner.open();
      const real = session.host;
      const fake = override(real);
      const host = new Proxy(real, {
        get(target, prop) {
          if (prop in fake) return fake[prop as keyof HostPort];
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      return { ...session, host, close: () => session.close() };
    },
  };
}

/** Runs `ids` against `target` and returns their statuses by id. */
function statuses(target: Target, ids: readonly string[]): Record<string, string> {
  const caps = probeTarget(target);
  const out: Record<string, string> = {};
  for (const id of ids) {
    const c = ALL.find((x) => x.id === id);
    assert(c, `no case ${id}`);
    const r = runCase(target, caps, c);
    out[id] = `${r.status}${r.status === "pass" ? "" : `: ${r.message}`}`;
  }
  return out;
}

/** Runs each case on `target` and asserts it fails with a message matching its pattern. */
function assertFailWith(target: Target, expected: Readonly<Record<string, RegExp>>): void {
  const got = statuses(target, Object.keys(expected));
  for (const [id, s] of Object.entries(got)) {
    assert(s.startsWith("fail") && expected[id].test(s), `${id} → ${s}`);
  }
}

Deno.test("cases fail when CSTS reports RDY = 1 while CC.EN = 0", () => {
  const target = lyingTarget("reports RDY while disabled", referenceTarget(), (h) => ({
    read32(offset: number): number {
      const v = h.read32(offset);
      if (offset !== RegisterOffset.CSTS) return v;
      return (h.read32(RegisterOffset.CC) & 1) === 0 ? (v | 1) >>> 0 : v;
    },
  }));
  assertFailWith(target, {
    "registers.csts.reset-value": /CSTS\.RDY = 1/,
    "reset.disable.ready-clears": /never matched/,
    "reset.enable.no-ready-before-enable": /RDY became 1/,
  });
});

Deno.test("cases fail when CAP lies about MQES", () => {
  // The controller accepts 64-entry queues; CAP claims 1024 (MQES 1023).
  const real = referenceTarget({ mqes: 63 });
  const lie = (v: bigint) => (v & ~0xffffn) | 1023n;
  const target = lyingTarget("reports a larger MQES", real, (h) => ({
    read64(offset: number): bigint {
      const v = h.read64(offset);
      return offset === RegisterOffset.CAP ? lie(v) : v;
    },
    read32(offset: number): number {
      const v = h.read32(offset);
      return offset === RegisterOffset.CAP ? Number(lie(BigInt(v))) : v;
    },
  }));
  assertFailWith(target, {
    "io-queues.size.maximum": /Create I\/O CQ 1: status 0x102/,
    "io-queues.create-cq.size-maximum": /Invalid Queue Size/,
  });
});

Deno.test("cases fail when every eighth admin SQ doorbell write is dropped", () => {
  const target = lyingTarget("drops doorbell writes", referenceTarget(), (h) => {
    let n = 0;
    return {
      write32(offset: number, value: number): void {
        if (offset === DOORBELL_BASE && ++n % 8 === 0) return;
        h.write32(offset, value);
      },
    };
  });
  assertFailWith(target, {
    "admin-queue.wrap.size-4": /no completion/,
    "admin-queue.wrap.size-64": /no completion/,
  });
});

Deno.test("cases fail when admin completions carry a wrong SQ Head", () => {
  // The host port adds 1 to the SQ Head of every CQE read from the admin CQ, as a controller
  // that reports its head one entry early would.
  const target = lyingTarget("misreports SQ Head", referenceTarget(), (h) => {
    let acq = 0, entries = 0;
    return {
      write64(offset: number, value: bigint | number): void {
        if (offset === RegisterOffset.ACQ) acq = Number(value);
        h.write64(offset, value);
      },
      write32(offset: number, value: number): void {
        if (offset === RegisterOffset.AQA) entries = (value >>> 16) + 1;
        h.write32(offset, value);
      },
      memReadU32(addr: number): number {
        const v = h.memReadU32(addr);
        const inAcq = addr >= acq && addr < acq + entries * CQE_SIZE;
        if (!inAcq || (addr - acq) % CQE_SIZE !== CQE_DW2) return v;
        return ((v & 0xffff0000) | ((v + 1) & 0xffff)) >>> 0;
      },
    };
  });
  assertFailWith(target, {
    "admin-queue.wrap.size-32": /SQ Head \d+, expected/,
    "admin-queue.full.size-4": /SQ Head|expected the tail/,
    "admin-queue.batch.sq-head": /SQ Head|expected the tail/,
    "reset.reset.admin-queue-restarts": /SQ Head 2 after the first command/,
  });
});
