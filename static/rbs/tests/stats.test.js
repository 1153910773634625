import assert from "node:assert";
import test from "node:test";

import { describe, quality, rates, sample } from "../stats.js";

test("rates between two samples: frames, bitrate, jitter buffer and decode time", () => {
  const last = sample({ timestamp: 1000, framesDecoded: 100, bytesReceived: 0, jitterBufferDelay: 1,
    jitterBufferEmittedCount: 100, totalDecodeTime: 0.5 });
  const now = sample({ timestamp: 2000, framesDecoded: 130, bytesReceived: 250000, jitterBufferDelay: 1.3,
    jitterBufferEmittedCount: 130, totalDecodeTime: 0.53 });
  const stats = rates(last, now, { rttMs: 4, codec: "video/VP8", width: 1280, height: 720 });
  assert.strictEqual(stats.fps, 30);
  assert.strictEqual(stats.kbps, 2000);
  assert.ok(Math.abs(stats.jitterBufferMs - 10) < 1e-9);
  assert.ok(Math.abs(stats.decodeMs - 1) < 1e-9);
  assert.ok(Math.abs(stats.transitMs - 13) < 1e-9);
  assert.match(describe(stats), /^30 fps · 2\.00 Mbps · RTT 4 ms · network \+ decode 13 ms · loss 0\.0 % · VP8 1280×720$/);
});

test("without an ICE round trip the socket's stands in", () => {
  const a = sample({ timestamp: 0 }), b = sample({ timestamp: 1000 });
  const stats = rates(a, b, { rttMs: null, wsRttMs: 10 });
  assert.strictEqual(stats.transitMs, 5);
  assert.strictEqual(stats.decodeMs, 0);
});

test("the quality dot: loss, round trip and jitter buffer, never the frame rate", () => {
  const base = { rttMs: 5, wsRttMs: null, lossPercent: 0, jitterBufferMs: 20, fps: 0 };
  assert.strictEqual(quality(base), "good", "a still page sending no frames is good");
  assert.strictEqual(quality({ ...base, lossPercent: 2 }), "degraded");
  assert.strictEqual(quality({ ...base, rttMs: 200 }), "degraded");
  assert.strictEqual(quality({ ...base, lossPercent: 8 }), "bad");
  assert.strictEqual(quality({ ...base, rttMs: null, wsRttMs: 400 }), "bad");
  assert.strictEqual(quality(null), "unknown");
});

test("lost packets between two samples are a share of all", () => {
  const a = sample({ timestamp: 0, packetsLost: 10, packetsReceived: 1000 });
  const b = sample({ timestamp: 1000, packetsLost: 13, packetsReceived: 1097 });
  assert.strictEqual(rates(a, b, {}).lossPercent, 3);
});

test("the rate the server allows now follows the frame rate", () => {
  const stats = { fps: 14.6, kbps: 900, rttMs: 3, transitMs: 10, lossPercent: 0, codec: "video/VP8", width: 800, height: 600 };
  assert.match(describe(stats, 15), /^15 fps \(of 15\) · /);
  assert.match(describe(stats), /^15 fps · /);
});
