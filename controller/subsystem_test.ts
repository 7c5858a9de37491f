import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { flbasFor, formatIndex, IdentifyNamespace } from "../spec/identify_namespace.ts";
import { Status } from "../spec/status.ts";
import { ChangedNamespaceLog } from "./changed_ns_log.ts";
import { NSID_BROADCAST } from "./namespace.ts";
import {
  DEFAULT_MAX_NAMESPACES,
  type NamespaceChangeListener,
  NamespaceManagementError,
  NvmSubsystem,
  SubsystemConfigError,
} from "./subsystem.ts";

/** A stand-in controller: a Changed Namespace List and a count of Namespace Attribute AERs. */
class FakeController implements NamespaceChangeListener {
  readonly log = new ChangedNamespaceLog();
  aens = 0;
  constructor(readonly cntlid: number) {}
  notifyNamespaceChanged(nsids: number[]): void {
    this.log.addAll(nsids);
    this.aens++;
  }
}

function setup(n: number, options = {}) {
  const sub = new NvmSubsystem({ namespaces: [], ...options });
  const ctrls = Array.from({ length: n }, (_, i) => new FakeController(i + 1));
  for (const c of ctrls) sub.registerController(c);
  return { sub, ctrls };
}

function statusOf(f: () => unknown): number {
  return assertThrows(f, NamespaceManagementError).status;
}

Deno.test("NvmSubsystem", async (t) => {
  await t.step(
    "defaults: identity, NN 1024, one private 1 GiB namespace on the first controller",
    () => {
      const sub = new NvmSubsystem();
      assertEquals(sub.nqn, "nqn.2026-11.dev.nvme-harness:sub-NHSIM0001");
      assertEquals([sub.serial, sub.maxNamespaces, sub.writeCacheEnabled], [
        "NHSIM0001",
        DEFAULT_MAX_NAMESPACES,
        true,
      ]);
      const a = new FakeController(sub.nextFreeCntlid());
      sub.registerController(a);
      const b = new FakeController(sub.nextFreeCntlid());
      sub.registerController(b);
      assertEquals([a.cntlid, b.cntlid], [1, 2]);
      assertEquals(sub.activeNamespaces(1), [1]);
      assertEquals(sub.activeNamespaces(2), []);
      const ns = sub.namespace(1)!;
      assertEquals([ns.nsze, ns.blockSize, ns.shared, ns.media.writeCacheEnabled], [
        2 ** 21,
        512,
        false,
        true,
      ]);
      assertEquals(a.aens, 0, "power-on attachment raises no event");
    },
  );

  await t.step("create allocates the lowest free NSID, unattached", () => {
    const { sub } = setup(1);
    const sizes = [8, 16, 32].map((nsze) => sub.createNamespace({ nsze: BigInt(nsze) }).nsid);
    assertEquals(sizes, [1, 2, 3]);
    sub.deleteNamespace(2);
    assertEquals(sub.createNamespace({ nsze: 8 }).nsid, 2);
    assertEquals(sub.activeNamespaces(1), []);
    assertEquals(sub.allocatedNamespaces(), [1, 2, 3]);
  });

  await t.step("create honours FLBAS and NMIC and reports them in Identify", () => {
    const { sub } = setup(1);
    const ns = sub.createNamespace({ nsze: 100n, ncap: 100n, flbas: flbasFor(1), nmic: 1 });
    const id = IdentifyNamespace.decode(ns.identify(new Uint8Array(4096)));
    assertEquals([formatIndex(id.flbas), id.nmic, id.nsze], [1, 1, 100n]);
    assertEquals(sub.unallocatedCapacityBytes, sub.totalCapacityBytes - 100 * 4096);
  });

  await t.step("create errors carry their status", () => {
    const { sub } = setup(1, { maxNamespaces: 2, totalCapacityBytes: 1 << 20 });
    assertEquals(statusOf(() => sub.createNamespace({ nsze: 0n })), Status.INVALID_FIELD);
    assertEquals(statusOf(() => sub.createNamespace({ nsze: 8, ncap: 9 })), Status.INVALID_FIELD);
    assertEquals(statusOf(() => sub.createNamespace({ nsze: 8, nmic: 2 })), Status.INVALID_FIELD);
    assertEquals(statusOf(() => sub.createNamespace({ nsze: 8, flbas: 2 })), Status.INVALID_FORMAT);
    assertEquals(
      statusOf(() => sub.createNamespace({ nsze: 8, ncap: 4 })),
      Status.THIN_PROVISIONING_NOT_SUPPORTED,
    );
    assertEquals(
      statusOf(() => sub.createNamespace({ nsze: 2049 })), // 2049 × 512 > 1 MiB
      Status.NAMESPACE_INSUFFICIENT_CAPACITY,
    );
    sub.createNamespace({ nsze: 1024 });
    sub.createNamespace({ nsze: 8 });
    assertEquals(
      statusOf(() => sub.createNamespace({ nsze: 8 })),
      Status.NAMESPACE_ID_UNAVAILABLE,
    );
    sub.deleteNamespace(1);
    assertEquals(sub.createNamespace({ nsze: 2040 }).nsid, 1, "capacity is returned on delete");
  });

  await t.step("thin provisioning, when enabled, accepts NCAP < NSZE", () => {
    const { sub } = setup(1, { thinProvisioning: true });
    const ns = sub.createNamespace({ nsze: 100, ncap: 10 });
    assertEquals([ns.nsze, ns.ncap, ns.capacityBytes], [100, 10, 5120]);
  });

  await t.step("attach and detach notify each affected controller", () => {
    const { sub, ctrls: [a, b, c] } = setup(3);
    const ns = sub.createNamespace({ nsze: 8, nmic: 1 });
    sub.attach(ns.nsid, [1, 2]);
    assertEquals(sub.attachedControllers(ns.nsid), [1, 2]);
    assertEquals([sub.activeNamespaces(1), sub.activeNamespaces(3)], [[1], []]);
    assertEquals([a.aens, b.aens, c.aens], [1, 1, 0]);
    assertEquals(a.log.read(), [1]);
    sub.detach(ns.nsid, [2]);
    assertEquals([b.aens, b.log.read()], [2, [1]]);
    assertEquals(sub.activeNamespaces(2), []);
  });

  await t.step(
    "attach/detach errors: already attached, private, not attached, list invalid",
    () => {
      const { sub, ctrls } = setup(2);
      const priv = sub.createNamespace({ nsze: 8 }).nsid;
      const shared = sub.createNamespace({ nsze: 8, nmic: 1 }).nsid;
      sub.attach(priv, [1]);
      assertEquals(statusOf(() => sub.attach(priv, [1])), Status.NAMESPACE_ALREADY_ATTACHED);
      assertEquals(statusOf(() => sub.attach(priv, [2])), Status.NAMESPACE_IS_PRIVATE);
      assertEquals(statusOf(() => sub.attach(shared, [])), Status.CONTROLLER_LIST_INVALID);
      assertEquals(statusOf(() => sub.attach(shared, [1, 1])), Status.CONTROLLER_LIST_INVALID);
      assertEquals(statusOf(() => sub.attach(shared, [1, 9])), Status.CONTROLLER_LIST_INVALID);
      assertEquals(statusOf(() => sub.detach(shared, [1])), Status.NAMESPACE_NOT_ATTACHED);
      assertEquals(statusOf(() => sub.attach(0, [1])), Status.INVALID_NAMESPACE);
      assertEquals(statusOf(() => sub.attach(5000, [1])), Status.INVALID_NAMESPACE);
      assertEquals(statusOf(() => sub.attach(7, [1])), Status.INVALID_FIELD);
      assertEquals(statusOf(() => sub.attach(NSID_BROADCAST, [1])), Status.INVALID_FIELD);
      // All or nothing: a failing list changes nothing and notifies nobody.
      assertEquals(statusOf(() => sub.attach(shared, [2, 1, 3])), Status.CONTROLLER_LIST_INVALID);
      assertEquals(sub.attachedControllers(shared), []);
      assertEquals(ctrls.map((c) => c.aens), [1, 0]);
    },
  );

  await t.step("delete detaches from every controller; FFFFFFFFh deletes all", () => {
    const { sub, ctrls: [a, b] } = setup(2);
    for (let i = 0; i < 3; i++) sub.createNamespace({ nsze: 8, nmic: 1 });
    sub.attach(1, [1, 2]);
    sub.attach(3, [1]);
    a.log.clear();
    b.log.clear();
    assertEquals(sub.deleteNamespace(1), [1]);
    assertEquals([a.log.read(), b.log.read()], [[1], [1]]);
    assertEquals(statusOf(() => sub.deleteNamespace(1)), Status.INVALID_FIELD);
    assertEquals(statusOf(() => sub.deleteNamespace(0)), Status.INVALID_NAMESPACE);
    const aensBefore = b.aens;
    assertEquals(sub.deleteNamespace(NSID_BROADCAST), [2, 3]);
    assertEquals([a.log.read(), b.aens], [[3], aensBefore]);
    assertEquals([sub.allocatedNamespaces(), sub.activeNamespaces(1)], [[], []]);
  });

  await t.step("write cache, flush-all and power loss apply to every namespace", () => {
    const { sub } = setup(1, { writeCacheEnabled: true });
    const x = sub.createNamespace({ nsze: 4 });
    const y = sub.createNamespace({ nsze: 4 });
    const data = new Uint8Array(512).fill(9);
    x.media.write(0, 1, data, 0);
    y.media.write(0, 1, data, 0);
    sub.flushAll();
    x.media.write(1, 1, data, 0);
    sub.powerLoss();
    assertEquals([x.media.allocatedBlocks(), y.media.allocatedBlocks()], [1, 1]);
    sub.setWriteCacheEnabled(false);
    assertEquals([
      x.media.writeCacheEnabled,
      sub.createNamespace({ nsze: 1 }).media.writeCacheEnabled,
    ], [
      false,
      false,
    ]);
  });

  await t.step("rejects impossible configurations and registrations", () => {
    assertThrows(() => new NvmSubsystem({ serial: "x".repeat(21) }), SubsystemConfigError, "20");
    assertThrows(() => new NvmSubsystem({ maxNamespaces: 0 }), SubsystemConfigError);
    assertThrows(
      () => new NvmSubsystem({ namespaces: [{ nsze: 2n ** 40n }], totalCapacityBytes: 2 ** 30 }),
      SubsystemConfigError,
      "initial namespace",
    );
    const { sub } = setup(1);
    assertThrows(
      () => sub.registerController(new FakeController(1)),
      SubsystemConfigError,
      "taken",
    );
    assertThrows(() => sub.registerController(new FakeController(0xfff0)), SubsystemConfigError);
  });

  await t.step("more than 1024 changed namespaces saturate a controller's log", () => {
    const { sub, ctrls: [a] } = setup(1, { maxNamespaces: 2000 });
    for (let i = 1; i <= 1025; i++) sub.attach(sub.createNamespace({ nsze: 1 }).nsid, [1]);
    assertEquals([a.aens, a.log.read()], [1025, [0xffff_ffff]]);
  });

  await t.step("identifiers differ across delete and re-create of the same NSID", () => {
    const { sub } = setup(1);
    const first = sub.createNamespace({ nsze: 8 }).nguid;
    sub.deleteNamespace(1);
    assertEquals(sub.createNamespace({ nsze: 8 }).nguid.join() === first.join(), false);
  });
});

type Action = { attach: boolean; nsid: number; list: number[] };

Deno.test("NvmSubsystem property: attachments match a model; each change notifies once", () => {
  const action: fc.Arbitrary<Action> = fc.record({
    attach: fc.boolean(),
    nsid: fc.integer({ min: 1, max: 4 }),
    list: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  });
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      fc.array(action),
      (sh, acts) => {
        const { sub, ctrls } = setup(3);
        for (const s of sh) sub.createNamespace({ nsze: 1, nmic: s ? 1 : 0 });
        const model = new Map<number, Set<number>>([1, 2, 3].map((n) => [n, new Set()]));
        for (const a of acts) {
          const before = ctrls.map((c) => c.aens);
          const set = model.get(a.nsid);
          let want: number = Status.SUCCESS;
          if (set === undefined) want = Status.INVALID_FIELD;
          else if (a.attach && a.list.some((c) => set.has(c))) {
            want = Status.NAMESPACE_ALREADY_ATTACHED;
          } else if (
            a.attach && !sh[a.nsid - 1] && set.size + a.list.length > 1
          ) {
            want = Status.NAMESPACE_IS_PRIVATE;
          } else if (!a.attach && a.list.some((c) => !set.has(c))) {
            want = Status.NAMESPACE_NOT_ATTACHED;
          }
          let got: number = Status.SUCCESS;
          try {
            a.attach ? sub.attach(a.nsid, a.list) : sub.detach(a.nsid, a.list);
          } catch (e) {
            if (!(e instanceof NamespaceManagementError)) throw e;
            got = e.status;
          }
          assertEquals(got, want);
          if (got === Status.SUCCESS) {
            for (const c of a.list) a.attach ? set!.add(c) : set!.delete(c);
          }
          for (const c of ctrls) {
            const notified = got === Status.SUCCESS && a.list.includes(c.cntlid) ? 1 : 0;
            assertEquals(c.aens - before[c.cntlid - 1], notified);
            const active = [...model].filter(([, s]) => s.has(c.cntlid)).map(([n]) => n);
            assertEquals(sub.activeNamespaces(c.cntlid), active);
          }
        }
      },
    ),
  );
});
