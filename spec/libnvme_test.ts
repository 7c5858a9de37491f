import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  byLibnvmeStruct,
  compareWithLibnvme,
  expectedMembers,
  formatLayout,
  generateProbeSource,
  type LibnvmeLayout,
  LibnvmeProbeError,
  loadCatalogue,
  probeAvailable,
  readFixture,
  REGENERATE_COMMAND,
  runProbe,
  type StructShape,
} from "./libnvme_probe.ts";
import { DATA_STRUCTURES } from "./_catalog_data.ts";
import { ErrorInformationLogEntry } from "./error_log.ts";
import { FirmwareSlotLog } from "./fw_slot_log.ts";
import { defineStruct, rsvd, u16, u8 } from "./struct.ts";

const catalogue = await loadCatalogue();
const live = await probeAvailable();
const mode = live
  ? "live gcc probe of /usr/include/nvme/types.h, and the fixture"
  : "FIXTURE ONLY: gcc or /usr/include/nvme/types.h unavailable (not installed or no --allow-run)";

Deno.test(`libnvme cross-check (${mode})`, async (t) => {
  // deno-lint-ignore no-console
  console.log(
    `libnvme cross-check: ${mode}; structures from ${catalogue.sources.join(" + ")}`,
  );
  const fixture = await readFixture();
  const probed: LibnvmeLayout | null = live ? await runProbe(catalogue.structs) : null;
  const withLibnvme = catalogue.structs.filter((s) => s.libnvme);

  await t.step("every data structure is in the catalogue and has a libnvme struct", () => {
    for (const s of DATA_STRUCTURES) {
      assert(catalogue.structs.includes(s), `${s.name} is missing from the catalogue`);
      assert(s.libnvme, `${s.name} has no libnvme struct`);
    }
  });

  const sources: [string, LibnvmeLayout][] = probed
    ? [["live", probed], ["fixture", fixture]]
    : [["fixture", fixture]];
  for (const [label, layout] of sources) {
    for (const s of withLibnvme) {
      const n = expectedMembers(s).length;
      const what = `${n} field${n === 1 ? "" : "s"} + size`;
      await t.step(`${s.name} = struct ${s.libnvme} (${what}) [${label}]`, () => {
        assertEquals(compareWithLibnvme(s, layout), []);
      });
    }
  }

  await t.step({
    name: "the fixture matches the live probe",
    ignore: probed === null,
    fn: () => {
      assertEquals(
        probed!.structs,
        fixture.structs,
        `spec/testdata/libnvme_layout.json is stale: run \`${REGENERATE_COMMAND}\``,
      );
    },
  });

  await t.step("a one-byte shift is reported", () => {
    // AFI moved from byte 0 to byte 1, reserved bytes adjusted so the table still validates.
    const shifted = defineStruct("FirmwareSlotLogShifted", 512, [
      rsvd(0, 1),
      u8("afi", 1),
      rsvd(2, 6),
      ...FirmwareSlotLog.fields.filter((f) => f.offset >= 8),
    ], {
      section: "test",
      libnvme: "nvme_firmware_slot",
      libnvmeNames: FirmwareSlotLog.libnvmeNames,
    });
    assertEquals(compareWithLibnvme(shifted, fixture), [
      "FirmwareSlotLogShifted.afi: offset 1 but libnvme has 0",
    ]);
    // The same shift applied directly to a table (sqid at 9 instead of 8), and a width error.
    const direct: StructShape = {
      ...ErrorInformationLogEntry,
      name: "ErrorShifted",
      fields: ErrorInformationLogEntry.fields.map((f) =>
        f.name === "sqid" ? { ...f, offset: 9 } : f.name === "cmdid" ? { ...f, size: 4 } : f
      ),
    };
    assertEquals(compareWithLibnvme(direct, fixture), [
      "ErrorShifted.sqid: offset 9 but libnvme has 8",
      "ErrorShifted.cmdid: size 4 but libnvme has 2",
    ]);
  });

  await t.step("struct size, renames and unknown names are checked", () => {
    const psd = defineStruct("Psd", 32, [u16("mp", 0), rsvd(2, 30)], {
      section: "test",
      libnvme: "nvme_id_psd",
      libnvmeNames: { mpx: null },
    });
    assertEquals(compareWithLibnvme(psd, fixture), ['Psd: libnvmeNames names unknown field "mpx"']);
    const small = { ...psd, name: "Small", size: 16, libnvmeNames: {} };
    assertEquals(compareWithLibnvme(small, fixture), [
      "Small: size 16 but sizeof(struct nvme_id_psd) is 32",
    ]);
    const unknown = { ...small, name: "Nope", size: 32, libnvme: "nvme_nope" };
    assertStringIncludes(compareWithLibnvme(unknown, fixture)[0], "struct nvme_nope is not in");
    const renamed = { ...FirmwareSlotLog, libnvmeNames: {} };
    assertStringIncludes(
      compareWithLibnvme(renamed, fixture).join("\n"),
      "FirmwareSlotLog.frs1: not in the probe output",
    );
    assertEquals(
      expectedMembers(FirmwareSlotLog).map((e) => e.member),
      ["afi", "frs[0]", "frs[1]", "frs[2]", "frs[3]", "frs[4]", "frs[5]", "frs[6]"],
    );
  });

  await t.step("the probe source checks each member on its own line", () => {
    const probe = generateProbeSource([FirmwareSlotLog]);
    assertStringIncludes(probe.source, "offsetof(struct nvme_firmware_slot, frs[6])");
    assertStringIncludes(probe.source, "sizeof(struct nvme_firmware_slot)");
    assertEquals(
      [...probe.lines.values()].map((l) => l.member),
      [null, "afi", "frs[0]", "frs[1]", "frs[2]", "frs[3]", "frs[4]", "frs[5]", "frs[6]"],
    );
    assertEquals(byLibnvmeStruct(catalogue.structs).get("nvme_ns_list")?.length, 2);
    assertEquals(JSON.parse(formatLayout(fixture)), { ...fixture });
  });

  await t.step({
    name: "a field name libnvme does not know fails the compile and is named",
    ignore: probed === null,
    fn: async () => {
      const typo = defineStruct("Typo", 4, [u16("mpx", 0), rsvd(2, 1), u8("flags", 3)], {
        section: "test",
        libnvme: "nvme_id_psd",
      });
      const err = await assertRejects(() => runProbe([typo]), LibnvmeProbeError);
      assertStringIncludes(err.message, 'Typo.mpx: struct nvme_id_psd has no member "mpx"');
      assertStringIncludes(err.message, "libnvmeNames");
      const noStruct = { ...typo, name: "Ghost", libnvme: "nvme_ghost" };
      const err2 = await assertRejects(() => runProbe([noStruct]), LibnvmeProbeError);
      assertStringIncludes(err2.message, "Ghost: /usr/include/nvme/types.h does not define");
    },
  });
});
