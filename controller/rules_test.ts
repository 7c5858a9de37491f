import { assert, assertEquals } from "@std/assert";
import { HOST_RULE_LIST, hostRulesMarkdown } from "./rules.ts";

Deno.test("host rules: ids are unique, in group.rule form, each cites a section", () => {
  const ids = HOST_RULE_LIST.map((r) => r.id);
  assertEquals(new Set(ids).size, ids.length);
  for (const r of HOST_RULE_LIST) {
    assert(/^[a-z_]+\.[a-z_]+$/.test(r.id), r.id);
    assert(/§/.test(r.section) && r.reaction.length > 0, r.id);
    assertEquals(r.side, "host");
  }
});

// The README's table is generated from the rules; this keeps the two from drifting.
Deno.test("host rules: the README carries the generated table", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  assert(
    readme.includes(hostRulesMarkdown()),
    "README's host-obligations table is stale: paste the output of " +
      "`deno eval 'import {hostRulesMarkdown} from \"./controller/rules.ts\"; console.log(hostRulesMarkdown())'`",
  );
});
