/**
 * Bring-up of the Linux-like driver, in Linux's order (`nvme_pci_enable` →
 * `nvme_pci_configure_admin_queue` → `nvme_init_ctrl_finish` → `nvme_setup_io_queues` →
 * `nvme_dbbuf_set` → `nvme_start_ctrl`):
 *
 * 1. PCI: memory space + bus master; CSTS all ones means the device is gone (`enable.ts`).
 * 2. Disable first (EN=0, wait RDY=0); AQA, then ASQ and ACQ written low dword then high.
 * 3. CC without EN (IOSQES=6, IOCQES=4, MPS=0 for 4 KiB, CSS from CAP.CSS), CAP re-read, then CC
 *    with EN; RDY awaited for ⌈max(CAP.TO, CRTO.CRWMT)/2⌉ s, polling every 1 ms (Base 2.1 §3.5.1).
 * 4. Identify Controller (`identify.ts`); Set Features Number of Queues and use what was granted;
 *    interrupt vectors; I/O queues created CQ first then SQ in ascending QID (polled queues last,
 *    IEN=0); fewer queues on failure (`io_queues.ts`).
 * 5. Doorbell Buffer Config (OACS bit 8) after the I/O queues exist, for I/O queues only.
 * 6. Asynchronous Event Configuration and one AER; Identify of the active namespaces.
 *
 * The enable/disable/shutdown and queue helpers recovery uses are re-exported from here.
 *
 * @module
 */

import { INTX_VECTOR } from "../../platform/ports.ts";
import { FeatureId } from "../../spec/features.ts";
import { Oacs, testBit } from "../../spec/identify_controller.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import { type ControllerInfo, DriverError } from "../model.ts";
import { ADMIN_QUEUE_DEPTH, adminCommand as admin, type LinuxCore } from "./core.ts";
import { CTRL_PAGE_SIZE } from "./data_mapping.ts";
import { ShadowDoorbellBuffers } from "./dbbuf.ts";
import { configureAdminQueue, decodeCap, enableController, pciEnable } from "./enable.ts";
import { identifyController, scanNamespaces } from "./identify.ts";
import { dbbufSet, setupIoQueues } from "./io_queues.ts";

export {
  controllerIsDead,
  CSTS_DEVICE_GONE,
  CstsBits,
  disableController,
  readCap,
  readyTimeoutNs,
  shutdownController,
  shutdownTimeoutNs,
  waitReady,
} from "./enable.ts";
export { deleteIoQueues } from "./io_queues.ts";

/** `NVME_MAX_BYTES`: largest transfer the driver issues. */
export const MAX_TRANSFER_BYTES = 8 * 1024 * 1024;
/** OAES notices Linux enables (NS attribute, firmware activation, ANA change, discovery). */
const OAES_NOTICES = (1 << 8) | (1 << 9) | (1 << 11) | 2 ** 31;

function startController(core: LinuxCore, id: IdentifyControllerValue): void {
  const notices = (id.oaes & OAES_NOTICES) >>> 0;
  if (notices === 0) return;
  admin(core, "Set Features Async Event Configuration", {
    admin: true,
    opcode: AdminOpcode.SET_FEATURES,
    cdw10: FeatureId.ASYNC_EVENT_CONFIG,
    cdw11: notices,
  });
  core.submitAsyncEvent(AdminOpcode.ASYNC_EVENT_REQUEST);
}

/** The whole bring-up; on failure the state is "dead" and a DriverError is thrown. */
export function bringUp(core: LinuxCore): ControllerInfo {
  try {
    core.state = core.state === "resetting" ? "resetting" : "new";
    const msixVectors = pciEnable(core);
    const host = core.host;
    const capRaw = host.read64(RegisterOffset.CAP);
    const cap = decodeCap(capRaw);
    core.dstrd = cap.dstrd;
    core.vectors = [msixVectors > 0 ? 0 : INTX_VECTOR];
    configureAdminQueue(core, cap);
    core.byVector = new Map([[core.vectors[0], [core.admin!]]]);
    enableController(core, cap);
    core.state = "connecting";
    core.maxTransferBytes = MAX_TRANSFER_BYTES; // until MDTS is known
    const id = identifyController(core);
    if (!id) throw new DriverError("Identify Controller failed");
    core.abortLimit = id.acl + 1;
    const pageMin = 4096 << cap.mpsmin;
    core.maxTransferBytes = id.mdts === 0
      ? MAX_TRANSFER_BYTES
      : Math.min(MAX_TRANSFER_BYTES, 2 ** id.mdts * pageMin);
    core.sgl = (id.sgls & 3) !== 0 ? "supported" : "unsupported";
    if (testBit(id.oacs, Oacs.DBBUF) && core.options.shadowDoorbells) {
      const queues = core.options.cpus + core.options.writeQueues + core.options.pollQueues + 1;
      if (core.dbbuf) core.dbbuf.clear();
      else core.dbbuf = new ShadowDoorbellBuffers(host, queues, cap.dstrd);
    }
    const ioQueues = setupIoQueues(core, cap, msixVectors);
    const shadow = dbbufSet(core);
    core.state = "live";
    startController(core, id);
    const namespaces = scanNamespaces(core);
    core.info = {
      cap: capRaw,
      vs: host.read32(RegisterOffset.VS),
      identify: id,
      namespaces,
      adminQueueDepth: ADMIN_QUEUE_DEPTH,
      ioQueues,
      pageSize: CTRL_PAGE_SIZE,
      maxTransferBytes: core.maxTransferBytes,
      shadowDoorbells: shadow,
      sglSupported: core.sgl === "supported",
    };
    return core.info;
  } catch (e) {
    core.state = "dead";
    core.cancelAll("dead");
    if (e instanceof DriverError) {
      core.warn(`Disabling device after reset failure: ${e.message}`);
      throw e;
    }
    throw e;
  }
}
