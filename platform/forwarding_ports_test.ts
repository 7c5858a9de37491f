// Every member of HostPort and DevicePort goes through a bare Forwarding* port to the inner port
// with the same arguments, and the inner port's result comes back. The member tables are typed
// as mapped types over the interfaces, so a member added to an interface fails to compile here
// until it has a case; a forward deleted from a class fails at run time too (undefined result or
// "not a function").

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { ForwardingDevicePort, ForwardingHostPort } from "./forwarding_ports.ts";
import type { DevicePort, HostPort } from "./ports.ts";

/** One interface member: a property read, a method call with every argument given (optional
 * ones too, so an argument dropped on the way shows; `void` marks a method without a result),
 * or a member the port must not expose. */
type Member<P, K extends keyof P> = NonNullable<P[K]> extends (...args: infer A) => infer R
  ? ([R] extends [void] ? { readonly args: A; readonly void: true } : { readonly args: A }) | {
    readonly absent: true;
  }
  : { readonly get: true };
type MemberTable<P> = { readonly [K in keyof P]-?: Member<P, K> };

const buf = new Uint8Array(16);
const callback = (_arg: unknown) => {};

const HOST_MEMBERS: MemberTable<HostPort> = {
  platform: { get: true },
  read32: { args: [0x1c] },
  write32: { args: [0x14, 0x460001], void: true },
  read64: { args: [0x0] },
  write64: { args: [0x28, 0x1_0000_2000n], void: true },
  mmioRead: { args: [0x1d, 1] },
  mmioWrite: { args: [0x1e, 2, 0xbeef], void: true },
  configRead: { args: [0x04, 2] },
  configWrite: { args: [0x04, 2, 0x0006], void: true },
  allocate: { args: [4096, 512] },
  free: { args: [0x1_0000_0000], void: true },
  dmaMap: { args: [0x1_0000_1000, 8192, "read"], void: true },
  dmaUnmap: { args: [0x1_0000_1000, 8192], void: true },
  memRead: { args: [0x1_0000_3000, buf, 2, 8], void: true },
  memWrite: { args: [0x1_0000_4000, buf, 3, 9], void: true },
  memFill: { args: [0x1_0000_5000, 64, 0xa5], void: true },
  memReadU32: { args: [0x1_0000_6000] },
  memWriteU32: { args: [0x1_0000_6004, 0xdead_beef], void: true },
  memReadU64: { args: [0x1_0000_6008] },
  memWriteU64: { args: [0x1_0000_6010, 2 ** 40 + 7], void: true },
  setupInterrupts: { args: ["msix"] },
  waitForInterrupt: { args: [[0, 3], 1_000_000] },
  takeInterrupt: { args: [5] },
  now: { args: [] },
  sleep: { args: [1_500], void: true },
  poll: { args: [], void: true },
  counters: { get: true },
  trace: { get: true },
  findings: { get: true },
};

const DEVICE_MEMBERS: MemberTable<DevicePort> = {
  functionIndex: { get: true },
  now: { args: [] },
  schedule: { args: [250, callback, "arg"] },
  cancel: { args: [42] },
  dmaRead: { args: [0x1_0000_7000, buf, 1, 12] },
  dmaWrite: { args: [0x1_0000_8000, buf, 4, 6] },
  // Left out on purpose: the controller then fetches SQEs and posts CQEs through dmaRead and
  // dmaWrite, where a wrapper intercepting DMA sees them (controller/queue_engine.ts #fetch/#post).
  dmaReadWords: { absent: true },
  dmaWriteWords: { absent: true },
  dmaReadU32: { args: [0x1_0000_9000] },
  dmaReadU64: { args: [0x1_0000_9008] },
  dmaWriteU32: { args: [0x1_0000_9010, 0x1234_5678] },
  dmaWriteU64: { args: [0x1_0000_9018, 2 ** 45 + 3] },
  msixEnabled: { get: true },
  busMasterEnabled: { get: true },
  msixNotify: { args: [7], void: true },
  setIntx: { args: [true], void: true },
  counters: { get: true },
  trace: { get: true },
  findings: { get: true },
};

interface Recorded {
  readonly member: string;
  readonly args?: readonly unknown[];
}

/** A fake inner port: every member in `table` exists (a value, or a method), records each use,
 * and answers with a result unique to that member. */
function recordingPort<P>(table: MemberTable<P>) {
  const log: Recorded[] = [];
  const results = new Map<string, object>();
  const port: Record<string, unknown> = {};
  for (const [member, kind] of Object.entries(table)) {
    const result = { resultOf: member };
    results.set(member, result);
    if ("get" in (kind as object)) {
      Object.defineProperty(port, member, {
        get: () => (log.push({ member }), result),
      });
    } else {
      port[member] = (...args: unknown[]) => (log.push({ member, args }), result);
    }
  }
  return { port: port as P, log, results };
}

/** Uses every member of `table` through `wrap(inner)` and checks it reached `inner` unchanged. */
function assertForwardsEveryMember<P>(table: MemberTable<P>, wrap: (inner: P) => P): void {
  const { port: inner, log, results } = recordingPort(table);
  const outer = wrap(inner) as Record<string, unknown>;
  for (const [member, kind] of Object.entries(table) as [string, object][]) {
    log.length = 0;
    if ("absent" in kind) {
      assert(!(member in outer), `${member} is exposed`);
      continue;
    }
    let got: unknown;
    if ("get" in kind) got = outer[member];
    else {
      const args = (kind as { args: unknown[] }).args;
      got = (outer[member] as (...a: unknown[]) => unknown)(...args);
    }
    const result = "void" in kind ? undefined : results.get(member);
    assertStrictEquals(got, result, `${member}: the inner port's result`);
    assertEquals(
      log,
      "get" in kind ? [{ member }] : [{ member, args: (kind as { args: unknown[] }).args }],
      `${member}: what the inner port saw`,
    );
  }
}

/** Public members a class defines on its prototype (the constructor excluded). */
function prototypeMembers(cls: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(cls.prototype).filter((m) => m !== "constructor").sort();
}

Deno.test("ForwardingHostPort forwards every HostPort member with its arguments and result", () => {
  assertForwardsEveryMember(HOST_MEMBERS, (inner) => new ForwardingHostPort(inner));
});

Deno.test("ForwardingDevicePort forwards every DevicePort member but the word fast paths", () => {
  assertForwardsEveryMember(DEVICE_MEMBERS, (inner) => new ForwardingDevicePort(inner));
});

Deno.test("the forwarding ports define exactly the interface members, nothing else", () => {
  const present = (table: object) =>
    Object.entries(table).filter(([, k]) => !("absent" in k)).map(([m]) => m).sort();
  assertEquals(prototypeMembers(ForwardingHostPort), present(HOST_MEMBERS));
  assertEquals(prototypeMembers(ForwardingDevicePort), present(DEVICE_MEMBERS));
});

Deno.test("a subclass overrides one member and inherits the others", () => {
  class Doubling extends ForwardingDevicePort {
    override dmaReadU32(addr: number): number {
      return 2 * this.inner.dmaReadU32(addr);
    }
  }
  const { port: inner, log } = recordingPort(DEVICE_MEMBERS);
  const calls: number[] = [];
  inner.dmaReadU32 = (addr) => (calls.push(addr), 21);
  const port = new Doubling(inner);
  assertEquals(port.dmaReadU32(0x40), 42);
  assertEquals(calls, [0x40]);
  port.msixNotify(2);
  assertEquals(log, [{ member: "msixNotify", args: [2] }]);
});
