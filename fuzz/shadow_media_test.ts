import { assertEquals } from "@std/assert";
import { ShadowMedia, ZEROES } from "./shadow_media.ts";

Deno.test("shadow media: a completed write is what reads return", () => {
  const m = new ShadowMedia();
  assertEquals(m.allowed(5), [ZEROES]);
  m.write(5, 1, false);
  m.write(5, 2, false);
  assertEquals(m.allowed(5), [2]);
});

Deno.test("shadow media: power loss keeps the durable version or any cached one", () => {
  const m = new ShadowMedia();
  m.write(1, 1, false);
  m.flush();
  m.write(1, 2, false);
  m.write(1, 3, false);
  m.powerLoss();
  assertEquals(m.allowed(1), [1, 2, 3]);
  m.observe(1, 2);
  assertEquals(m.allowed(1), [2]);
  m.powerLoss();
  assertEquals(m.allowed(1), [2], "read back after a power loss: on the media");
});

Deno.test("shadow media: FUA and flush are durable; an unread block stays open", () => {
  const m = new ShadowMedia();
  m.write(0, 1, false);
  m.write(0, 2, true);
  m.powerLoss();
  assertEquals(m.allowed(0), [2]);
  m.write(7, 3, false);
  m.powerLoss();
  assertEquals(m.allowed(7), [ZEROES, 3]);
  m.flush(); // flushing cannot settle a block nobody read
  m.write(7, 4, false);
  m.powerLoss();
  assertEquals(m.allowed(7), [ZEROES, 3, 4]);
});
