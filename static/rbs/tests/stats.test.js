import assert from "node:assert";
import test from "node:test";

import { describe, rates, sample } from "../stats.js";

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
  assert.ok(Math.abs(stats.latencyMs - 13) < 1e-9);
  assert.match(describe(stats), /^30 fps · 2\.00 Mbps · RTT 4 ms · latency ≈ 13 ms · VP8 1280×720$/);
});

test("without an ICE round trip the socket's stands in", () => {
  const a = sample({ timestamp: 0 }), b = sample({ timestamp: 1000 });
  const stats = rates(a, b, { rttMs: null, wsRttMs: 10 });
  assert.strictEqual(stats.latencyMs, 5);
  assert.strictEqual(stats.decodeMs, 0);
});
