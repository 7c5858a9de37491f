import { assert, assertEquals, assertStringIncludes } from "@std/assert";

// Runs the real command line in a subprocess: exit codes and streams are part of the contract.
function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", new URL("../cli.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).outputSync();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("cli spec --json prints the catalogue in the documented shape", () => {
  const r = cli("spec", "--json");
  assertEquals(r.code, 0);
  const json = JSON.parse(r.stdout);
  const idctrl = json.structures.IdentifyController;
  assertEquals(idctrl.size, 4096);
  assertEquals(idctrl.libnvme, "nvme_id_ctrl");
  const vid = idctrl.fields.find((f: { name: string }) => f.name === "vid");
  assertEquals({ offset: vid.offset, size: vid.size }, { offset: 0, size: 2 });
  const cap = json.structures.CAP.fields.find((f: { name: string }) => f.name === "dstrd");
  assertEquals(cap.bits, [32, 35]);
});

Deno.test("cli spec NAME prints a readable table; unknown names and flags exit 2", () => {
  const r = cli("spec", "cqe");
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, "CompletionQueueEntry — 16 bytes");
  assertStringIncludes(r.stdout, "sqhd");
  const bad = cli("spec", "nosuch");
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.trim().split("\n").length, 1);
  assertStringIncludes(bad.stderr, 'no structure named "nosuch"');
  const flag = cli("spec", "--jsno");
  assertEquals(flag.code, 2);
  assertStringIncludes(flag.stderr, 'unknown flag "--jsno"');
  const cmd = cli("frobnicate");
  assertEquals(cmd.code, 2);
});

Deno.test("cli --help and spec --help explain with examples", () => {
  const top = cli("--help");
  assertEquals(top.code, 0);
  assertStringIncludes(top.stdout, "spec");
  const help = cli("spec", "--help");
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Examples:");
  assert(cli().code === 2);
});
