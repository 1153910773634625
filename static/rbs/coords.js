// Where on the remote page a point of the displayed video is, and back.
// The video is shown with object-fit: contain, so it may be letterboxed on two sides.

export function toPagePoint(clientX, clientY, rect, videoSize, viewport, clamp) {
  const vw = videoSize.width || viewport.width;
  const vh = videoSize.height || viewport.height;
  const scale = Math.min(rect.width / vw, rect.height / vh);
  if (!(scale > 0)) return null;
  const left = rect.left + (rect.width - vw * scale) / 2;
  const top = rect.top + (rect.height - vh * scale) / 2;
  let x = ((clientX - left) / scale) * (viewport.width / vw);
  let y = ((clientY - top) / scale) * (viewport.height / vh);
  const inside = x >= 0 && y >= 0 && x < viewport.width && y < viewport.height;
  if (!inside && !clamp) return null;
  if (!inside) {
    x = Math.min(Math.max(x, 0), viewport.width - 1);
    y = Math.min(Math.max(y, 0), viewport.height - 1);
  }
  return { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100 };
}

// The client point of page point (x, y), and the page-to-screen scale.
export function toClientPoint(x, y, rect, videoSize, viewport) {
  const vw = videoSize.width || viewport.width;
  const vh = videoSize.height || viewport.height;
  const scale = Math.min(rect.width / vw, rect.height / vh) * (vw / viewport.width);
  const left = rect.left + (rect.width - viewport.width * scale) / 2;
  const top = rect.top + (rect.height - viewport.height * scale) / 2;
  return { x: left + x * scale, y: top + y * scale, scale };
}
