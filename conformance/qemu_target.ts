/**
 * QEMU's emulated NVMe controller (`qemu-system-x86_64 -device nvme`) as a conformance target.
 * Every session is a fresh QEMU process: about 50 ms to start and kill on a 2-vCPU machine, so
 * roughly 15 s of a ~50 s suite run (three cases wait out QEMU's 7.5 s CAP.TO; that is most of the
 * rest). A fresh process is the only exact state reset — a controller reset keeps feature values
 * and media, an FLR keeps media, and no QMP `system_reset` is wired — and it isolates a case that
 * crashes or hangs QEMU from every other case. The target carries the QEMU 7.2 deviation registry
 * (`qemu_deviations.ts`).
 *
 * Sessions support `functionLevelReset` (PCIe FLR through the PCI Express capability) but not
 * `powerLoss`: QEMU cannot drop its volatile write cache on demand, so the power-loss cases skip.
 *
 * @example Wire `--target qemu` (skip when QEMU is missing)
 * ```ts ignore
 * import { qemuAvailable, qemuTarget } from "./qemu_target.ts";
 * import { runSuite } from "./runner.ts";
 * import { ALL_CASES } from "./registry.ts";
 * const ok = qemuAvailable();
 * if (!ok.ok) throw new Error(ok.reason);
 * const report = runSuite(qemuTarget(), ALL_CASES);
 * console.log(report.summary);
 * ```
 *
 * @module
 */

import { type QemuAvailability, qemuAvailable } from "../platform/qtest/available.ts";
import { startQemu } from "../platform/qtest/machine.ts";
import { type QemuOptions, resolveQemuOptions } from "../platform/qtest/options.ts";
import { QEMU_7_2_DEVIATIONS } from "./qemu_deviations.ts";
import type { Target, TargetModule, TargetSession } from "./target.ts";

export { type QemuAvailability, qemuAvailable };

/** Options of {@linkcode qemuTarget}: the machine's, plus the target's name. */
export interface QemuTargetOptions extends QemuOptions {
  /** Target name in reports (default "qemu"). */
  readonly name?: string;
}

/** The QEMU minor series the deviation registry was built against. */
export const DEVIATIONS_QEMU_SERIES = "7.2";

/**
 * QEMU as a {@linkcode Target}. Throws nothing itself; `open()` throws (with QEMU's stderr) when
 * QEMU cannot start — check {@linkcode qemuAvailable} first for a clean message.
 */
export function qemuTarget(options: QemuTargetOptions = {}): Target {
  const { name = "qemu", ...machine } = options;
  const resolved = resolveQemuOptions(machine); // validate now, not at the first open()
  const found = qemuAvailable(resolved.binary);
  const version = found.ok ? `QEMU ${found.version.text}` : `QEMU (${found.reason})`;
  const series = found.ok && `${found.version.major}.${found.version.minor}`;
  const registryNote = series === DEVIATIONS_QEMU_SERIES
    ? ""
    : `; deviation registry written for QEMU ${DEVIATIONS_QEMU_SERIES}`;
  return {
    name,
    description: `${version} emulated NVMe (${resolved.binary} -M q35 -device nvme, qtest, ` +
      `fresh process per session)${registryNote}`,
    deviations: QEMU_7_2_DEVIATIONS,
    open(): TargetSession {
      const m = startQemu(machine);
      return {
        host: m.host,
        close: () => m.close(),
        functionLevelReset: () => m.functionLevelReset(),
      };
    },
  };
}

/** The target-module entry point, so `--target ./conformance/qemu_target.ts` works too; options
 * are {@linkcode QemuTargetOptions}. */
export const createTarget: TargetModule["createTarget"] = (options = {}): Target =>
  qemuTarget(options as QemuTargetOptions);
