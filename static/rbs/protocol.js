// What the viewer and the server say to each other (docs/protocol.md): close codes,
// end reasons in words, and the client messages built from browser events.
// Pure: no DOM, so node --test runs it (static/rbs/tests/).

// Close codes after which reconnecting is pointless.
export const FINAL_CLOSE = { 4401: "Signed out", 4404: "No such session", 4410: "Session ended" };

// End reasons as the owner reads them (staff read streaming/protocol.py's words).
export const REASONS = {
  user_stopped: "you stopped it", idle_timeout: "idle timeout", max_lifetime: "maximum lifetime reached",
  killed: "ended by staff", crashed: "Chrome crashed", server_restart: "server restarted",
  start_failed: "Chrome failed to start", shutdown: "server shut down",
  layer_lost: "the server lost its connection to the other servers",
  host_lost: "the server running it stopped answering",
};

// A socket that has heard nothing for this many of the host's heartbeats is taken as
// dead (its server process gone, a proxy holding a half-open connection): reconnect.
export const SILENT_HEARTBEATS = 4;

export function isSilent(heardAt, now, everySeconds) {
  return everySeconds > 0 && now - heardAt > SILENT_HEARTBEATS * everySeconds * 1000;
}

export function reasonWords(reason) {
  return reason ? REASONS[reason] || reason : "";
}

// Text is sent in pieces the server accepts (at most 1000 characters each).
export const TEXT_PIECE = 1000;

export function textMessages(text) {
  const pieces = [];
  for (let i = 0; i < text.length; i += TEXT_PIECE) pieces.push({ type: "text", text: text.slice(i, i + TEXT_PIECE) });
  return pieces;
}

export function modifiers(e) {
  return (e.altKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.metaKey ? 4 : 0) | (e.shiftKey ? 8 : 0);
}

const BUTTONS = ["left", "middle", "right", "back", "forward"];

// A mouse event at page point p; a move names the button held, if any.
export function mouseMessage(action, e, p) {
  const moving = action === "move";
  const held = e.buttons & 1 ? "left" : e.buttons & 4 ? "middle" : e.buttons & 2 ? "right" : "none";
  return {
    type: "mouse", action, x: p.x, y: p.y,
    button: moving ? held : BUTTONS[e.button] || "none",
    buttons: e.buttons & 31, clickCount: moving ? 0 : Math.min(e.detail || 1, 3), modifiers: modifiers(e),
  };
}

// Wheel deltas in pixels (lines are 40, pages a viewport), within the server's bounds.
export function wheelMessage(e, p, viewportHeight) {
  const unit = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? viewportHeight : 1;
  const bound = (d) => Math.max(-10000, Math.min(10000, d * unit));
  return { type: "wheel", x: p.x, y: p.y, deltaX: bound(e.deltaX), deltaY: bound(e.deltaY), modifiers: modifiers(e) };
}

// A key event, or null for keys that belong to a composition (its text is sent whole).
export function keyMessage(action, e) {
  if (e.isComposing || e.key === "Process" || e.key === "Dead" || e.key === "Unidentified") return null;
  return { type: "key", action, key: e.key, code: e.code || "", modifiers: modifiers(e), repeat: e.repeat };
}
