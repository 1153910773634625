import assert from "node:assert";
import test from "node:test";

import { keyboardState, localShortcut, releaseMessages } from "../keyboard.js";

const key = (key, mods = {}) => ({ key, ctrlKey: false, altKey: false, shiftKey: false, metaKey: false, ...mods });

test("Ctrl+Alt+Shift alone releases the keyboard, in whatever order pressed", () => {
  for (const last of ["Control", "Alt", "Shift"]) {
    assert.strictEqual(localShortcut(key(last, { ctrlKey: true, altKey: true, shiftKey: true })), "release");
  }
  assert.strictEqual(localShortcut(key("A", { ctrlKey: true, altKey: true, shiftKey: true })), null);
  assert.strictEqual(localShortcut(key("Shift", { shiftKey: true, ctrlKey: true })), null);
});

test("Ctrl+L, Ctrl+T and Ctrl+W are the viewer's; other shortcuts are the page's", () => {
  assert.strictEqual(localShortcut(key("l", { ctrlKey: true })), "address");
  assert.strictEqual(localShortcut(key("L", { metaKey: true })), "address");
  assert.strictEqual(localShortcut(key("t", { ctrlKey: true })), "new-tab");
  assert.strictEqual(localShortcut(key("w", { ctrlKey: true })), "close-tab");
  assert.strictEqual(localShortcut(key("c", { ctrlKey: true })), null);
  assert.strictEqual(localShortcut(key("t", { ctrlKey: true, shiftKey: true })), null, "Ctrl+Shift+T is the page's");
  assert.strictEqual(localShortcut(key("l")), null);
});

test("the modifiers held when the viewer takes a key are let go on the remote page", () => {
  const chord = key("Shift", { ctrlKey: true, altKey: true, shiftKey: true });
  assert.deepStrictEqual(releaseMessages(chord).map((m) => [m.action, m.key]), [["up", "Shift"], ["up", "Alt"], ["up", "Control"]]);
  assert.deepStrictEqual(releaseMessages(key("l", { ctrlKey: true })).map((m) => m.key), ["Control"]);
});

test("the keyboard line says where typing goes", () => {
  assert.match(keyboardState({ control: true, focused: true, final: false }), /^Keyboard → remote page · Ctrl\+Alt\+Shift to release$/);
  assert.match(keyboardState({ control: true, focused: false, final: false }), /click the video to type/);
  assert.match(keyboardState({ control: false, focused: true, final: false }), /View only/);
  assert.strictEqual(keyboardState({ control: true, focused: true, final: true }), "");
});
