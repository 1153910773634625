// The viewer's stats line: what WebRTC reports, turned into rates once a second.

// One sample of the counters that the rates are made from.
export function sample(inbound) {
  return {
    t: inbound.timestamp, frames: inbound.framesDecoded || 0, bytes: inbound.bytesReceived || 0,
    jbDelay: inbound.jitterBufferDelay || 0, jbCount: inbound.jitterBufferEmittedCount || 0,
    decode: inbound.totalDecodeTime || 0,
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
  const rtt = rttMs !== null ? rttMs : wsRttMs || 0;
  stats.latencyMs = rtt / 2 + stats.jitterBufferMs + stats.decodeMs;
  return stats;
}

export function describe(stats) {
  const rtt = stats.rttMs !== null ? stats.rttMs : stats.wsRttMs || 0;
  return `${stats.fps.toFixed(0)} fps · ${(stats.kbps / 1000).toFixed(2)} Mbps · RTT ${rtt.toFixed(0)} ms · ` +
    `latency ≈ ${stats.latencyMs.toFixed(0)} ms · ${stats.codec.replace("video/", "")} ${stats.width || ""}×${stats.height || ""}`;
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
