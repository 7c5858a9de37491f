import { assert, assertEquals } from "@std/assert";
import { NvmeController } from "../../controller/controller.ts";
import { Machine } from "../../platform/machine.ts";
import { CaseFailure } from "../../conformance/case.ts";
import type { TargetSession } from "../../conformance/target.ts";
import { qemuAvailable } from "../../platform/qtest/available.ts";
import { observeController, referenceSideFactory } from "./qemu_like.ts";
import { differentialText } from "./report.ts";
import { runDifferential } from "./run.ts";

const observed = observeController(new Machine().attach(new NvmeController()));

Deno.test("differential: the reference against itself never diverges", () => {
  const r = runDifferential({
    seed: 5,
    runs: 60,
    length: 16,
    sides: { observed, other: referenceSideFactory(observed), otherName: "reference-copy" },
  });
  assertEquals(r.status, "pass");
  assertEquals(r.divergences, 0);
  assertEquals(r.sequences, 60);
  assert(r.commands >= 60);
});

for (const mutant of ["write-data-dropped", "mdts-not-enforced"] as const) {
  Deno.test(`differential: a seeded bug (${mutant}) diverges and is shrunk`, () => {
    const r = runDifferential({
      seed: 9,
      runs: 300,
      length: 16,
      sides: {
        observed,
        other: referenceSideFactory(observed, { mutants: [mutant] }),
        otherName: "mutant",
      },
    });
    assertEquals(r.status, "fail");
    assert(r.path !== null);
    assert(r.steps.length <= 2, `shrunk to ${r.steps.length} steps:\n${differentialText(r)}`);
    assert(r.counterexample.some((d) => d.deviation === null));
    // The recorded seed and path replay exactly that counterexample.
    const again = runDifferential({
      seed: r.seed,
      path: r.path!,
      length: 16,
      sides: {
        observed,
        other: referenceSideFactory(observed, { mutants: [mutant] }),
        otherName: "mutant",
      },
    });
    assertEquals(again.status, "fail");
    assertEquals(again.steps.map((s) => s.command), r.steps.map((s) => s.command));
  });
}

/** Sessions of the reference whose HostPort throws `fault()` from the `after`-th register read on
 * (counted across sessions, like a QEMU process that died and stays dead). */
function failingSide(after: number, fault: () => Error): () => TargetSession {
  let reads = 0;
  const open = referenceSideFactory(observed);
  return () => {
    const s = open();
    const host = new Proxy(s.host, {
      get(t, p) {
        const v = Reflect.get(t, p, t);
        if (p === "read32" && ++reads > after) {
          return () => {
            throw fault();
          };
        }
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    return { host, close: s.close };
  };
}

Deno.test("differential: a side that throws ends the run with an error, never a pass", () => {
  const r = runDifferential({
    seed: 5,
    runs: 20,
    length: 8,
    sides: { observed, otherName: "dies", other: failingSide(500, () => new Error("qemu died")) },
  });
  assertEquals(r.status, "error");
  assertEquals(r.error, "Error: qemu died");
  assert(r.path !== null);
  assert(differentialText(r).includes("qemu died"), differentialText(r));
});

Deno.test("differential: a side that cannot reach the start state is a divergence", () => {
  const r = runDifferential({
    seed: 5,
    runs: 20,
    length: 8,
    sides: {
      observed,
      otherName: "stuck",
      other: failingSide(500, () => new CaseFailure("controller not ready")),
    },
  });
  assertEquals(r.status, "fail", differentialText(r));
  const side = r.counterexample.find((d) => d.field === "side");
  assert(side && side.deviation === null, differentialText(r));
  assert(side.other.includes("controller not ready"), side.other);
});

const qemu = qemuAvailable();
if (!qemu.ok) console.log(`differential QEMU test skipped: ${qemu.reason}`);

Deno.test({
  name: "differential: QEMU 7.2 shows no unregistered divergence over 300 sequences",
  ignore: !qemu.ok,
  fn() {
    const r = runDifferential({ seed: 20261122, runs: 300, length: 24 });
    assertEquals(r.sequences, 300);
    assertEquals(r.unregistered, 0, differentialText(r));
    assertEquals(r.status, "pass", differentialText(r));
    assert(r.divergences > 0, "QEMU differs from the reference in registered ways");
  },
});
