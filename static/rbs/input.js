// The user's mouse, wheel, keyboard and typed text, sent to the remote page while this
// viewer has control. Messages are built in protocol.js; this wires the DOM events.

import { localShortcut, releaseMessages } from "./keyboard.js";
import { keyMessage, mouseMessage, textMessages, wheelMessage } from "./protocol.js";
import { Gestures } from "./touch.js";

// video: the <video>; stage: its container (wheel); sink: the hidden text field that
// holds the keyboard focus; view: the viewer's state (control, viewport, pendingMove);
// toPage(event, clamp): the page point of an event or null; send(message);
// remotePasteWanted(): whether Ctrl+V should paste the remote page's own copy;
// onShortcut(name): a key the viewer keeps (keyboard.js: release, address, new-tab, close-tab);
// pageScale(): client pixels per page pixel (a swipe's distance on the page).
export function attachInput({ video, stage, sink, view, toPage, send, remotePasteWanted, onShortcut, pageScale }) {
  let pressed = 0;

  function mouse(action, e, clamp) {
    if (!view.control) return false;
    const p = toPage(e, clamp);
    if (!p) return false;
    send(mouseMessage(action, e, p));
    return true;
  }

  video.addEventListener("mousedown", (e) => {
    e.preventDefault();
    sink.focus({ preventScroll: true });
    if (mouse("down", e, false)) pressed += 1;
  });
  // Releases are watched on the window so a drag that leaves the video still ends.
  window.addEventListener("mouseup", (e) => {
    if (pressed > 0) { pressed -= 1; mouse("up", e, true); e.preventDefault(); }
  });
  window.addEventListener("mousemove", (e) => {
    // One move per animation frame; the server coalesces what is left.
    const first = view.pendingMove === null;
    view.pendingMove = e;
    if (first) requestAnimationFrame(() => {
      const latest = view.pendingMove;
      view.pendingMove = null;
      if (latest) mouse("move", latest, pressed > 0);
    });
  });
  video.addEventListener("contextmenu", (e) => e.preventDefault());

  // Touch (touch.js): taps click, a long press is a right click, a swipe scrolls the
  // remote page. Two fingers are the browser's own (pinch zooms the video here).
  function click(x, y, button, count) {
    if (!view.control) return;
    const p = toPage({ clientX: x, clientY: y }, false);
    if (!p) return;
    const bit = button === 2 ? 2 : 1;
    send(mouseMessage("move", { buttons: 0 }, p));
    send(mouseMessage("down", { button, buttons: bit, detail: count }, p));
    send(mouseMessage("up", { button, buttons: 0, detail: count }, p));
  }
  const gestures = new Gestures({
    emit: (kind, d) => {
      if (kind === "tap") click(d.x, d.y, 0, d.count);
      else if (kind === "press") click(d.x, d.y, 2, 1);
      else if (kind === "scroll" && view.control) {
        const p = toPage({ clientX: d.x, clientY: d.y }, true);
        const scale = pageScale() || 1;
        if (p) send(wheelMessage({ deltaMode: 0, deltaX: -d.dx / scale, deltaY: -d.dy / scale }, p, view.viewport.height));
      }
    },
    now: () => performance.now(),
    frame: (fn) => requestAnimationFrame(fn),
    cancelFrame: (id) => cancelAnimationFrame(id),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (id) => clearTimeout(id),
  });
  // Two fingers on a page that has touch (a phone's page, touch emulation on): the
  // remote page zooms when they lift, as a phone's would. Otherwise they zoom the video
  // here (the browser's own pinch).
  let pinch = null;
  const spread = (t) => Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
  const remotePinch = () => view.control && view.touch;
  video.addEventListener("touchstart", (e) => {
    if (e.touches.length === 2 && remotePinch()) {
      e.preventDefault();
      gestures.cancel();
      const [a, b] = e.touches;
      pinch = { from: spread(e.touches), scale: 1, x: (a.clientX + b.clientX) / 2, y: (a.clientY + b.clientY) / 2 };
      return;
    }
    if (e.touches.length !== 1) { gestures.cancel(); return; }
    e.preventDefault(); // no mouse events made up from the touch, no page scroll here
    gestures.start(e.touches[0].clientX, e.touches[0].clientY);
  }, { passive: false });
  video.addEventListener("touchmove", (e) => {
    if (pinch && e.touches.length === 2) {
      e.preventDefault();
      pinch.scale = spread(e.touches) / Math.max(1, pinch.from);
      return;
    }
    if (e.touches.length !== 1) { gestures.cancel(); return; }
    e.preventDefault();
    gestures.move(e.touches[0].clientX, e.touches[0].clientY);
  }, { passive: false });
  video.addEventListener("touchend", (e) => {
    if (pinch) {
      const p = toPage({ clientX: pinch.x, clientY: pinch.y }, true);
      const scale = Math.min(10, Math.max(0.1, Math.round(pinch.scale * 1000) / 1000));
      if (p && Math.abs(Math.log(scale)) > 0.05) send({ type: "pinch", x: p.x, y: p.y, scale });
      pinch = null;
      return;
    }
    if (!e.touches.length) gestures.end();
  });
  video.addEventListener("touchcancel", () => { pinch = null; gestures.cancel(); });
  video.addEventListener("dblclick", (e) => e.preventDefault());
  stage.addEventListener("wheel", (e) => {
    const p = toPage(e, false);
    if (!p) return;
    e.preventDefault();
    send(wheelMessage(e, p, view.viewport.height));
  }, { passive: false });

  function key(action, e) {
    if (!view.control) return;
    const message = keyMessage(action, e);
    if (!message) return;
    e.preventDefault();
    send(message);
  }
  sink.addEventListener("keydown", (e) => {
    const local = localShortcut(e);
    if (local) {
      e.preventDefault();
      // Its modifiers already went down on the remote page: let them go.
      if (view.control) for (const message of releaseMessages(e)) send(message);
      onShortcut(local);
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "v" && !e.shiftKey) {
      // The local browser pastes and the paste event relays the text; but when the
      // newest copy was made in the remote page and could not be put on this clipboard,
      // the remote page pastes its own.
      if (remotePasteWanted()) key("down", e);
      return;
    }
    key("down", e);
  });
  sink.addEventListener("keyup", (e) => key("up", e));
  sink.addEventListener("compositionend", (e) => {
    if (e.data) send({ type: "text", text: e.data.slice(0, 1000) });
    sink.value = "";
  });
  sink.addEventListener("input", (e) => {
    if (e.isComposing || e.inputType === "insertCompositionText") return;
    // Text with no key event behind it (phone keyboards, emoji pickers, dictation):
    // typed keys were sent as keys and stopped, so whatever reaches here is new text.
    const inserted = e.inputType === "insertText" || e.inputType === "insertReplacementText";
    if (view.control && inserted && e.data) send({ type: "text", text: e.data.slice(0, 1000) });
    sink.value = "";
  });
  sink.addEventListener("paste", (e) => {
    e.preventDefault();
    const text = (e.clipboardData && e.clipboardData.getData("text")) || "";
    for (const message of textMessages(text)) send(message);
  });
}
