// NSID rules of the admin commands that name a namespace (Base 2.1 §3.2.1): a valid but inactive
// NSID where an active one is needed is Invalid Field in Command; an NSID above NN is Invalid
// Namespace or Format. Both were found by differential fuzzing against QEMU 7.2.

import { assertEquals } from "@std/assert";
import {
  Cns,
  FeatureCapability,
  FeatureSelect,
  GetFeatures,
  Identify,
  SetFeatures,
} from "../spec/admin_commands.ts";
import { FeatureId } from "../spec/features.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { Status } from "../spec/status.ts";
import { type Completion, exec, rig, type TestRig } from "./_test_host.ts";

let cid = 1;

function getErrorRecovery(r: TestRig, nsid: number, sel: number = FeatureSelect.CURRENT) {
  const sqe = GetFeatures.encode({
    opcode: AdminOpcode.GET_FEATURES,
    cid: cid++,
    nsid,
    fid: FeatureId.ERROR_RECOVERY,
    sel,
  });
  return exec(r.admin, sqe);
}

function setErrorRecovery(r: TestRig, nsid: number): Completion {
  const sqe = SetFeatures.encode({
    opcode: AdminOpcode.SET_FEATURES,
    cid: cid++,
    nsid,
    fid: FeatureId.ERROR_RECOVERY,
    cdw11: 0,
  });
  return exec(r.admin, sqe);
}

function status(c: Completion): number {
  return c.status;
}

Deno.test("Error Recovery (namespace specific): inactive NSID is Invalid Field, NSID > NN is Invalid Namespace", () => {
  const r = rig();
  const nn = r.ctrl.namespaceCount();
  const inactive = 2;
  assertEquals(r.ctrl.activeNamespace(inactive), undefined, "the rig has NSID 1 only");
  assertEquals(status(getErrorRecovery(r, 1)), 0);
  assertEquals(status(getErrorRecovery(r, 0)), 0, "NSID 0: the controller-wide value");
  assertEquals(status(getErrorRecovery(r, inactive)), Status.INVALID_FIELD);
  assertEquals(status(setErrorRecovery(r, inactive)), Status.INVALID_FIELD);
  assertEquals(status(getErrorRecovery(r, nn + 1)), Status.INVALID_NAMESPACE);
  assertEquals(status(setErrorRecovery(r, nn + 1)), Status.INVALID_NAMESPACE);
});

Deno.test("Get Features SEL 011b reports Error Recovery as namespace specific and changeable", () => {
  const r = rig();
  const c = getErrorRecovery(r, 1, FeatureSelect.SUPPORTED_CAPABILITIES);
  assertEquals(c.status, 0);
  assertEquals(c.dw0, FeatureCapability.CHANGEABLE | FeatureCapability.NAMESPACE_SPECIFIC);
});

Deno.test("Identify CNS 03h of a valid inactive NSID is Invalid Field in Command", () => {
  const r = rig();
  const buf = r.host.allocate(4096, 4096);
  const identify = (nsid: number) =>
    exec(
      r.admin,
      Identify.encode({
        opcode: AdminOpcode.IDENTIFY,
        cid: cid++,
        nsid,
        cns: Cns.NS_DESCRIPTORS,
        prp1: buf,
      }),
    );
  assertEquals(identify(1).status, 0);
  assertEquals(identify(2).status, Status.INVALID_FIELD);
  assertEquals(identify(0).status, Status.INVALID_NAMESPACE);
});
