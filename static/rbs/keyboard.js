// Keys the viewer keeps for itself while the remote page has the keyboard. Pure: no DOM,
// so node --test runs it (static/rbs/tests/).

// The escape chord: Ctrl+Alt+Shift pressed together (no other key) gives the keyboard
// back to this page. Pages have no use for the three modifiers alone.
export const RELEASE_CHORD = "Ctrl+Alt+Shift";

const MODIFIER_KEYS = new Set(["Control", "Alt", "Shift"]);

// What a keydown means to the viewer: "release", "address" (Ctrl+L: the URL bar),
// "new-tab" (Ctrl+T), "close-tab" (Ctrl+W), or null: it belongs to the remote page.
// The browser delivers Ctrl+T and Ctrl+W to a page only in fullscreen with the keyboard
// locked; elsewhere it keeps them, and the tab strip's buttons do the same.
export function localShortcut(e) {
  if (e.ctrlKey && e.altKey && e.shiftKey && !e.metaKey && MODIFIER_KEYS.has(e.key)) return "release";
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  const letter = (e.key || "").toLowerCase();
  if (letter === "l") return "address";
  if (letter === "t") return "new-tab";
  if (letter === "w") return "close-tab";
  return null;
}

// Key ups for the modifiers held (as the event says) when the viewer takes a key for
// itself: they went down on the remote page, and the focus leaves before they come up.
export function releaseMessages(e) {
  const held = [["shiftKey", "Shift", "ShiftLeft"], ["altKey", "Alt", "AltLeft"],
    ["ctrlKey", "Control", "ControlLeft"], ["metaKey", "Meta", "MetaLeft"]];
  return held.filter(([flag]) => e[flag])
    .map(([, key, code]) => ({ type: "key", action: "up", key, code, modifiers: 0, repeat: false }));
}

// The line under the video that says where typing goes.
export function keyboardState({ control, focused, final }) {
  if (final) return "";
  if (!control) return "View only: typing goes nowhere";
  return focused ? `Keyboard → remote page · ${RELEASE_CHORD} to release` : "Keyboard → this page · click the video to type";
}
