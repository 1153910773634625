import assert from "node:assert";
import test from "node:test";

import { toClientPoint, toPagePoint } from "../coords.js";

const viewport = { width: 1280, height: 720 };
const video = { width: 1280, height: 720 };

test("a video shown at its own size maps one to one", () => {
  const rect = { left: 10, top: 20, width: 1280, height: 720 };
  assert.deepStrictEqual(toPagePoint(10, 20, rect, video, viewport, false), { x: 0, y: 0 });
  assert.deepStrictEqual(toPagePoint(210, 220, rect, video, viewport, false), { x: 200, y: 200 });
});

test("a video shown at half size doubles the coordinates", () => {
  const rect = { left: 0, top: 0, width: 640, height: 360 };
  assert.deepStrictEqual(toPagePoint(320, 180, rect, video, viewport, false), { x: 640, y: 360 });
});

test("letterboxing above and below is skipped", () => {
  // A 1280x1000 box shows the 16:9 video 1280x720, 140 px down.
  const rect = { left: 0, top: 0, width: 1280, height: 1000 };
  assert.deepStrictEqual(toPagePoint(100, 140, rect, video, viewport, false), { x: 100, y: 0 });
  assert.strictEqual(toPagePoint(100, 100, rect, video, viewport, false), null);
});

test("pillarboxing left and right is skipped", () => {
  // A 2000x720 box shows the video 1280x720, 360 px in.
  const rect = { left: 0, top: 0, width: 2000, height: 720 };
  assert.deepStrictEqual(toPagePoint(360, 10, rect, video, viewport, false), { x: 0, y: 10 });
  assert.strictEqual(toPagePoint(300, 10, rect, video, viewport, false), null);
  assert.deepStrictEqual(toPagePoint(1640 - 0.5, 10, rect, video, viewport, false), { x: 1279.5, y: 10 });
});

test("a point outside is clamped to the edge only when asked (drags)", () => {
  const rect = { left: 0, top: 0, width: 1280, height: 720 };
  assert.strictEqual(toPagePoint(-50, 900, rect, video, viewport, false), null);
  assert.deepStrictEqual(toPagePoint(-50, 900, rect, video, viewport, true), { x: 0, y: 719 });
});

test("a video whose frames differ from the page size is scaled to page pixels", () => {
  const rect = { left: 0, top: 0, width: 640, height: 360 };
  const small = { width: 640, height: 360 };
  assert.deepStrictEqual(toPagePoint(320, 180, rect, small, viewport, false), { x: 640, y: 360 });
});

test("before the first frame the page size stands in for the video size", () => {
  const rect = { left: 0, top: 0, width: 640, height: 360 };
  assert.deepStrictEqual(toPagePoint(320, 180, rect, { width: 0, height: 0 }, viewport, false), { x: 640, y: 360 });
});

test("an element with no size maps nothing", () => {
  const rect = { left: 0, top: 0, width: 0, height: 0 };
  assert.strictEqual(toPagePoint(0, 0, rect, video, viewport, false), null);
});

test("a page point maps back to where it is shown, letterboxing included", () => {
  const rect = { left: 0, top: 0, width: 640, height: 640 };  // 280 px bands above and below
  const shown = toClientPoint(640, 360, rect, video, viewport);
  assert.deepStrictEqual(shown, { x: 320, y: 320, scale: 0.5 });
  assert.deepStrictEqual(toPagePoint(shown.x, shown.y, rect, video, viewport, false), { x: 640, y: 360 });
});
