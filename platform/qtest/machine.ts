/**
 * Starts a QEMU NVMe machine and hands back its {@linkcode QtestHostPort}: spawns QEMU (see
 * `process.ts`), guards it with the watchdog, turns on INTx observation, enables ECAM, finds the
 * NVMe function, sizes and places BAR0 (Memory Space on, Bus Master off, as firmware leaves it),
 * and reserves guest RAM: the MSI-X words at 1 MiB, host buffers from 2 MiB to the end of RAM.
 *
 * @example Read CAP.MQES from QEMU's controller (needs QEMU ≥ 7.2 and --allow-run)
 * ```ts ignore
 * import { startQemu } from "./machine.ts";
 * const m = startQemu({ serial: "doc" });
 * try {
 *   console.log("MQES", Number(m.host.read64(0) & 0xffffn));
 * } finally {
 *   m.close();
 * }
 * ```
 *
 * @module
 */

import { PlatformError } from "../errors.ts";
import { MsixCapability, PciCapabilityId } from "../pci_config.ts";
import { CAP, decodeRegister, RegisterOffset } from "../../spec/registers.ts";
import { QtestClient } from "./client.ts";
import { QemuStartError, QemuUnavailableError } from "./errors.ts";
import { qemuAvailable } from "./available.ts";
import { QtestHostPort } from "./host_port.ts";
import { MSIX_WORD_BYTES } from "./interrupts.ts";
import { type QemuOptions, resolveQemuOptions } from "./options.ts";
import { BAR0_BASE, QtestPci } from "./pci.ts";
import { QemuProcess } from "./process.ts";

const MIB = 2 ** 20;
/** Guest address of the MSI-X word array (above legacy VGA/BIOS space). */
export const MSIX_WORDS_BASE = 1 * MIB;
/** First guest address handed out for host buffers. */
export const ALLOC_BASE = 2 * MIB;
/** qtest path of the IOAPIC whose inputs are intercepted (libqos does the same, reference §10). */
const IOAPIC_PATH = "ioapic";

/** A started QEMU machine. */
export interface QemuMachine {
  /** The HostPort drivers and cases use. */
  readonly host: QtestHostPort;
  /** QEMU's pid. */
  readonly pid: number;
  /** Wall-clock ms from spawn until the machine was ready. */
  readonly startMs: number;
  /** Settles with QEMU's exit status once it ended (for callers that can await, e.g. tests). */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Everything QEMU wrote to stderr so far. */
  stderr(): string;
  /** Every line QEMU's own trace wrote so far (empty unless `trace`/`qemuTrace` was given); after
   * `close()`, every line it wrote. Parse them with `parseQemuLogLine` (`qemu_trace_log.ts`). */
  readTrace(): string[];
  /** PCIe Function Level Reset through the PCI Express capability, then firmware setup again. */
  functionLevelReset(): void;
  /** Forwards QEMU's last trace lines to the host's trace sinks, then kills QEMU. Nothing is left
   * on disk except a trace file the caller named (`trace.file`). Idempotent. */
  close(): void;
}

/** Starts QEMU with `options`. Throws {@linkcode QemuUnavailableError} when the binary is missing
 * or older than 7.2, {@linkcode QemuStartError} (with QEMU's stderr) when it does not start. */
export function startQemu(options: QemuOptions = {}): QemuMachine {
  const o = resolveQemuOptions(options);
  const available = qemuAvailable(o.binary); // cached: one `--version` per binary and process
  if (!available.ok) throw new QemuUnavailableError(available.reason);
  const t0 = performance.now();
  const proc = new QemuProcess(o);
  let host: QtestHostPort | undefined;
  const close = () => {
    if (host !== undefined && !proc.killed) {
      try {
        host.drainQemuTrace();
      } catch {
        // a sink threw: still kill QEMU
      }
    }
    proc.kill();
  };
  try {
    const q = new QtestClient(proc, o.watchdogMs);
    // The first reply comes once QEMU reached its main loop (media open): allow the start time.
    let endian: string;
    try {
      endian = q.command("endianness", o.startTimeoutMs);
    } catch (e) {
      throw new QemuStartError(
        `QEMU (${o.binary}) did not start: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    proc.started();
    if (endian !== "little") throw new QemuStartError(`qtest endianness "${endian}", not little`);
    let intx = true;
    try {
      q.command(`irq_intercept_in ${IOAPIC_PATH}`);
    } catch {
      intx = false; // INTx cannot be observed; setupInterrupts("intx") returns 0
    }
    const pci = new QtestPci(q);
    pci.enableEcam();
    const devfn = pci.findNvme();
    const bar0Size = pci.sizeBar0(devfn);
    pci.applyFirmware(devfn, BAR0_BASE);
    const cap = decodeRegister(CAP, q.readq(BAR0_BASE + RegisterOffset.CAP));
    const msix = pci.findCapability(devfn, PciCapabilityId.MSIX);
    const control = msix === 0 ? 0 : pci.read(devfn, msix + MsixCapability.CONTROL, 2);
    const vectors = msix === 0 ? 0 : (control & MsixCapability.CONTROL_TABLE_SIZE) + 1;
    host = new QtestHostPort(q, pci, {
      devfn,
      bar0: BAR0_BASE,
      bar0Size,
      dstrd: cap.dstrd,
      msixWords: MSIX_WORDS_BASE,
      msixWordCount: Math.min(vectors, (ALLOC_BASE - MSIX_WORDS_BASE) / MSIX_WORD_BYTES),
      allocBase: ALLOC_BASE,
      allocLimit: o.memoryMiB * MIB,
      maxWaitMs: o.maxWaitMs,
      intx,
    });
    host.qemuTraceLines = () => proc.traceLines();
    const port = host;
    const startMs = performance.now() - t0;
    return {
      host: port,
      pid: proc.pid,
      startMs,
      exited: proc.status,
      stderr: () => proc.stderr(),
      readTrace: () => proc.readTrace(),
      functionLevelReset() {
        if (!pci.functionLevelReset(devfn)) {
          throw new PlatformError("the NVMe function does not offer FLR (DEVCAP.FLR = 0)");
        }
        pci.applyFirmware(devfn, BAR0_BASE);
        port.functionWasReset();
      },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
