/**
 * Every configurable value of the reference controller, with its documented default. Defaults
 * follow QEMU 7.2's emulated controller where it is a reasonable choice (so differential tests
 * start from the same shape) and the spec where QEMU deviates.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const o = resolveOptions({ mqes: 63 });
 * if (o.mqes !== 63 || o.maxIoQueuePairs !== 64) throw new Error();
 * ```
 *
 * @module
 */

import { type LatencyModel, validateLatencyModel } from "./latency.ts";
import { MUTANT_IDS, type MutantId } from "./mutants.ts";

/** How the controller publishes EventIdx with shadow doorbells (Doorbell Buffer Config). */
export type EventIdxPolicy = "interrupt" | "polling";

/** The controller's configuration. Every field has a default; see {@linkcode DEFAULT_OPTIONS}. */
export interface ControllerOptions {
  /** CAP.MQES: largest queue size the controller accepts, 0's based (default 2047 = 2048). */
  mqes: number;
  /** CAP.CQR: queues must be physically contiguous (default true). */
  cqr: boolean;
  /** CAP.AMS bit 0: weighted round robin with urgent class supported (default true). */
  wrr: boolean;
  /** CAP.TO in 500 ms units: worst-case time to RDY (default 15 = 7.5 s). */
  timeoutUnits: number;
  /** CAP.DSTRD: doorbell stride `4 << dstrd` bytes (default 0). */
  dstrd: number;
  /** CAP.NSSRS: NVM Subsystem Reset supported (default true). */
  nssrs: boolean;
  /** CAP.MPSMIN (default 0 = 4 KiB). */
  mpsmin: number;
  /** CAP.MPSMAX (default 4 = 64 KiB). */
  mpsmax: number;
  /** VS as [major, minor, tertiary] (default 2.1.0). */
  version: readonly [number, number, number];
  /**
   * CAP.CRMS: the controller ready modes supported (Base 2.1 §3.1.4.1). Default both (11b), so
   * CC.CRIME is read/write; with CRIMS = 0, CC.CRIME is read-only 0 (§3.1.4.5) and CRTO.CRIMT
   * reads 0 (§3.1.4.21). A VS ≥ 2.0 controller must set CRWMS. The controller does not model the
   * two ready modes apart: RDY follows `readyDelayNs` either way.
   */
  crms: { readonly crwms: boolean; readonly crims: boolean };
  /**
   * CRTO in 500 ms units (Base 2.1 §3.1.4.21); default CRWMT = CRIMT = TO. CRTO reads 0 without
   * CAP.CRMS.CRWMS, and CRIMT reads 0 without CAP.CRMS.CRIMS.
   */
  crto: { readonly crwmt: number; readonly crimt: number };
  /** Maximum I/O queue pairs granted by Number of Queues (default 64). */
  maxIoQueuePairs: number;
  /** MSI-X vectors (default 65: one for admin + 64). */
  msixVectors: number;
  /** Virtual time from CC.EN=1 to CSTS.RDY=1 (default 1 ms). */
  readyDelayNs: number;
  /** Virtual time from CC.EN=0 to CSTS.RDY=0 (default 100 µs). */
  disableDelayNs: number;
  /** Virtual time for shutdown processing (SHST occurring → complete) (default 1 ms). */
  shutdownDelayNs: number;
  /** Virtual time from a doorbell write until the controller looks at the queue (default 500 ns). */
  doorbellLatencyNs: number;
  /** Controller per-command processing time before completion (default 0). */
  commandLatencyNs: number;
  /**
   * One command worker, like QEMU's single main-loop thread (default false: commands are
   * processed in parallel and each completes `commandLatencyNs` plus its media time after it was
   * fetched). When true, commands are processed one after another, each occupying the worker for
   * `commandLatencyNs` from when the worker is free; media latency still overlaps (it is
   * asynchronous I/O). N commands fetched together then complete `commandLatencyNs` apart, so the
   * controller saturates at 1e9 / `commandLatencyNs` commands per second. The worker also runs
   * the queue pass: after a doorbell the SQs are looked at `doorbellLatencyNs` later or when the
   * worker has finished the commands it holds, whichever is later (QEMU's SQ bottom half waits
   * for its main loop too). Used by the sweep's device-bound anchor profile
   * (`bench/sweep_anchor.ts`).
   */
  serialCommandProcessing: boolean;
  /** Identify MDTS: max transfer 2^MDTS memory pages (CAP.MPSMIN); 0 = unlimited (default 7). */
  mdts: number;
  /** Identify AERL: outstanding AER limit, 0's based (default 3 = 4). */
  aerl: number;
  /**
   * Identify ACL: Abort Command Limit, the number of concurrently outstanding Abort commands,
   * 0's based (default 3 = 4; Base 2.1 §5.1.1, Identify Controller byte 258).
   */
  acl: number;
  /** Arbitration burst: commands fetched from one SQ per turn, log2 (default 0 = 1 command). */
  arbitrationBurst: number;
  /** CNTLID (default 0). */
  cntlid: number;
  /** Serial number (default "NVMEHARNESS0001"). */
  serial: string;
  /** Model number (default "nvme-harness reference controller"). */
  model: string;
  /** Firmware revision (default "0.1.0"). */
  firmware: string;
  /** EventIdx policy with shadow doorbells (default "interrupt"). */
  eventIdxPolicy: EventIdxPolicy;
  /** Advertise Doorbell Buffer Config in OACS (default true). */
  shadowDoorbells: boolean;
  /** Volatile write cache present (default true). */
  volatileWriteCache: boolean;
  /** SGL support advertised in SGLS: none, byte-aligned or dword-aligned (default "dword"). */
  sgl: "none" | "byte" | "dword";
  /** Media latency model for data commands (default none: media is instant). */
  latency: LatencyModel;
  /** Complete I/O without touching the media ("no-op I/O", for latency studies; default false). */
  noopIo: boolean;
  /** Shadow doorbell poll interval in the "polling" EventIdx policy (default 1 µs). */
  shadowPollIntervalNs: number;
  /**
   * Identify KAS: Keep Alive granularity in 100 ms units; 0 = Keep Alive not supported, so Set
   * Features Keep Alive Timer is refused (default 0). Non-zero enables the Keep Alive Timer
   * (keep_alive.ts).
   */
  kas: number;
  /**
   * Seeded bugs to switch on (mutants.ts), for showing that the conformance suite catches them
   * (default none: the reference controller).
   */
  mutants: readonly MutantId[];
}

/** The defaults. */
export const DEFAULT_OPTIONS: Readonly<ControllerOptions> = Object.freeze({
  mqes: 2047,
  cqr: true,
  wrr: true,
  timeoutUnits: 15,
  dstrd: 0,
  nssrs: true,
  mpsmin: 0,
  mpsmax: 4,
  version: [2, 1, 0] as const,
  crms: { crwms: true, crims: true },
  crto: { crwmt: 15, crimt: 15 },
  maxIoQueuePairs: 64,
  msixVectors: 65,
  readyDelayNs: 1_000_000,
  disableDelayNs: 100_000,
  shutdownDelayNs: 1_000_000,
  doorbellLatencyNs: 500,
  commandLatencyNs: 0,
  serialCommandProcessing: false,
  mdts: 7,
  aerl: 3,
  acl: 3,
  arbitrationBurst: 0,
  cntlid: 0,
  serial: "NVMEHARNESS0001",
  model: "nvme-harness reference controller",
  firmware: "0.1.0",
  eventIdxPolicy: "interrupt" as EventIdxPolicy,
  shadowDoorbells: true,
  volatileWriteCache: true,
  sgl: "dword" as const,
  latency: { kind: "none" } as LatencyModel,
  noopIo: false,
  shadowPollIntervalNs: 1_000,
  kas: 0,
  mutants: Object.freeze([]) as readonly MutantId[],
});

/** Thrown for a configuration the controller cannot represent. */
export class ControllerOptionsError extends RangeError {
  /** Creates the error; the message names the option and its valid range. */
  constructor(message: string) {
    super(message);
    this.name = "ControllerOptionsError";
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ControllerOptionsError(message);
}

/** Fills defaults and validates ranges (each error names the option and what is allowed). */
export function resolveOptions(partial: Partial<ControllerOptions> = {}): ControllerOptions {
  const o: ControllerOptions = { ...DEFAULT_OPTIONS, ...partial };
  check(Number.isInteger(o.mqes) && o.mqes >= 1 && o.mqes <= 0xffff, "mqes must be 1..65535");
  check(o.dstrd >= 0 && o.dstrd <= 15, "dstrd must be 0..15");
  check(
    o.mpsmin >= 0 && o.mpsmin <= o.mpsmax && o.mpsmax <= 15,
    "need 0 <= mpsmin <= mpsmax <= 15",
  );
  check(o.timeoutUnits >= 1 && o.timeoutUnits <= 255, "timeoutUnits must be 1..255");
  // CAP.CRMS.CRWMS "shall be set to '1' on controllers compliant with ... Revision 2.0 and later".
  check(
    o.crms.crwms || o.version[0] < 2,
    "crms.crwms must be true when version is 2.0 or later (Base 2.1 §3.1.4.1)",
  );
  check(o.maxIoQueuePairs >= 1 && o.maxIoQueuePairs <= 0xffff, "maxIoQueuePairs must be 1..65535");
  check(o.msixVectors >= 1 && o.msixVectors <= 2048, "msixVectors must be 1..2048");
  check(o.mdts >= 0 && o.mdts <= 255, "mdts must be 0..255");
  check(o.aerl >= 0 && o.aerl <= 255, "aerl must be 0..255");
  check(Number.isInteger(o.acl) && o.acl >= 0 && o.acl <= 255, "acl must be 0..255");
  check(o.shadowPollIntervalNs > 0, "shadowPollIntervalNs must be > 0");
  check(Number.isInteger(o.kas) && o.kas >= 0 && o.kas <= 0xffff, "kas must be 0..65535");
  for (const id of o.mutants) {
    check(
      MUTANT_IDS.includes(id),
      `mutant "${id}" is unknown: use one of ${MUTANT_IDS.join(", ")}`,
    );
  }
  validateLatencyModel(o.latency);
  check(
    o.serial.length <= 20 && o.model.length <= 40 && o.firmware.length <= 8,
    "serial/model/firmware too long (20/40/8)",
  );
  return o;
}
