// The viewer's stats line: what WebRTC reports, turned into rates once a second.

// One sample of the counters that the rates are made from.
export function sample(inbound) {
  return {
    t: inbound.timestamp, frames: inbound.framesDecoded || 0, bytes: inbound.bytesReceived || 0,
    jbDelay: inbound.jitterBufferDelay || 0, jbCount: inbound.jitterBufferEmittedCount || 0,
    decode: inbound.totalDecodeTime || 0,
    lost: inbound.packetsLost || 0, received: inbound.packetsReceived || 0,
  };
}

// Rates between two samples; rttMs is the ICE pair's round trip (or null), wsRttMs the
// socket's (ping/pong), which stands in when WebRTC reports none.
export function rates(last, now, { rttMs = null, wsRttMs = null, codec = "", width, height } = {}) {
  const seconds = (now.t - last.t) / 1000;
  const frames = now.frames - last.frames;
  const stats = {
    fps: frames / seconds,
    kbps: ((now.bytes - last.bytes) * 8) / seconds / 1000,
    rttMs, wsRttMs,
    jitterBufferMs: now.jbCount > last.jbCount ? ((now.jbDelay - last.jbDelay) / (now.jbCount - last.jbCount)) * 1000 : 0,
    decodeMs: frames > 0 ? ((now.decode - last.decode) / frames) * 1000 : 0,
    codec, framesDecoded: now.frames, width, height,
  };
  const lost = Math.max(0, now.lost - last.lost), received = Math.max(0, now.received - last.received);
  stats.lossPercent = lost + received > 0 ? (100 * lost) / (lost + received) : 0;
  const rtt = rttMs !== null ? rttMs : wsRttMs || 0;
  // Half the round trip, the jitter buffer and decoding: the network's and this browser's
  // share of a click's wait, not the whole of it (Chrome's rendering and the server's
  // capture and encoding come on top: docs/benchmarks.md measures the whole chain).
  stats.transitMs = rtt / 2 + stats.jitterBufferMs + stats.decodeMs;
  return stats;
}

// maxFps: the rate the server allows now (lower while its machine is busy).
export function describe(stats, maxFps) {
  const rtt = stats.rttMs !== null ? stats.rttMs : stats.wsRttMs || 0;
  const cap = maxFps ? ` (of ${maxFps.toFixed(0)})` : "";
  return `${stats.fps.toFixed(0)} fps${cap} · ${(stats.kbps / 1000).toFixed(2)} Mbps · RTT ${rtt.toFixed(0)} ms · ` +
    `network + decode ${stats.transitMs.toFixed(0)} ms · loss ${stats.lossPercent.toFixed(1)} % · ` +
    `${stats.codec.replace("video/", "")} ${stats.width || ""}×${stats.height || ""}`;
}

// The dot everyone sees: "good", "degraded" or "bad" from loss, round trip and the
// jitter buffer. Not the frame rate: a still page rightly sends almost none.
export function quality(stats) {
  if (!stats) return "unknown";
  const rtt = stats.rttMs !== null ? stats.rttMs : stats.wsRttMs || 0;
  if (stats.lossPercent > 5 || rtt > 300 || stats.jitterBufferMs > 250) return "bad";
  if (stats.lossPercent > 1 || rtt > 150 || stats.jitterBufferMs > 100) return "degraded";
  return "good";
}

// The newest rates of a peer connection, or null until two samples exist.
export async function measure(pc, last, wsRttMs) {
  const report = await pc.getStats();
  let inbound = null, pair = null;
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") inbound = s;
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
  });
  if (!inbound) return { now: last, stats: null };
  const now = sample(inbound);
  if (!last) return { now, stats: null };
  const rttMs = pair && pair.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : null;
  const codec = (report.get(inbound.codecId) || {}).mimeType || "";
  return { now, stats: rates(last, now, { rttMs, wsRttMs, codec, width: inbound.frameWidth, height: inbound.frameHeight }) };
}
