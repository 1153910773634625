// The remote page's size for this viewer's screen: its video area ("fit"), or a fixed
// size the user picked. The server holds it to its bounds (RBS_VIEWPORT_MIN/_MAX).

export const SIZES = {
  fit: "Fit window",
  "1280x720": "1280 × 720",
  "1366x768": "1366 × 768",
  "1920x1080": "1920 × 1080",
};

// area: the video area's CSS size; screen: { dpr, coarse } (a touch screen).
export function wantedViewport(mode, area, screen) {
  const phone = Boolean(screen.coarse);
  // A phone's page is laid out as on the phone; on a desktop a scale factor would only
  // cost the server rendering, the stream being sent at CSS size either way.
  const scale = phone ? Math.round(Math.min(Math.max(screen.dpr || 1, 1), 2) * 100) / 100 : 1;
  const fixed = /^(\d+)x(\d+)$/.exec(mode);
  if (mode !== "fit" && fixed && SIZES[mode]) {
    // A fixed size is a desktop's screen (a page laid out for a phone would not fill
    // it), still touched on a phone.
    return { width: Number(fixed[1]), height: Number(fixed[2]), scale: 1, mobile: false, touch: phone };
  }
  return {
    width: Math.max(1, Math.floor(area.width)),
    height: Math.max(1, Math.floor(area.height)),
    scale, mobile: phone, touch: phone,
  };
}

export function sameViewport(a, b) {
  return Boolean(a && b) && ["width", "height", "scale", "mobile", "touch"].every((k) => a[k] === b[k]);
}

// CSS px the video area may change by without resizing the page: a status line that
// wraps, a banner, must not reflow the remote page (it is letterboxed by as much).
export const SLACK = 24;

export function closeEnough(a, b) {
  return Boolean(a && b) && ["scale", "mobile", "touch"].every((k) => a[k] === b[k])
    && Math.abs(a.width - b.width) < SLACK && Math.abs(a.height - b.height) < SLACK;
}

export function sizeMode(stored) {
  return stored && Object.hasOwn(SIZES, stored) ? stored : "fit";
}
