/**
 * The catalogue of data structures (Identify data, namespace lists, log pages) declared in this
 * folder, element structures included. `spec/catalog.ts` combines it with the register and
 * command structures; the libnvme cross-check and `deno task spec` read from there.
 *
 * @module
 */

import { CommandsSupportedEffectsLog } from "./cmd_effects_log.ts";
import { ErrorInformationLogEntry } from "./error_log.ts";
import { FirmwareSlotLog } from "./fw_slot_log.ts";
import { IdentifyController, PowerStateDescriptor } from "./identify_controller.ts";
import { IdentifyNamespace, LbaFormat } from "./identify_namespace.ts";
import { NsIdDescriptorHeader } from "./ns_descriptors.ts";
import { ChangedNamespaceList, ControllerList, NamespaceList } from "./ns_list.ts";
import { SmartLog } from "./smart_log.ts";
import type { Struct } from "./struct.ts";

/** Every data structure declared here, each element structure listed before its container. */
export const DATA_STRUCTURES: readonly Struct[] = [
  PowerStateDescriptor,
  IdentifyController,
  LbaFormat,
  IdentifyNamespace,
  NsIdDescriptorHeader,
  NamespaceList,
  ChangedNamespaceList,
  ControllerList,
  ErrorInformationLogEntry,
  SmartLog,
  FirmwareSlotLog,
  CommandsSupportedEffectsLog,
];
