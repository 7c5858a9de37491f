// Register map, register bit fields and status codes against libnvme's enums. Live when gcc and
// libnvme-dev's header are present (CI installs them), else against the committed fixture that
// the same probe produced; either way every expectation comes from our tables.

import { assertEquals } from "@std/assert";
import {
  ENUM_FIXTURE,
  type EnumExpectation,
  enumExpectations,
  type EnumProbeResult,
  runEnumProbe,
} from "./libnvme_enums.ts";
import { probeAvailable } from "./libnvme_probe.ts";

/**
 * Constants libnvme 1.3 (Debian bookworm) does not define. All are NVMe 2.0 additions (CMBEBS,
 * CMBSWTP, NSSD) or fields libnvme 1.3 leaves without SHIFT/MASK enums.
 */
const EXPECTED_MISSING = [
  "NVME_BPMBL_BMBBA_MASK",
  "NVME_BPMBL_BMBBA_SHIFT",
  "NVME_CMBEBS_CMBRBB_MASK",
  "NVME_CMBEBS_CMBRBB_SHIFT",
  "NVME_CMBEBS_CMBSZU_MASK",
  "NVME_CMBEBS_CMBSZU_SHIFT",
  "NVME_CMBEBS_CMBWBZ_MASK",
  "NVME_CMBEBS_CMBWBZ_SHIFT",
  "NVME_CMBSWTP_CMBSWTU_MASK",
  "NVME_CMBSWTP_CMBSWTU_SHIFT",
  "NVME_CMBSWTP_CMBSWTV_MASK",
  "NVME_CMBSWTP_CMBSWTV_SHIFT",
  "NVME_PMRCAP_PMRWBM_MASK",
  "NVME_PMRCAP_PMRWBM_SHIFT",
  "NVME_PMRMSCL_CBA_MASK",
  "NVME_PMRMSCL_CBA_SHIFT",
  "NVME_PMRMSCL_CMSE_MASK",
  "NVME_PMRMSCL_CMSE_SHIFT",
  "NVME_REG_CMBEBS",
  "NVME_REG_CMBSWTP",
  "NVME_REG_NSSD",
];

/**
 * Where libnvme 1.3 disagrees with the spec, with the reason we follow the spec. Each entry is
 * checked to still disagree, so a libnvme fix shows up as a test failure asking to remove it.
 */
const KNOWN_LIBNVME_DIFFERENCES: Record<string, { libnvme: number; why: string }> = {
  NVME_BPRSEL_BPROF_MASK: {
    libnvme: 0xfff,
    why: "Base 2.1 §3.1.4.14: BPROF is bits 29:10 (20 bits); libnvme 1.3 masks 12 bits",
  },
};

function compare(expect: EnumExpectation[], probe: EnumProbeResult): string[] {
  const problems: string[] = [];
  for (const e of expect) {
    const theirs = probe.values[e.name];
    const known = KNOWN_LIBNVME_DIFFERENCES[e.name];
    if (theirs === undefined) {
      if (!probe.missing.includes(e.name)) problems.push(`${e.name}: not probed`);
    } else if (known) {
      if (theirs !== known.libnvme) {
        problems.push(`${e.name}: known difference changed (${theirs})`);
      }
    } else if (theirs !== e.value) {
      problems.push(`${e.name} (${e.what}): ours ${e.value}, libnvme ${theirs}`);
    }
  }
  return problems;
}

const fixture = JSON.parse(Deno.readTextFileSync(ENUM_FIXTURE)) as EnumProbeResult;

Deno.test("libnvme enums: fixture agrees with our tables", () => {
  assertEquals(compare(enumExpectations(), fixture), []);
  assertEquals(fixture.missing, EXPECTED_MISSING);
});

Deno.test({
  name: "libnvme enums: live probe (gcc + nvme/types.h) agrees with our tables and the fixture",
  ignore: !(await probeAvailable()),
  async fn() {
    const live = await runEnumProbe(enumExpectations().map((e) => e.name));
    assertEquals(compare(enumExpectations(), live), []);
    assertEquals(live.missing, EXPECTED_MISSING);
    assertEquals(live, fixture, "regenerate the fixture: deno run -A spec/libnvme_enums.ts");
  },
});

// The check can fail: shift one register bit field by one bit and it reports exactly that.
Deno.test("libnvme enums: a one-bit shift in a register table is reported", () => {
  const shifted = enumExpectations().map((e) =>
    e.name === "NVME_CC_IOSQES_SHIFT" ? { ...e, value: e.value + 1 } : e
  );
  assertEquals(compare(shifted, fixture), [
    "NVME_CC_IOSQES_SHIFT (cc.iosqes shift): ours 17, libnvme 16",
  ]);
});
