// The I/O-path case tables (nvm, data-pointer, doorbell, shadow-doorbell, interrupt, integrity)
// against the reference controller in a few configurations, plus broken targets (HostPort
// wrappers; controller/ untouched) that show the cases can fail.

import { assert, assertEquals } from "@std/assert";
import type { HostPort } from "../../platform/ports.ts";
import { WAIT_TIMEOUT } from "../../platform/ports.ts";
import { type Capabilities, missingCapability } from "../capabilities.ts";
import { CASE_ID_PATTERN, type ConformanceCase } from "../case.ts";
import { Sgls } from "../../spec/identify_controller.ts";
import { probeTarget, runCase } from "../run_case.ts";
import { referenceTarget, type Target, type TargetSession } from "../target.ts";
import { CASES as DATA_POINTERS } from "./data_pointers.ts";
import { CASES as DATA_POINTERS_SGL } from "./data_pointers_sgl.ts";
import { CASES as DOORBELLS } from "./doorbells.ts";
import { CASES as INTEGRITY } from "./integrity.ts";
import { CASES as INTERRUPTS } from "./interrupts.ts";
import { CASES as NVM } from "./nvm.ts";
import { CASES as NVM_ERRORS } from "./nvm_errors.ts";
import { CASES as SHADOW } from "./shadow_doorbells.ts";

const ALL: readonly ConformanceCase[] = [
  ...NVM,
  ...NVM_ERRORS,
  ...DATA_POINTERS,
  ...DATA_POINTERS_SGL,
  ...DOORBELLS,
  ...SHADOW,
  ...INTERRUPTS,
  ...INTEGRITY,
];
const byId = new Map(ALL.map((c) => [c.id, c]));

/** How one configuration of the reference controller is expected to do. */
interface Expectation {
  /** Cases the controller fails while the case follows the spec: id → why (reported). */
  readonly controllerBugs?: Readonly<Record<string, string>>;
  /** Cases that skip at run time on this configuration: id → why. */
  readonly skips?: Readonly<Record<string, string>>;
}

const REFERENCE_BUGS: Readonly<Record<string, string>> = {};

const CONFIGS: readonly { target: Target; expect: Expectation }[] = [
  {
    target: referenceTarget(),
    expect: {
      controllerBugs: REFERENCE_BUGS,
      skips: {
        "data-pointer.prp-list.chained-full-page": "MDTS 7 (512 KiB) is below 514 pages",
        "data-pointer.sgl.unsupported": "SGLs are supported",
        "shadow-doorbell.config.unsupported": "Doorbell Buffer Config is supported",
      },
    },
  },
  {
    // Doorbell stride 16 bytes, 4 MiB MDTS, no SGLs, no shadow doorbells.
    target: referenceTarget({ dstrd: 2, mdts: 10, sgl: "none", shadowDoorbells: false }, "lean"),
    expect: {},
  },
  {
    // Byte-granular SGLs, polling EventIdx policy, 4 KiB pages only, two MSI-X vectors, 8-byte
    // doorbell stride (so shadow slots are strided too).
    target: referenceTarget(
      { sgl: "byte", eventIdxPolicy: "polling", mpsmax: 0, msixVectors: 2, dstrd: 1 },
      "polling",
    ),
    expect: {
      controllerBugs: REFERENCE_BUGS,
      skips: {
        "data-pointer.prp-list.chained-full-page": "MDTS 7 (512 KiB) is below 514 pages",
        "data-pointer.sgl.unsupported": "SGLs are supported",
        "shadow-doorbell.config.unsupported": "Doorbell Buffer Config is supported",
        "interrupt.msix.per-queue-vector": "two MSI-X vectors",
      },
    },
  },
];

Deno.test("io-path tables: at least 60 unique, well-formed ids in six groups", () => {
  const ids = ALL.map((c) => c.id);
  assertEquals(new Set(ids).size, ids.length, "duplicate ids across the tables");
  assert(ids.length >= 60, `only ${ids.length} cases`);
  const groups = new Set(ids.map((id) => id.split(".")[0]));
  assertEquals(
    [...groups].sort(),
    ["data-pointer", "doorbell", "integrity", "interrupt", "nvm", "shadow-doorbell"],
  );
  for (const id of ids) assert(CASE_ID_PATTERN.test(id), id);
});

for (const { target, expect } of CONFIGS) {
  Deno.test(`io-path cases on the reference controller (${target.name})`, async (t) => {
    const caps = probeTarget(target);
    for (const c of ALL) {
      await t.step(c.id, () => {
        const r = runCase(target, caps, c);
        const bug = expect.controllerBugs?.[c.id];
        const want = bug !== undefined
          ? "fail"
          : missingCapability(caps, c.needs) !== null || expect.skips?.[c.id]
          ? "skip"
          : "pass";
        assertEquals(r.status, want, `${c.id}: ${r.message}${bug ? ` (known: ${bug})` : ""}`);
      });
    }
  });
}

// ---- broken targets: each wraps a reference session's HostPort to misbehave in one way.

type HostOverride = (host: HostPort) => Partial<HostPort>;

/** The reference target with some HostPort methods replaced. */
function brokenTarget(name: string, override: HostOverride): Target {
  const base = referenceTarget();
  return {
    name,
    description: `reference controller behind a HostPort that ${name}`,
    open(): TargetSession {
      const s = base.open();
      const host = s.host;
      const patch = override(host);
      const wrapped = new Proxy(host, {
        get(target, prop) {
          if (prop in patch) return patch[prop as keyof HostPort];
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      return { ...s, host: wrapped, close: () => s.close() };
    },
  };
}

const BROKEN: readonly { target: Target; mustFail: readonly string[] }[] = [
  {
    // Data reads of a block or more come back with one bit flipped.
    target: brokenTarget("flips a bit in data reads", (host) => ({
      memRead(addr: number, dst: Uint8Array, dstOffset = 0, length?: number) {
        host.memRead(addr, dst, dstOffset, length);
        const n = length ?? dst.length - dstOffset;
        if (n >= 512) dst[dstOffset + 7] ^= 0x01;
      },
    })),
    mustFail: [
      "nvm.write-read.single-block",
      "nvm.copy.single-range",
      "data-pointer.prp-list.scattered",
      "data-pointer.mps-8k.prp-list",
      "data-pointer.sgl.segment-chain",
      "integrity.wrap.queue-depth-7",
      "integrity.power-loss.flushed",
    ],
  },
  {
    // The first SQ tail doorbell write to an I/O queue is lost.
    target: brokenTarget("drops the first I/O SQ doorbell", (host) => {
      let dropped = false;
      return {
        write32(offset: number, value: number) {
          const index = (offset - 0x1000) / 4;
          const ioSqTail = offset >= 0x1008 && offset < 0x2000 && index % 2 === 0;
          if (ioSqTail && !dropped) {
            dropped = true;
            return;
          }
          host.write32(offset, value);
        },
      };
    }),
    mustFail: [
      "nvm.write-read.single-block",
      "doorbell.sq-tail.batched",
      "doorbell.sq-tail.not-rung",
      "integrity.wrap.size-2",
    ],
  },
  {
    // MSI-X messages never reach the host.
    target: brokenTarget("loses every interrupt", (host) => ({
      waitForInterrupt(_vectors: readonly number[] | null, timeoutNs: number) {
        host.sleep(timeoutNs);
        return WAIT_TIMEOUT;
      },
      takeInterrupt: () => false,
    })),
    mustFail: [
      "interrupt.msix.io-cq-vector",
      "interrupt.msix.admin-vector-0",
      "interrupt.msix.vector-mask",
      "interrupt.coalescing.threshold",
      "interrupt.coalescing.admin-exempt",
    ],
  },
];

Deno.test("io-path cases fail on broken targets", async (t) => {
  const caps: Capabilities = probeTarget(referenceTarget());
  for (const { target, mustFail } of BROKEN) {
    for (const id of mustFail) {
      await t.step(`${target.name}: ${id}`, () => {
        const c = byId.get(id);
        assert(c, `no case ${id}`);
        const r = runCase(target, caps, c);
        assertEquals(r.status, "fail", `${id} should fail on "${target.name}": ${r.message}`);
      });
    }
  }
  // The lost-interrupt target still passes the case that expects no interrupt.
  const quiet = runCase(BROKEN[2].target, caps, byId.get("interrupt.msix.ien-zero")!);
  assertEquals(quiet.status, "pass", quiet.message);
});

Deno.test("the Bit Bucket case runs where SGLS bit 16 is claimed", () => {
  // With SGLS bit 16 claimed in the capabilities the case runs against the walker whatever the
  // probe found (the reference now advertises it too).
  const target = referenceTarget();
  const caps = probeTarget(target);
  assert(caps.identify);
  const claimed: Capabilities = {
    ...caps,
    identify: { ...caps.identify, sgls: caps.identify.sgls | (1 << Sgls.BIT_BUCKET) },
  };
  const r = runCase(target, claimed, byId.get("data-pointer.sgl.bit-bucket")!);
  assertEquals(r.status, "pass", r.message);
});
