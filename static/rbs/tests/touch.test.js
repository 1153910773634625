import assert from "node:assert";
import test from "node:test";

import { Gestures, LONG_PRESS_MS } from "../touch.js";

function harness() {
  let clock = 0;
  const timers = new Map(), frames = new Map();
  let ids = 0;
  const events = [];
  const g = new Gestures({
    emit: (kind, data) => events.push([kind, data]),
    now: () => clock,
    frame: (fn) => { frames.set(++ids, fn); return ids; },
    cancelFrame: (id) => frames.delete(id),
    setTimer: (fn, ms) => { timers.set(++ids, [clock + ms, fn]); return ids; },
    clearTimer: (id) => timers.delete(id),
  });
  const advance = (ms) => {
    clock += ms;
    for (const [id, [at, fn]] of [...timers]) if (at <= clock) { timers.delete(id); fn(); }
  };
  const runFrames = (limit = 1000) => {
    let n = 0;
    while (frames.size && n++ < limit) {
      clock += 16;
      const [id, fn] = frames.entries().next().value;
      frames.delete(id);
      fn();
    }
    return n;
  };
  return { g, events, advance, runFrames };
}

test("a tap clicks; a second tap soon after at the same place double-clicks", () => {
  const { g, events, advance } = harness();
  g.start(100, 200); advance(80); g.end();
  advance(150);
  g.start(103, 198); advance(80); g.end();
  assert.deepStrictEqual(events, [["tap", { x: 100, y: 200, count: 1 }], ["tap", { x: 103, y: 198, count: 2 }]]);
});

test("a finger held still is a long press (the context menu), not a tap", () => {
  const { g, events, advance } = harness();
  g.start(50, 60); advance(LONG_PRESS_MS + 10); g.end();
  assert.deepStrictEqual(events, [["press", { x: 50, y: 60 }]]);
});

test("a swipe scrolls as the finger goes and glides on after a quick lift", () => {
  const { g, events, advance, runFrames } = harness();
  g.start(200, 600);
  for (let i = 1; i <= 10; i++) { advance(16); g.move(200, 600 - 30 * i); }
  g.end();
  const during = events.filter(([k]) => k === "scroll");
  assert.ok(during.length >= 9);
  assert.ok(during.every(([, d]) => d.dy < 0 && d.x === 200 && d.y === 600), "at the start point, upwards");
  const frames = runFrames();
  assert.ok(frames > 5 && frames < 1000, `momentum ran ${frames} frames and stopped`);
  const glided = events.slice(during.length).reduce((sum, [, d]) => sum + d.dy, 0);
  assert.ok(glided < -100, `glided ${glided} px`);
  assert.ok(!events.some(([k]) => k === "tap" || k === "press"));
});

test("a slow swipe that stops before the lift does not glide; a new touch stops a glide", () => {
  const { g, events, advance, runFrames } = harness();
  g.start(0, 300); advance(16); g.move(0, 250); advance(400); g.end();
  const before = events.length;
  assert.strictEqual(runFrames(), 0);
  assert.strictEqual(events.length, before);
  g.start(0, 300); advance(16); g.move(0, 200); advance(16); g.move(0, 100); g.end();
  g.start(10, 10);
  assert.strictEqual(runFrames(), 0, "the finger's touch stopped the glide");
});
