// The viewer's WebRTC peer: one receive-only video connection at a time, offered by us,
// answered by the session's host; replaced (once) when it fails.

// The browser's codecs with the preferred one first; the rest keep their order.
export function codecOrder(codecs, preferred) {
  const rank = (c) => (c.mimeType.toUpperCase() === `VIDEO/${preferred}` ? 0 : 1);
  return [...codecs].sort((a, b) => rank(a) - rank(b));
}

export class PeerLink {
  // iceServers(): the list from the latest status; send(message); onTrack(track);
  // onStatus(state, detail): for the status badge.
  constructor({ iceServers, codec, send, onTrack, onStatus, restartDelayMs = 1000 }) {
    Object.assign(this, { iceServers, codec, send, onTrack, onStatus, restartDelayMs });
    this.pc = null;
    this.restartTimer = null;
  }

  async start() {
    this.close();
    this.onStatus("connecting", "Connecting video…");
    const pc = new RTCPeerConnection({ iceServers: this.iceServers() });
    this.pc = pc;
    const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
    if (this.codec && typeof RTCRtpReceiver !== "undefined" && RTCRtpReceiver.getCapabilities) {
      transceiver.setCodecPreferences(codecOrder(RTCRtpReceiver.getCapabilities("video").codecs, this.codec));
    }
    pc.ontrack = (event) => {
      // Play frames as soon as they decode: this is interactive, not a film.
      try { event.receiver.jitterBufferTarget = 0; } catch (e) { /* older browsers */ }
      this.onTrack(event.track);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") this.onStatus("live", "");
      if (pc.connectionState === "failed") this.restart("Video connection failed; retrying…");
    };
    let offerSent = false;
    const queued = [];
    pc.onicecandidate = (event) => {
      if (!event.candidate || !event.candidate.candidate) return;
      const c = { type: "ice", candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid,
        sdpMLineIndex: event.candidate.sdpMLineIndex };
      if (offerSent) this.send(c); else queued.push(c);
    };
    await pc.setLocalDescription(await pc.createOffer());
    // Most candidates arrive within milliseconds; send them in the offer, trickle the rest.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, 500);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
    if (pc !== this.pc) return;
    const sdp = pc.localDescription.sdp;
    this.send({ type: "offer", sdp });
    offerSent = true;
    for (const c of queued) if (!sdp.includes(c.candidate)) this.send(c);
  }

  answer(sdp) {
    if (this.pc) return this.pc.setRemoteDescription({ type: "answer", sdp });
    return Promise.resolve();
  }

  // The one way a peer is replaced: the server saying it failed and the browser seeing
  // it fail often come together, and must make one new peer, not two.
  restart(why) {
    this.close();
    this.onStatus("reconnecting", why);
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => { this.restartTimer = null; this.start(); }, this.restartDelayMs);
  }

  close() {
    if (this.pc) { this.pc.close(); this.pc = null; }
  }

  // Ended for good: no restart pending either.
  stop() {
    clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.close();
  }
}
