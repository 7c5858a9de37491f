/**
 * Private helpers for cases that change the namespace inventory through Namespace Management
 * (Base 2.1 §5.1.21) and Namespace Attachment (Base 2.1 §5.1.20), gated on OACS bit 3: create a
 * small namespace shaped like the first active one, attach or detach it, delete it.
 *
 * @module
 */

import {
  Cns,
  NamespaceAttachment,
  NamespaceManagement,
  NamespaceSelect,
} from "../../spec/admin_commands.ts";
import { IdentifyController, Oacs, testBit } from "../../spec/identify_controller.ts";
import { IdentifyNamespace } from "../../spec/identify_namespace.ts";
import { encodeControllerList } from "../../spec/ns_list.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import type { CaseContext } from "../case.ts";
import type { Completion } from "../raw_host.ts";
import { type Admin, dataBuffer, hex, identifyOk, nsidList } from "./_admin_util.ts";

/** Blocks of a namespace a case creates: small, so any subsystem with room can make it. */
export const SMALL_NAMESPACE_BLOCKS = 2048;

/** Writes `bytes` into a fresh data buffer and returns it. */
function hostData(admin: Admin, bytes: Uint8Array) {
  const buf = dataBuffer(admin.host, bytes.length);
  admin.host.memWrite(buf.addr, bytes);
  return buf;
}

/** This controller's CNTLID (Identify Controller). */
export function ownCntlid(ctx: CaseContext, admin: Admin): number {
  return IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER)).cntlid;
}

/**
 * Creates a {@linkcode SMALL_NAMESPACE_BLOCKS}-block private namespace with the first active
 * namespace's FLBAS; skips the case when the subsystem has no room (capacity or NSIDs).
 */
export function createNamespace(ctx: CaseContext, admin: Admin): number {
  const flbas = ctx.caps.namespace?.flbas ?? 0;
  const data = IdentifyNamespace.encode({
    nsze: BigInt(SMALL_NAMESPACE_BLOCKS),
    ncap: BigInt(SMALL_NAMESPACE_BLOCKS),
    flbas,
  });
  const buf = hostData(admin, data);
  const c = admin.exec(NamespaceManagement.encode({
    opcode: AdminOpcode.NS_MANAGEMENT,
    prp1: buf.prp1,
    prp2: buf.prp2,
    sel: NamespaceSelect.CREATE_OR_ATTACH,
  }));
  // No room is a configuration limit (skip); any other failure breaks what OACS bit 3 promises.
  if (
    c.status === Status.NAMESPACE_INSUFFICIENT_CAPACITY ||
    c.status === Status.NAMESPACE_ID_UNAVAILABLE
  ) {
    ctx.skip(`Namespace Management create: no room (status ${hex(c.status)})`);
  }
  if (c.status !== 0) {
    ctx.fail(
      `Namespace Management create failed with status ${hex(c.status)} although OACS bit 3 ` +
        "advertises it (Base 2.1 §5.1.21)",
    );
  }
  return c.dw0;
}

/** Attaches (or detaches) `nsid` to/from controller `cntlid`. */
export function attachNamespace(
  admin: Admin,
  nsid: number,
  cntlid: number,
  detach = false,
): Completion {
  const buf = hostData(admin, encodeControllerList([cntlid]));
  return admin.exec(NamespaceAttachment.encode({
    opcode: AdminOpcode.NS_ATTACHMENT,
    nsid,
    prp1: buf.prp1,
    prp2: buf.prp2,
    sel: detach ? NamespaceSelect.DELETE_OR_DETACH : NamespaceSelect.CREATE_OR_ATTACH,
  }));
}

/** Deletes namespace `nsid`. */
export function deleteNamespace(admin: Admin, nsid: number): Completion {
  return admin.exec(NamespaceManagement.encode({
    opcode: AdminOpcode.NS_MANAGEMENT,
    nsid,
    sel: NamespaceSelect.DELETE_OR_DETACH,
  }));
}

/** At most this many NSIDs are checked one by one in cases that walk a list (bounded cost). */
export const NSID_WALK_LIMIT = 8;

/** Active NSIDs greater than `from` (Identify CNS 02h, Base 2.1 §5.1.13.2.2). */
export function activeList(ctx: CaseContext, admin: Admin, from = 0): number[] {
  return nsidList(identifyOk(ctx, admin, Cns.ACTIVE_NS_LIST, { nsid: from }));
}

/** Allocated NSIDs greater than `from` (Identify CNS 10h, needs Namespace Management). */
export function allocatedList(ctx: CaseContext, admin: Admin, from = 0): number[] {
  return nsidList(identifyOk(ctx, admin, Cns.ALLOCATED_NS_LIST, { nsid: from }));
}

/**
 * A valid NSID (1..NN) that is not active on this controller: an allocated one not attached
 * when Namespace Management lists one, else the smallest valid NSID not in the active list;
 * null when every valid NSID is active.
 */
export function inactiveNsid(ctx: CaseContext, admin: Admin, nn: number): number | null {
  const active = new Set(activeList(ctx, admin));
  if (ctx.caps.identify && testBit(ctx.caps.identify.oacs, Oacs.NS_MGMT)) {
    const allocatedInactive = allocatedList(ctx, admin).find((n) => !active.has(n));
    if (allocatedInactive !== undefined) return allocatedInactive;
  }
  for (let n = 1; n <= nn && n <= active.size + 1; n++) if (!active.has(n)) return n;
  return null;
}
