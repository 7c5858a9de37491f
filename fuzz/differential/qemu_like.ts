/**
 * Configures the reference controller like an observed controller (QEMU): CAP (MQES, TO, DSTRD,
 * MPSMIN/MPSMAX, AMS, NSSRS), VS, the I/O queue pairs Number of Queues grants, MSI-X vectors,
 * Identify Controller (MDTS, AERL, SGLS, VWC, NN, SN/MN/FR) and NSID 1's size and LBA formats, so
 * that a difference in behaviour is not a difference in configuration (`reference/qemu-nvme.md`
 * §15 lists the knobs).
 *
 * @example Observe the reference itself and rebuild it
 * ```ts
 * import { observeController, referenceSideFactory } from "./qemu_like.ts";
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * const seen = observeController(new Machine().attach(new NvmeController({ mqes: 255 })));
 * if (seen.controller.mqes !== 255 || seen.geometry.blockSize !== 512) throw new Error();
 * const session = referenceSideFactory(seen)();
 * if ((session.host.read32(0) & 0xffff) !== 255) throw new Error("MQES");
 * ```
 *
 * @module
 */

import { NvmeController } from "../../controller/controller.ts";
import type { ControllerOptions } from "../../controller/options.ts";
import type { LbaFormatSpec } from "../../controller/namespace.ts";
import { NvmSubsystem, type NvmSubsystemOptions } from "../../controller/subsystem.ts";
import { RawController } from "../../conformance/raw_host.ts";
import type { TargetSession } from "../../conformance/target.ts";
import { Machine } from "../../platform/machine.ts";
import type { HostPort } from "../../platform/ports.ts";
import { FeatureId } from "../../spec/features.ts";
import { formatIndex, lbaDataBytes } from "../../spec/identify_namespace.ts";
import { memoryPageSize, RegisterOffset } from "../../spec/registers.ts";
import type { SideGeometry } from "./executor.ts";

/** What was observed, as reference options plus the shared geometry. */
export interface ObservedController {
  /** Reference controller options matching the observation. */
  readonly controller: Partial<ControllerOptions>;
  /** Subsystem options (identity strings, NN, namespace, LBA formats). */
  readonly subsystem: NvmSubsystemOptions;
  /** Block size, NSZE and MDTS of the observed controller. */
  readonly geometry: SideGeometry;
}

/** Arbitration Burst, CDW11 bits 2:0 of the Arbitration feature (Base 2.1 §5.1.25.1.1). */
const ARBITRATION_BURST_MASK = 0b111;
/** SGLS bits 1:0 (Base 2.1 §5.1.13.2.1): 01b any alignment, 10b dword aligned. */
const SGLS_SUPPORT_MASK = 0b11;

/** Enables the controller behind `host`, reads CAP/VS/Identify and NUMQ, and disables it again. */
export function observeController(host: HostPort): ObservedController {
  const raw = new RawController(host);
  raw.enable();
  const id = raw.identifyController();
  const ns = raw.identifyNamespace(1);
  const grant = raw.requestQueues(0xffff);
  const arbitration = raw.getFeature(FeatureId.ARBITRATION);
  raw.disable();
  const cap = raw.cap;
  const vs = host.read32(RegisterOffset.VS);
  const version: [number, number, number] = [vs >>> 16, (vs >>> 8) & 0xff, vs & 0xff];
  const text = (b: string) => b.replace(/[\s\0]+$/, "");
  const lbaFormats: LbaFormatSpec[] = ns.lbaf.slice(0, ns.nlbaf + 1).map((f) => ({
    ms: f.ms,
    lbads: f.ds,
    rp: f.rp,
  }));
  const blockSize = lbaDataBytes(ns.lbaf[formatIndex(ns.flbas)].ds);
  const minPage = memoryPageSize(cap.mpsmin);
  const sgls = id.sgls & SGLS_SUPPORT_MASK;
  const v2 = version[0] >= 2;
  return {
    controller: {
      mqes: cap.mqes,
      timeoutUnits: cap.to,
      dstrd: cap.dstrd,
      nssrs: cap.nssrs === 1,
      wrr: (cap.ams & 1) === 1,
      mpsmin: cap.mpsmin,
      mpsmax: cap.mpsmax,
      version,
      crms: { crwms: v2 || cap.crwms === 1, crims: cap.crims === 1 },
      maxIoQueuePairs: Math.max(1, grant.pairs),
      msixVectors: Math.max(1, raw.msixVectors),
      arbitrationBurst: arbitration.status === 0 ? arbitration.dw0 & ARBITRATION_BURST_MASK : 0,
      mdts: id.mdts,
      aerl: id.aerl,
      serial: text(id.sn),
      model: text(id.mn),
      firmware: text(id.fr),
      volatileWriteCache: (id.vwc & 1) === 1,
      sgl: sgls === 0 ? "none" : sgls === 1 ? "byte" : "dword",
      kas: id.kas,
    },
    subsystem: {
      serial: text(id.sn),
      model: text(id.mn),
      firmwareRevision: text(id.fr),
      maxNamespaces: id.nn,
      lbaFormats,
      namespaces: [{ nsze: ns.nsze, flbas: ns.flbas & 0xf }],
    },
    geometry: {
      blockSize,
      nsze: Number(ns.nsze),
      mdtsBytes: id.mdts === 0 ? 2 ** 20 : 2 ** id.mdts * minPage,
    },
  };
}

/** Sessions of the reference controller configured as `seen` (a fresh in-process machine each). */
export function referenceSideFactory(
  seen: ObservedController,
  extra: Partial<ControllerOptions> = {},
): () => TargetSession {
  return () => {
    const machine = new Machine();
    const ctrl = new NvmeController(
      { ...seen.controller, ...extra },
      new NvmSubsystem(seen.subsystem),
    );
    return { host: machine.attach(ctrl), close() {} };
  };
}
