import { assert, assertEquals } from "@std/assert";
import { NvmeController } from "../../controller/controller.ts";
import { Machine } from "../../platform/machine.ts";
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
