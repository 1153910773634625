// One finger on the video, as a phone user means it: a tap clicks, a second tap soon
// after double-clicks, a long press opens the context menu, a swipe scrolls and keeps
// scrolling for a moment after the finger lifts. Two fingers are left to the browser
// (pinch: a local zoom of the video). Pure: the clock and the frame scheduler are given,
// so node --test runs it (static/rbs/tests/).

export const TAP_SLOP = 10; // CSS px a finger may wander and still tap
export const LONG_PRESS_MS = 550;
export const DOUBLE_TAP_MS = 350;
const FRICTION = 0.92; // per 16 ms frame
const MIN_SPEED = 0.03; // px/ms: below it, momentum stops

// emit(kind, data): "tap" {x, y, count}, "press" {x, y} (long), "scroll" {x, y, dx, dy}
// with dx/dy the content's movement in the finger's direction (positive: finger went
// right/down). x/y are client coordinates.
export class Gestures {
  constructor({ emit, now, frame, cancelFrame, setTimer, clearTimer }) {
    Object.assign(this, { emit, now, frame, cancelFrame, setTimer, clearTimer });
    this.touch = null;
    this.lastTap = null;
    this.momentum = null;
  }

  start(x, y) {
    this.stopMomentum();
    const t = this.now();
    this.touch = { x0: x, y0: y, x, y, t, vx: 0, vy: 0, moved: false, pressed: false };
    this.touch.timer = this.setTimer(() => {
      if (this.touch && !this.touch.moved) {
        this.touch.pressed = true;
        this.emit("press", { x, y });
      }
    }, LONG_PRESS_MS);
  }

  move(x, y) {
    const touch = this.touch;
    if (!touch || touch.pressed) return;
    if (!touch.moved && Math.hypot(x - touch.x0, y - touch.y0) < TAP_SLOP) return;
    if (!touch.moved) {
      touch.moved = true;
      this.clearTimer(touch.timer);
    }
    const t = this.now();
    const dt = Math.max(1, t - touch.t);
    const dx = x - touch.x, dy = y - touch.y;
    // Speed smoothed over the last moves: the lift's speed carries on.
    touch.vx = 0.6 * (dx / dt) + 0.4 * touch.vx;
    touch.vy = 0.6 * (dy / dt) + 0.4 * touch.vy;
    Object.assign(touch, { x, y, t });
    if (dx || dy) this.emit("scroll", { x: touch.x0, y: touch.y0, dx, dy });
  }

  end() {
    const touch = this.touch;
    this.touch = null;
    if (!touch) return;
    this.clearTimer(touch.timer);
    if (touch.pressed) return;
    if (touch.moved) {
      if (this.now() - touch.t < 100) this.glide(touch);
      return;
    }
    const t = this.now();
    const last = this.lastTap;
    const double = last && t - last.t < DOUBLE_TAP_MS && Math.hypot(touch.x0 - last.x, touch.y0 - last.y) < 3 * TAP_SLOP;
    const count = double ? 2 : 1;
    this.lastTap = double ? null : { x: touch.x0, y: touch.y0, t };
    this.emit("tap", { x: touch.x0, y: touch.y0, count });
  }

  cancel() {
    if (this.touch) this.clearTimer(this.touch.timer);
    this.touch = null;
  }

  glide(touch) {
    let { vx, vy } = touch;
    let last = this.now();
    const step = () => {
      const t = this.now();
      const dt = Math.max(1, t - last);
      last = t;
      const decay = FRICTION ** (dt / 16);
      vx *= decay;
      vy *= decay;
      if (Math.hypot(vx, vy) < MIN_SPEED) { this.momentum = null; return; }
      this.emit("scroll", { x: touch.x0, y: touch.y0, dx: vx * dt, dy: vy * dt });
      this.momentum = this.frame(step);
    };
    this.momentum = this.frame(step);
  }

  stopMomentum() {
    if (this.momentum !== null) this.cancelFrame(this.momentum);
    this.momentum = null;
  }
}
