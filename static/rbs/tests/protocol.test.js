import assert from "node:assert";
import test from "node:test";

import {
  isSilent, keyMessage, mouseMessage, reasonWords, REASONS, textMessages, wheelMessage,
} from "../protocol.js";

const plain = { altKey: false, ctrlKey: false, metaKey: false, shiftKey: false };

test("a press names its button and click count; a move names the button held", () => {
  const down = mouseMessage("down", { ...plain, button: 2, buttons: 2, detail: 2 }, { x: 5, y: 6 });
  assert.deepStrictEqual(down, { type: "mouse", action: "down", x: 5, y: 6, button: "right",
    buttons: 2, clickCount: 2, modifiers: 0 });
  const drag = mouseMessage("move", { ...plain, shiftKey: true, button: 0, buttons: 1, detail: 0 }, { x: 1, y: 2 });
  assert.strictEqual(drag.button, "left");
  assert.strictEqual(drag.clickCount, 0);
  assert.strictEqual(drag.modifiers, 8);
  const triple = mouseMessage("down", { ...plain, button: 0, buttons: 1, detail: 7 }, { x: 0, y: 0 });
  assert.strictEqual(triple.clickCount, 3);
});

test("wheel lines and pages become pixels, within the server's bounds", () => {
  const lines = wheelMessage({ ...plain, deltaMode: 1, deltaX: 0, deltaY: 3 }, { x: 1, y: 1 }, 720);
  assert.strictEqual(lines.deltaY, 120);
  const pages = wheelMessage({ ...plain, deltaMode: 2, deltaX: 0, deltaY: 100 }, { x: 1, y: 1 }, 720);
  assert.strictEqual(pages.deltaY, 10000);
  const up = wheelMessage({ ...plain, deltaMode: 0, deltaX: -5e9, deltaY: 0 }, { x: 1, y: 1 }, 720);
  assert.strictEqual(up.deltaX, -10000);
});

test("keys carry key, code and modifiers; composition keys are not sent", () => {
  const shifted = keyMessage("down", { ...plain, shiftKey: true, key: "A", code: "KeyA", repeat: false });
  assert.deepStrictEqual(shifted, { type: "key", action: "down", key: "A", code: "KeyA", modifiers: 8, repeat: false });
  assert.strictEqual(keyMessage("down", { ...plain, key: " ", code: "" }).code, "");
  for (const e of [{ isComposing: true, key: "a" }, { key: "Process" }, { key: "Dead" }, { key: "Unidentified" }]) {
    assert.strictEqual(keyMessage("down", { ...plain, ...e }), null);
  }
});

test("long text goes in pieces the server accepts", () => {
  const pieces = textMessages("x".repeat(2500));
  assert.deepStrictEqual(pieces.map((p) => p.text.length), [1000, 1000, 500]);
  assert.deepStrictEqual(textMessages(""), []);
});

test("every end reason is said in words; an unknown one as itself", () => {
  assert.strictEqual(reasonWords("user_stopped"), "you stopped it");
  assert.strictEqual(reasonWords("something_new"), "something_new");
  assert.strictEqual(reasonWords(null), "");
  assert.ok(Object.values(REASONS).every((words) => words.length > 0));
});

test("a socket is silent after four heartbeats with nothing heard, never before the first", () => {
  assert.strictEqual(isSilent(0, 19_999, 5), false);
  assert.strictEqual(isSilent(0, 20_001, 5), true);
  assert.strictEqual(isSilent(0, 1_000_000, 0), false);
});
