import assert from "node:assert";
import test from "node:test";

import { SLACK, closeEnough, sameViewport, sizeMode, wantedViewport } from "../fit.js";

test("fit: the page takes the video area's whole CSS pixels", () => {
  const wanted = wantedViewport("fit", { width: 1365.6, height: 601.2 }, { dpr: 1, coarse: false });
  assert.deepStrictEqual(wanted, { width: 1365, height: 601, scale: 1, mobile: false, touch: false });
});

test("a phone asks for mobile metrics, touch and its scale factor (at most 2)", () => {
  const wanted = wantedViewport("fit", { width: 390, height: 500 }, { dpr: 3, coarse: true });
  assert.deepStrictEqual(wanted, { width: 390, height: 500, scale: 2, mobile: true, touch: true });
  assert.strictEqual(wantedViewport("fit", { width: 390, height: 500 }, { dpr: 1.5, coarse: true }).scale, 1.5);
});

test("a desktop with a high-density screen does not make the server render at 2x", () => {
  assert.strictEqual(wantedViewport("fit", { width: 800, height: 600 }, { dpr: 2, coarse: false }).scale, 1);
});

test("a fixed size is a desktop's screen of that size whatever the window, touched on a phone", () => {
  const wanted = wantedViewport("1920x1080", { width: 300, height: 200 }, { dpr: 1, coarse: false });
  assert.deepStrictEqual([wanted.width, wanted.height], [1920, 1080]);
  const phone = wantedViewport("1280x720", { width: 390, height: 500 }, { dpr: 3, coarse: true });
  assert.deepStrictEqual(phone, { width: 1280, height: 720, scale: 1, mobile: false, touch: true });
});

test("an unknown stored choice falls back to fit; sizes compare by value", () => {
  assert.strictEqual(sizeMode("4000x4000"), "fit");
  assert.strictEqual(sizeMode(null), "fit");
  assert.strictEqual(sizeMode("1366x768"), "1366x768");
  const a = wantedViewport("fit", { width: 10, height: 10 }, {});
  assert.ok(sameViewport(a, { ...a }));
  assert.ok(!sameViewport(a, { ...a, width: 11 }));
  assert.ok(!sameViewport(null, a));
});

test("a few pixels of layout change do not resize the page; a real change does", () => {
  const a = wantedViewport("fit", { width: 1368, height: 640 }, {});
  assert.ok(closeEnough(a, { ...a, height: 638 }));
  assert.ok(!closeEnough(a, { ...a, height: 640 - SLACK }));
  assert.ok(!closeEnough(a, { ...a, touch: true }));
});
