import assert from "node:assert";
import test from "node:test";

import { codecOrder, PeerLink } from "../peer.js";

test("the preferred codec goes first and the others keep their order", () => {
  const codecs = [{ mimeType: "video/VP8" }, { mimeType: "video/rtx" }, { mimeType: "video/H264" }];
  assert.deepStrictEqual(codecOrder(codecs, "H264").map((c) => c.mimeType), ["video/H264", "video/VP8", "video/rtx"]);
  assert.deepStrictEqual(codecOrder(codecs, "").map((c) => c.mimeType), ["video/VP8", "video/rtx", "video/H264"]);
});

test("two failures reported together make one new peer, not two", async () => {
  const statuses = [];
  const link = new PeerLink({ iceServers: () => [], codec: "", send: () => {}, onTrack: () => {},
    onStatus: (state) => statuses.push(state), restartDelayMs: 5 });
  let started = 0;
  link.start = async () => { started += 1; };
  let closed = 0;
  link.pc = { close: () => { closed += 1; } };
  link.restart("the server says it failed");
  link.restart("the browser sees it fail");
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.strictEqual(started, 1);
  assert.strictEqual(closed, 1);
  assert.deepStrictEqual(statuses, ["reconnecting", "reconnecting"]);
});

test("a session that ended cancels a pending restart", async () => {
  const link = new PeerLink({ iceServers: () => [], codec: "", send: () => {}, onTrack: () => {},
    onStatus: () => {}, restartDelayMs: 5 });
  let started = 0;
  link.start = async () => { started += 1; };
  link.restart("failed");
  link.stop();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.strictEqual(started, 0);
});
