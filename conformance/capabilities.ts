/**
 * What a target advertises, probed once per run (CAP, VS, Identify Controller, Identify Namespace
 * of the first active namespace, interrupt vectors), and the named capabilities cases gate on.
 * Each capability says, in words, which field it reads, so a skip reason is self-explaining.
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import {
  bitRange,
  Oacs,
  Oncs,
  Sgls,
  SglSupport,
  testBit,
  Vwc,
} from "../spec/identify_controller.ts";
import { CAP, decodeRegister, RegisterOffset } from "../spec/registers.ts";
import type {
  CAPValue,
  IdentifyControllerValue,
  IdentifyNamespaceValue,
} from "../spec/value_types.ts";
import { RawController } from "./raw_host.ts";

/** What the target advertises. `identify`/`namespace` are null when the probe could not get them. */
export interface Capabilities {
  /** CAP, raw. */
  readonly capRaw: bigint;
  /** CAP, decoded. */
  readonly cap: CAPValue;
  /** VS. */
  readonly vs: number;
  /** Identify Controller, or null. */
  readonly identify: IdentifyControllerValue | null;
  /** NSID of the first active namespace, or 0. */
  readonly nsid: number;
  /** Identify Namespace of `nsid`, or null. */
  readonly namespace: IdentifyNamespaceValue | null;
  /** Logical block size of `nsid`'s current format (0 when unknown). */
  readonly blockSize: number;
  /** MSI-X vectors (0 when MSI-X is absent). */
  readonly msixVectors: number;
  /** I/O queue pairs granted by Set Features Number of Queues (0 when unknown). */
  readonly ioQueuePairs: number;
}

/** Queue pairs the probe asks for: NSQR/NCQR = FFFEh, the largest valid request (FFFFh is
 * invalid; Base 2.1 §5.1.25.2.1 Number of Queues). */
export const MAX_QUEUE_REQUEST = 0xffff;

/** Ids of the capabilities a case may need. */
export type CapabilityId = keyof typeof CAPABILITIES;

/** A named capability: what it means and how it is read. */
export interface CapabilityInfo {
  /** What it is, in the words of the field it reads. */
  readonly description: string;
  /** True when the target has it. */
  readonly present: (c: Capabilities) => boolean;
}

const idBit = (field: keyof IdentifyControllerValue, bit: number) => (c: Capabilities) =>
  c.identify !== null && testBit(Number(c.identify[field]), bit);
const sglSupport = (c: Capabilities) =>
  c.identify !== null && bitRange(c.identify.sgls, Sgls.SUPPORT) !== SglSupport.NONE;

/** The capability table. */
export const CAPABILITIES = {
  "identify": {
    description: "Identify Controller answered during the probe",
    present: (c) => c.identify !== null,
  },
  "namespace": {
    description: "an active namespace with a known LBA format",
    present: (c) => c.namespace !== null && c.blockSize > 0,
  },
  "io-queues": {
    description: "Set Features Number of Queues granted at least one I/O queue pair",
    present: (c) => c.ioQueuePairs > 0,
  },
  "io-queues-2": {
    description: "at least two I/O queue pairs granted",
    present: (c) => c.ioQueuePairs > 1,
  },
  "msix": {
    description: "an MSI-X capability with at least two vectors",
    present: (c) => c.msixVectors > 1,
  },
  "wrr": {
    description: "CAP.AMS bit 0: weighted round robin with urgent priority class",
    present: (c) => (c.cap.ams & 1) !== 0,
  },
  "nssr": {
    description: "CAP.NSSRS: NVM Subsystem Reset supported",
    present: (c) => c.cap.nssrs !== 0,
  },
  "noncontiguous-queues": {
    description: "CAP.CQR = 0: queues may be PRP lists",
    present: (c) => c.cap.cqr === 0,
  },
  "mps-8k": {
    description: "CAP.MPSMAX ≥ 1: memory page sizes above 4 KiB",
    present: (c) => c.cap.mpsmax >= 1 && c.cap.mpsmin === 0,
  },
  "crms": {
    description: "CAP.CRMS.CRWMS: CRTO is implemented",
    present: (c) => c.cap.crwms !== 0,
  },
  "sgl": {
    description: "Identify SGLS bits 1:0 ≠ 0: SGLs supported for NVM commands",
    present: sglSupport,
  },
  "sgl-bit-bucket": {
    description: "Identify SGLS bit 16: SGL Bit Bucket descriptors",
    present: (c) => sglSupport(c) && idBit("sgls", Sgls.BIT_BUCKET)(c),
  },
  "dbbuf": {
    description: "Identify OACS bit 8: Doorbell Buffer Config",
    present: idBit("oacs", Oacs.DBBUF),
  },
  "ns-mgmt": {
    description: "Identify OACS bit 3: Namespace Management and Attachment",
    present: idBit("oacs", Oacs.NS_MGMT),
  },
  "format": {
    description: "Identify OACS bit 1: Format NVM",
    present: idBit("oacs", Oacs.FORMAT),
  },
  "compare": {
    description: "Identify ONCS bit 0: Compare",
    present: idBit("oncs", Oncs.COMPARE),
  },
  "write-uncorrectable": {
    description: "Identify ONCS bit 1: Write Uncorrectable",
    present: idBit("oncs", Oncs.WRITE_UNCORRECTABLE),
  },
  "dsm": {
    description: "Identify ONCS bit 2: Dataset Management",
    present: idBit("oncs", Oncs.DSM),
  },
  "write-zeroes": {
    description: "Identify ONCS bit 3: Write Zeroes",
    present: idBit("oncs", Oncs.WRITE_ZEROES),
  },
  "save-select": {
    description: "Identify ONCS bit 4: Save field in Set Features and Select in Get Features",
    present: idBit("oncs", Oncs.SAVE_SELECT),
  },
  "timestamp": {
    description: "Identify ONCS bit 6: Timestamp feature",
    present: idBit("oncs", Oncs.TIMESTAMP),
  },
  "verify": {
    description: "Identify ONCS bit 7: Verify",
    present: idBit("oncs", Oncs.VERIFY),
  },
  "copy": {
    description: "Identify ONCS bit 8: Copy",
    present: idBit("oncs", Oncs.COPY),
  },
  "vwc": {
    description: "Identify VWC bit 0: a volatile write cache is present",
    present: idBit("vwc", Vwc.PRESENT),
  },
  "mdts": {
    description: "Identify MDTS ≠ 0: a maximum data transfer size is reported",
    present: (c) => c.identify !== null && c.identify.mdts !== 0,
  },
} satisfies Record<string, CapabilityInfo>;

/** Why a case needing `needs` is skipped on `caps`, or null when it can run. */
export function missingCapability(
  caps: Capabilities,
  needs: readonly CapabilityId[] | undefined,
): string | null {
  if (!needs) return null;
  for (const id of needs) {
    const info: CapabilityInfo = CAPABILITIES[id];
    if (!info.present(caps)) return `target lacks "${id}": ${info.description}`;
  }
  return null;
}

/**
 * Probes a fresh target session: reads CAP and VS, sets up MSI-X, enables the controller with a
 * 32-entry admin queue, Identify Controller, Number of Queues, the active namespace list and
 * Identify Namespace of the first, then disables it again. Anything that fails leaves the
 * corresponding field empty; cases that need it are skipped with the reason.
 */
export function probeCapabilities(host: HostPort): Capabilities {
  const ctrl = new RawController(host);
  const capRaw = host.read64(RegisterOffset.CAP);
  const vs = host.read32(RegisterOffset.VS);
  let identify: IdentifyControllerValue | null = null;
  let namespace: IdentifyNamespaceValue | null = null;
  let nsid = 0;
  let blockSize = 0;
  let ioQueuePairs = 0;
  const msixVectors = ctrl.msixVectors;
  try {
    ctrl.enable();
    identify = ctrl.identifyController();
    ioQueuePairs = ctrl.requestQueues(MAX_QUEUE_REQUEST).pairs;
    const active = ctrl.activeNamespaces();
    if (active.length > 0) {
      nsid = active[0];
      namespace = ctrl.identifyNamespace(nsid);
      blockSize = ctrl.blockSize(namespace);
    }
    ctrl.disable();
  } catch {
    // The probe is best effort; whatever it could not learn gates the cases that need it.
  }
  return {
    capRaw,
    cap: decodeRegister(CAP, capRaw),
    vs,
    identify,
    nsid,
    namespace,
    blockSize,
    msixVectors,
    ioQueuePairs,
  };
}
