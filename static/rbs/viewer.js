// The live viewer page: its socket, status, panels and toolbar. The wire is in
// protocol.js (docs/protocol.md), the video peer in peer.js, input in input.js, the
// stats line in stats.js and video/page coordinates in coords.js.

import { toClientPoint, toPagePoint } from "./coords.js";
import { SIZES, closeEnough, sameViewport, sizeMode, wantedViewport } from "./fit.js";
import { attachInput } from "./input.js";
import { PeerLink } from "./peer.js";
import { keyboardState } from "./keyboard.js";
import { FINAL_CLOSE, isSilent, reasonWords, textMessages } from "./protocol.js";
import { elapsedWords, endSentence, staffNotice, tabTitle, viewerGroups, viewerLabel } from "./session.js";
import { describe, measure, quality } from "./stats.js";

{
  const root = document.getElementById("viewer");
  const video = document.getElementById("screen");
  const stage = document.getElementById("stage");
  const sink = document.getElementById("keyboard");
  const statusEl = document.getElementById("status");
  const detailEl = document.getElementById("status-detail");
  const statsEl = document.getElementById("stats");
  const errorEl = document.getElementById("error");
  const urlInput = document.getElementById("url-input");
  const backButton = document.getElementById("nav-back");
  const controlEl = document.getElementById("control-state");
  const takeButton = document.getElementById("take-control");
  const viewersEl = document.getElementById("viewers");
  const forwardButton = document.getElementById("nav-forward");
  const staffEl = document.getElementById("staff-notice");
  const keyboardEl = document.getElementById("keyboard-state");
  const keyboardButton = document.getElementById("keyboard-button");
  const endedEl = document.getElementById("ended");
  const startPage = document.getElementById("start-page");

  const sessionId = root.dataset.sessionId;
  const wsUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/sessions/${sessionId}/`;
  const params = new URLSearchParams(location.search);
  const preferredCodec = (params.get("codec") || "").toUpperCase();

  const view = {
    ws: null, viewport: { width: 1280, height: 720 }, iceServers: [],
    state: "connecting", retries: 0, final: false, pendingMove: null, lastStats: null, wsRtt: null,
    control: false, dialog: null, tabs: [], heardAt: 0, heartbeat: 0, openedAt: performance.now(),
  };
  // Exposed for end-to-end tests and for people debugging in the console.
  window.rbs = { view, stats: {} };

  function setStatus(state, detail) {
    view.state = state;
    statusEl.textContent = state;
    statusEl.className = `badge ${state}`;
    detailEl.textContent = detail || "";
    root.dataset.state = state;
    showStartPage();
  }

  function showError(text) {
    errorEl.hidden = !text;
    errorEl.textContent = text || "";
    if (text) setTimeout(() => { if (errorEl.textContent === text) showError(""); }, 5000);
  }

  function send(message) {
    if (view.ws && view.ws.readyState === WebSocket.OPEN) view.ws.send(JSON.stringify(message));
  }
  window.rbs.send = send;

  // -- signaling -----------------------------------------------------------------

  function connect() {
    setStatus(view.retries ? "reconnecting" : "connecting", "Connecting to the server…");
    const ws = new WebSocket(wsUrl);
    view.ws = ws;
    ws.onopen = () => { view.retries = 0; view.heardAt = performance.now(); };
    ws.onmessage = (event) => {
      view.heardAt = performance.now();
      handle(JSON.parse(event.data));
    };
    ws.onclose = (event) => {
      if (view.ws !== ws) return; // one left for a new socket: its peer is the new one's
      peer.stop();
      if (FINAL_CLOSE[event.code] || view.final) {
        view.final = true;
        if (!["ended", "failed"].includes(view.state)) {
          setStatus(event.code === 4410 ? "ended" : "failed", FINAL_CLOSE[event.code] || "");
        }
        return;
      }
      view.retries += 1;
      const delay = Math.min(8000, 500 * 2 ** Math.min(view.retries, 4));
      setStatus("reconnecting", `Connection lost; retrying in ${Math.round(delay / 1000)} s…`);
      setTimeout(connect, delay);
    };
  }

  // A socket that hears nothing (not even the host's heartbeat) is left for a new one
  // at once: closing a dead connection can take the browser minutes.
  function dropIfSilent() {
    const ws = view.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || view.final) return;
    if (!isSilent(view.heardAt, performance.now(), view.heartbeat)) return;
    view.ws = null;
    view.heartbeat = 0;
    peer.stop();
    ws.close();
    view.retries += 1;
    setStatus("reconnecting", "The server went quiet; reconnecting…");
    connect();
  }

  function handle(msg) {
    switch (msg.type) {
      case "status": return onStatus(msg);
      case "answer":
        peer.answer(msg.sdp).catch((e) => showError(`Answer: ${e}`));
        return;
      case "page": return onPage(msg);
      case "peer":
        if (msg.state === "failed" && view.state !== "ended") peer.restart("Video connection failed; retrying…");
        return;
      case "pong": view.wsRtt = performance.now() - msg.t; return;
      case "heartbeat": view.heartbeat = msg.every; return;
      case "viewers": return onViewers(msg);
      case "viewport": return onViewport(msg);
      case "rate": view.maxFps = msg.fps; return;
      // The remote browser was refused a destination (egress policy); the session goes on.
      case "blocked": showError(msg.message); return;
      case "dialog": return showDialog(msg);
      case "clipboard": return onClipboard(msg);
      case "picker": return showPicker(msg);
      case "download": return onDownload(msg);
      case "dialog_closed": return closeDialog(msg);
      case "tabs": return renderTabs(msg);
      case "file_chooser": return showFileChooser(msg);
      case "uploaded": return onUploaded(msg);
      case "crashed": return showCrashed(msg);
      case "error":
        showError(msg.message);
        if (msg.ref === "upload") root.dataset.chooser = "failed";
        // A session that ended normally is "ended", never "failed".
        if (msg.code === "ended") { setStatus("ended", msg.message); if (endedEl.hidden) showEnded(msg.message); }
        else if (["not_found", "unauthenticated"].includes(msg.code)) setStatus("failed", msg.message);
        return;
      default: return;
    }
  }

  function onStatus(msg) {
    if (msg.viewport) onViewport(msg.viewport);
    if (msg.maxFps) view.maxFps = msg.maxFps;
    // Sent once, to this viewer only (its own TURN credentials); broadcasts omit them.
    if (msg.iceServers) view.iceServers = msg.iceServers;
    const reason = reasonWords(msg.reason);
    // The peer is set up while Chrome starts: video flows as soon as the first frame does.
    if (msg.state === "starting") { setStatus("connecting", "Starting Chrome…"); if (!peer.pc) peer.start(); }
    else if (msg.state === "running") { if (!peer.pc) peer.start(); }
    else if (msg.state === "stopping") setStatus("connecting", `Stopping (${reason})…`);
    else if (msg.state === "ended" || msg.state === "failed") {
      view.final = true;
      peer.stop();
      view.dialog = null;
      renderDialog();
      setStatus(msg.state, [reason, msg.detail].filter(Boolean).join(": "));
      showEnded(endSentence(msg.state, msg.reason, msg.detail));
    }
  }

  // An ended session: every control that would act on it is off, and the way on is shown.
  function showEnded(sentence) {
    document.getElementById("ended-message").textContent = sentence;
    endedEl.hidden = false;
    takeButton.hidden = true;
    staffEl.hidden = true;
    for (const el of root.querySelectorAll(".toolbar button, .toolbar input, .tabs button, .viewers-bar button")) {
      el.disabled = true;
    }
    const stop = document.getElementById("stop-form");
    if (stop) stop.hidden = true;
    controlEl.textContent = "";
    keyboardButton.disabled = true;
    showKeyboardState();
  }

  // Where typing goes, said at all times; the keyboard button takes it to the page (and
  // raises a phone's on-screen keyboard: the focus comes from a tap).
  function showKeyboardState() {
    const focused = document.activeElement === sink;
    keyboardEl.textContent = keyboardState({ control: view.control, focused, final: view.final });
    root.dataset.keyboard = focused && view.control && !view.final ? "remote" : "local";
    keyboardButton.setAttribute("aria-pressed", String(root.dataset.keyboard === "remote"));
  }
  sink.addEventListener("focus", showKeyboardState);
  sink.addEventListener("blur", showKeyboardState);
  keyboardButton.addEventListener("click", () => {
    if (document.activeElement === sink) keyboardButton.focus();
    else sink.focus({ preventScroll: true });
  });

  function onShortcut(name) {
    if (name === "release") keyboardButton.focus();
    else if (name === "address") { urlInput.focus(); urlInput.select(); }
    else if (name === "new-tab") { send({ type: "tab", action: "open" }); urlInput.focus(); }
    else if (name === "close-tab") {
      const active = view.tabs.find((t) => t.active);
      if (active) send({ type: "tab", action: "close", id: active.id });
    }
  }

  // Fullscreen keeps the keyboard on the page; where the browser allows, the keyboard is
  // locked too, so Ctrl+T, Ctrl+W and Esc reach the viewer instead of the browser.
  const fullscreenButton = document.getElementById("fullscreen");
  fullscreenButton.addEventListener("click", async () => {
    if (document.fullscreenElement) { await document.exitFullscreen(); return; }
    try {
      await root.requestFullscreen();
      if (navigator.keyboard && navigator.keyboard.lock) await navigator.keyboard.lock().catch(() => {});
    } catch (e) {
      showError(`Fullscreen is not available here: ${e.message || e}`);
    }
    sink.focus({ preventScroll: true });
  });
  document.addEventListener("fullscreenchange", () => {
    const on = Boolean(document.fullscreenElement);
    root.dataset.fullscreen = on ? "yes" : "no";
    fullscreenButton.setAttribute("aria-pressed", String(on));
    fullscreenButton.textContent = on ? "Exit fullscreen" : "Fullscreen";
  });

  // While Chrome starts and the video connects, say what is being waited for, and how long.
  function showProgress() {
    if (view.final) return;
    const waited = elapsedWords(performance.now() - view.openedAt);
    if (view.state === "connecting" && /^Starting Chrome/.test(detailEl.textContent)) {
      detailEl.textContent = `Starting Chrome… ${waited}`;
    } else if (view.state === "connecting" && peer.pc && !video.currentTime) {
      detailEl.textContent = `Connecting video… ${waited}`;
    }
  }

  // -- the remote page's size: the controlling viewer's video area ---------------------

  const sizePicker = document.getElementById("size-picker");
  for (const [value, label] of Object.entries(SIZES)) sizePicker.add(new Option(label, value));
  sizePicker.value = sizeMode(localStorage.getItem("rbs.size"));
  let sentViewport = null;
  let fitTimer = 0;

  // Only the viewer in control sets the size; the others see it letterboxed.
  function sendViewport(force) {
    if (!view.control || view.final) return;
    const area = stage.getBoundingClientRect();
    if (!(area.width > 0 && area.height > 0)) return;
    const screen = { dpr: window.devicePixelRatio, coarse: matchMedia("(pointer: coarse)").matches };
    const wanted = wantedViewport(sizePicker.value, area, screen);
    if (sameViewport(sentViewport, wanted)) return;
    if (!force && closeEnough(sentViewport, wanted)) return;
    sentViewport = wanted;
    send({ type: "viewport", ...wanted });
  }

  function onViewport(size) {
    view.viewport = { width: size.width, height: size.height };
    view.touch = Boolean(size.touch);
    root.dataset.remoteSize = `${size.width}x${size.height}`;
    sizePicker.title = `The remote page is ${size.width} × ${size.height}`;
  }

  // Debounced: a window being dragged sends its final size, not every step.
  new ResizeObserver(() => {
    clearTimeout(fitTimer);
    fitTimer = setTimeout(() => sendViewport(false), 250);
  }).observe(stage);
  sizePicker.addEventListener("change", () => {
    localStorage.setItem("rbs.size", sizePicker.value);
    sendViewport(true);
  });

  function onViewers(msg) {
    const gotControl = msg.control && !view.control;
    view.control = msg.control;
    // Someone else's screen may set the size meanwhile: ours is sent again on return.
    if (!msg.control) sentViewport = null;
    if (gotControl) sendViewport(true);
    const me = msg.viewers.find((v) => v.id === msg.you) || {};
    const holder = msg.viewers.find((v) => v.control);
    root.dataset.control = msg.control ? "yes" : "no";
    controlEl.textContent = msg.control ? "You have control" : `View only${holder ? ` — ${holder.username} has control` : ""}`;
    takeButton.hidden = msg.control || !(me.owner || me.staff);
    renderDialog();
    showKeyboardState();
    showStartPage();
    staffEl.textContent = staffNotice(msg.viewers, msg.you);
    staffEl.hidden = !staffEl.textContent;
    viewersEl.replaceChildren(...viewerGroups(msg.viewers, msg.you).map((g) => {
      const item = document.createElement("span");
      item.className = "watcher" + (g.control ? " has-control" : "");
      item.textContent = viewerLabel(g);
      if (!g.control && !g.you && (msg.control || me.owner) && !view.final) {
        const give = document.createElement("button");
        give.type = "button";
        give.textContent = "Give control";
        give.setAttribute("aria-label", `Give control to ${g.username}`);
        give.addEventListener("click", () => send({ type: "control", action: "give", to: g.ids[0] }));
        item.append(" ", give);
      }
      return item;
    }));
  }

  // -- page dialogs (alert, confirm, prompt, beforeunload) -----------------------------
  // Chrome draws them outside the page, so the video never shows them: the viewer does.

  const dialogEl = document.getElementById("page-dialog");
  const dialogInput = document.getElementById("page-dialog-input");
  const dialogOk = document.getElementById("page-dialog-ok");
  const dialogCancel = document.getElementById("page-dialog-cancel");
  const DIALOG_TITLES = {
    alert: "The page says", confirm: "The page asks", prompt: "The page asks",
    beforeunload: "Leave this page? Changes you made may not be saved.",
  };

  function renderDialog() {
    const d = view.dialog;
    dialogEl.hidden = !d;
    root.dataset.dialog = d ? d.kind : "";
    if (!d) return;
    document.getElementById("page-dialog-title").textContent = DIALOG_TITLES[d.kind] || DIALOG_TITLES.alert;
    document.getElementById("page-dialog-message").textContent = d.message;
    dialogInput.hidden = d.kind !== "prompt";
    dialogCancel.hidden = d.kind === "alert";
    dialogOk.textContent = d.kind === "beforeunload" ? "Leave" : "OK";
    dialogOk.disabled = dialogCancel.disabled = dialogInput.disabled = !view.control;
    document.getElementById("page-dialog-note").textContent = view.control
      ? `Closes by itself in about ${d.secondsLeft} s if not answered.`
      : "Only the viewer in control can answer.";
  }

  function showDialog(msg) {
    view.dialog = msg;
    renderDialog();
    if (msg.kind === "prompt") dialogInput.value = msg.defaultPrompt || "";
    (msg.kind === "prompt" ? dialogInput : dialogOk).focus({ preventScroll: true });
  }

  function closeDialog(msg) {
    if (!view.dialog || (msg && msg.id !== view.dialog.id)) return;
    view.dialog = null;
    renderDialog();
    sink.focus({ preventScroll: true });
  }

  function answerDialog(accept) {
    if (!view.dialog || !view.control) return;
    const answer = { type: "dialog", id: view.dialog.id, action: accept ? "accept" : "dismiss" };
    if (accept && view.dialog.kind === "prompt") answer.text = dialogInput.value.slice(0, 1000);
    send(answer);
  }

  document.getElementById("page-dialog-form").addEventListener("submit", (e) => { e.preventDefault(); answerDialog(true); });
  dialogCancel.addEventListener("click", () => answerDialog(false));
  dialogEl.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); answerDialog(false); } });

  // A crashed page (out of memory, a renderer crash) offers a reload; the next page
  // the tab shows clears it.
  const crashedEl = document.getElementById("crashed");
  function showCrashed(msg) {
    document.getElementById("crashed-message").textContent = msg.message;
    crashedEl.hidden = false;
    root.dataset.crashed = "yes";
  }
  function hideCrashed() {
    crashedEl.hidden = true;
    root.dataset.crashed = "";
  }
  document.getElementById("crashed-reload").addEventListener("click", () => {
    send({ type: "history", action: "reload" });
    hideCrashed();
    sink.focus({ preventScroll: true });
  });

  // A session with no page yet shows where it could go instead of a blank video.
  function showStartPage() {
    const blank = view.pageUrl === "about:blank";
    const shown = blank && !view.final && view.state === "live";
    startPage.hidden = !shown;
    document.getElementById("start-page-hint").textContent = view.control
      ? "Type an address or a search in the bar above and press Enter."
      : "Nothing is open yet; whoever has control chooses the first page.";
    for (const button of startPage.querySelectorAll("button")) button.disabled = !view.control;
    return shown;
  }
  startPage.addEventListener("click", (e) => {
    const button = e.target.closest("button.recent-url");
    if (button && view.control) send({ type: "navigate", url: button.dataset.url });
  });

  function onPage(msg) {
    if (msg.url !== view.pageUrl) hideCrashed();
    const wasShown = !startPage.hidden;
    view.pageUrl = msg.url;
    const blank = msg.url === "about:blank";
    if (document.activeElement !== urlInput) urlInput.value = blank ? "" : msg.url;
    // The address bar is where a new session starts (not on a phone: that would raise
    // its keyboard over the page).
    if (showStartPage() && !wasShown && view.control && !matchMedia("(pointer: coarse)").matches) {
      urlInput.focus();
    }
    document.title = tabTitle(msg.title, msg.url);
    backButton.disabled = !msg.canGoBack;
    forwardButton.disabled = !msg.canGoForward;
  }

  const peer = new PeerLink({
    iceServers: () => view.iceServers,
    codec: preferredCodec,
    send,
    onTrack: (track) => { video.srcObject = new MediaStream([track]); },
    onStatus: setStatus,
  });
  Object.defineProperty(view, "pc", { get: () => peer.pc });

  // -- input -----------------------------------------------------------------------

  function toPage(e, clamp) {
    const size = { width: video.videoWidth, height: video.videoHeight };
    return toPagePoint(e.clientX, e.clientY, video.getBoundingClientRect(), size, view.viewport, clamp);
  }
  window.rbs.toPage = toPage;

  // -- pickers ---------------------------------------------------------------------
  // A <select> popup or a date/time/colour picker of the remote page is drawn by Chrome
  // outside the page; the viewer shows a local one at the field and sends the choice.

  const pickerEl = document.getElementById("picker");
  const pickerBody = document.getElementById("picker-body");
  let picker = null;

  function pageToClient(x, y) {
    const size = { width: video.videoWidth, height: video.videoHeight };
    return toClientPoint(x, y, video.getBoundingClientRect(), size, view.viewport);
  }

  function showPicker(msg) {
    picker = msg;
    let field;
    if (msg.kind === "select" || msg.kind === "datalist") {
      field = document.createElement("select");
      field.size = Math.max(2, Math.min(msg.options.length, 10));
      const groups = new Map();
      for (const o of msg.options) {
        const option = new Option(o.label, o.value, false, o.selected);
        option.disabled = o.disabled;
        let parent = field;
        if (o.group) {
          if (!groups.has(o.group)) { const g = document.createElement("optgroup"); g.label = o.group; field.append(g); groups.set(o.group, g); }
          parent = groups.get(o.group);
        }
        parent.append(option);
      }
      // One click on an option chooses it, as in a real dropdown.
      // (Chrome reports a click on a list's option as a click on the list; one on the
      // list's scroll bar chooses nothing.)
      field.addEventListener("click", (e) => {
        const option = field.selectedOptions[0];
        if (option && !option.disabled && e.offsetX <= field.clientWidth) choose();
      });
    } else {
      field = document.createElement("input");
      field.type = msg.kind;
      for (const bound of ["min", "max", "step"]) if (msg[bound]) field[bound] = msg[bound];
      field.value = msg.value;
    }
    field.id = "picker-field";
    field.setAttribute("aria-label", "Value for the page");
    pickerBody.replaceChildren(field);
    const at = pageToClient(msg.rect.x, msg.rect.y + msg.rect.height);
    pickerEl.style.left = `${Math.max(0, Math.min(at.x, window.innerWidth - 260))}px`;
    pickerEl.style.top = `${Math.max(0, Math.min(at.y, window.innerHeight - 280))}px`;
    pickerEl.hidden = false;
    root.dataset.picker = msg.kind;
    field.focus({ preventScroll: true });
  }

  function hidePicker() {
    picker = null;
    pickerEl.hidden = true;
    root.dataset.picker = "";
    sink.focus({ preventScroll: true });
  }

  function choose() {
    const field = document.getElementById("picker-field");
    if (picker && field && view.control) send({ type: "pick", id: picker.id, value: field.value });
    hidePicker();
  }

  pickerEl.addEventListener("submit", (e) => { e.preventDefault(); choose(); });
  document.getElementById("picker-cancel").addEventListener("click", hidePicker);
  pickerEl.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); hidePicker(); }
    else if (e.key === "Enter" && e.target.id === "picker-field") { e.preventDefault(); choose(); }
  });

  // -- downloads -------------------------------------------------------------------

  const downloadList = document.getElementById("download-list");
  const downloadItems = new Map();

  function sizeText(bytes) {
    return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
  }

  function onDownload(msg) {
    document.getElementById("downloads").hidden = false;
    let item = downloadItems.get(msg.id);
    if (!item) {
      item = document.createElement("li");
      item.dataset.id = msg.id;
      downloadItems.set(msg.id, item);
      downloadList.append(item);
    }
    item.dataset.state = msg.state;
    if (msg.state === "completed") {
      const link = document.createElement("a");
      link.href = `/sessions/${sessionId}/downloads/${encodeURIComponent(msg.id)}/`;
      link.textContent = msg.filename;
      link.setAttribute("download", msg.filename);
      item.replaceChildren(link, ` (${sizeText(msg.receivedBytes)})`);
    } else if (msg.state === "in_progress") {
      const of = msg.totalBytes ? ` of ${sizeText(msg.totalBytes)}` : "";
      item.textContent = `${msg.filename}: ${sizeText(msg.receivedBytes)}${of}…`;
    } else {
      item.textContent = `${msg.filename}: not downloaded. ${msg.reason || ""}`;
      showError(`Download refused: ${msg.filename}. ${msg.reason || ""}`);
    }
  }

  // -- uploads ---------------------------------------------------------------------
  // A file field in the remote page opens the user's own file picker; the chosen files
  // go to the server, and the host hands them to the page.

  const chooserEl = document.getElementById("file-chooser");
  const chooserInput = document.getElementById("file-chooser-input");
  const chooserNote = document.getElementById("file-chooser-note");
  let chooser = null;

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  }

  function showFileChooser(msg) {
    chooser = msg;
    chooserInput.value = "";
    chooserInput.multiple = msg.multiple;
    chooserInput.accept = msg.accept || "";
    document.getElementById("file-chooser-title").textContent =
      `The page asks for ${msg.multiple ? "files" : "a file"} (up to ${sizeText(msg.maxBytes)}).`;
    chooserNote.textContent = "";
    chooserEl.hidden = false;
    root.dataset.chooser = "open";
    // Still within the click that opened it, the user's own picker opens at once; where
    // the browser refuses, the field in the panel does it.
    try { chooserInput.click(); } catch (e) { /* the panel stays */ }
  }

  function hideFileChooser() {
    chooser = null;
    chooserEl.hidden = true;
    sink.focus({ preventScroll: true });
  }

  async function upload(files) {
    const asked = chooser;
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total > asked.maxBytes) {
      const text = `Not uploaded: ${sizeText(total)} is more than the ${sizeText(asked.maxBytes)} allowed.`;
      chooserNote.textContent = text;
      root.dataset.chooser = "refused";
      showError(text);
      return;
    }
    chooserNote.textContent = `Uploading ${sizeText(total)}…`;
    root.dataset.chooser = "uploading";
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    try {
      const reply = await fetch(`/sessions/${sessionId}/uploads/`, {
        method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      });
      const body = await reply.json().catch(() => ({}));
      if (!reply.ok) throw new Error(body.error || `the server answered ${reply.status}`);
      send({ type: "upload", id: asked.id, token: body.token });
      root.dataset.chooser = "sent";
      hideFileChooser();
    } catch (e) {
      const text = `Not uploaded: ${e.message}`;
      chooserNote.textContent = text;
      root.dataset.chooser = "refused";
      showError(text);
    }
  }

  function onUploaded(msg) {
    root.dataset.chooser = "done";
    const names = msg.files.map((f) => f.name).join(", ");
    statusNote(`Given to the page: ${names}`);
  }

  function statusNote(text) { detailEl.textContent = text; }

  chooserInput.addEventListener("change", () => {
    if (chooser && chooserInput.files.length) upload([...chooserInput.files]);
  });
  document.getElementById("file-chooser-cancel").addEventListener("click", () => {
    if (chooser) send({ type: "upload", id: chooser.id, cancel: true });
    hideFileChooser();
  });

  // -- clipboard -----------------------------------------------------------------
  // What the remote page copies arrives as "clipboard" and goes on the user's own
  // clipboard where the browser allows it; the panel shows it where it does not.

  const clip = { text: "", synced: false, at: 0, lastBlurAt: 0 };
  const clipPanel = document.getElementById("clipboard-panel");
  const clipButton = document.getElementById("clipboard-button");
  const clipText = document.getElementById("clipboard-text");
  const clipNote = document.getElementById("clipboard-note");
  // Copying anything elsewhere takes the focus away from this window first.
  window.addEventListener("blur", () => { clip.lastBlurAt = performance.now(); });

  function showClipboardPanel(open) {
    clipPanel.hidden = !open;
    clipButton.setAttribute("aria-expanded", String(open));
    clipButton.classList.toggle("active", open);
  }

  async function onClipboard(msg) {
    Object.assign(clip, { text: msg.text, synced: false, at: performance.now() });
    clipText.value = msg.text;
    root.dataset.clipboard = "received";
    const cut = msg.truncated ? " (shortened to its first 256 KiB)" : "";
    try {
      await navigator.clipboard.writeText(msg.text);
      clip.synced = true;
      root.dataset.clipboard = "synced";
      clipNote.textContent = `On your clipboard${cut}.`;
    } catch (e) {
      root.dataset.clipboard = "panel";
      clipNote.textContent = `Your browser did not let this page use your clipboard: copy it from here${cut}.`;
      showClipboardPanel(true);
    }
  }

  clipButton.addEventListener("click", () => showClipboardPanel(clipPanel.hidden));
  document.getElementById("clipboard-copy").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(clipText.value); }
    catch (e) { clipText.select(); document.execCommand("copy"); }
    clip.synced = true;
    clipNote.textContent = "On your clipboard.";
  });
  document.getElementById("clipboard-paste").addEventListener("click", async () => {
    try {
      const text = await navigator.clipboard.readText();
      for (const message of textMessages(text)) send(message);
      sink.focus({ preventScroll: true });
    } catch (e) { showError("Your browser did not let this page read your clipboard; use Ctrl+V in the page."); }
  });

  // -- tabs ------------------------------------------------------------------------
  // The remote browser's tabs; the stream and input follow the active one.

  const tabList = document.getElementById("tab-list");
  const newTabButton = document.getElementById("tab-new");

  function renderTabs(msg) {
    view.tabs = msg.tabs;
    view.tabLimit = msg.limit;
    root.dataset.tabs = String(msg.tabs.length);
    newTabButton.disabled = msg.tabs.length >= msg.limit;
    newTabButton.title = newTabButton.disabled ? `At most ${msg.limit} tabs` : "New tab";
    tabList.replaceChildren(...msg.tabs.map((t) => {
      const tab = document.createElement("div");
      tab.className = "tab";
      tab.dataset.id = String(t.id);
      // A list of buttons, not the ARIA tab pattern: a tab holds two controls (switch
      // and close), and a role="tab" may not hold controls.
      tab.setAttribute("role", "listitem");
      tab.dataset.active = String(t.active);
      const title = document.createElement("button");
      title.type = "button";
      title.className = "tab-title";
      if (t.active) title.setAttribute("aria-current", "page");
      title.textContent = t.title || t.url || "New tab";
      title.title = t.url;
      title.addEventListener("click", () => { if (!t.active) send({ type: "tab", action: "activate", id: t.id }); sink.focus({ preventScroll: true }); });
      const close = document.createElement("button");
      close.type = "button";
      close.className = "tab-close";
      close.textContent = "×";
      close.setAttribute("aria-label", `Close ${title.textContent}`);
      close.addEventListener("click", () => send({ type: "tab", action: "close", id: t.id }));
      tab.append(title, close);
      return tab;
    }));
  }
  newTabButton.addEventListener("click", () => { send({ type: "tab", action: "open" }); urlInput.focus(); });

  // -- toolbar -------------------------------------------------------------------

  document.getElementById("url-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send({ type: "navigate", url: urlInput.value });
    sink.focus({ preventScroll: true });
  });
  takeButton.addEventListener("click", () => send({ type: "control", action: "take" }));
  backButton.addEventListener("click", () => send({ type: "history", action: "back" }));
  forwardButton.addEventListener("click", () => send({ type: "history", action: "forward" }));
  document.getElementById("nav-reload").addEventListener("click", () => send({ type: "history", action: "reload" }));
  document.getElementById("one-to-one").addEventListener("click", (e) => {
    stage.classList.toggle("native");
    e.currentTarget.classList.toggle("active");
  });

  // -- stats -----------------------------------------------------------------------

  async function sampleStats() {
    send({ type: "ping", t: performance.now() });
    if (!peer.pc) { statsEl.textContent = ""; return; }
    const { now, stats } = await measure(peer.pc, view.lastStats, view.wsRtt);
    view.lastStats = now;
    if (!stats) return;
    window.rbs.stats = stats;
    statsEl.textContent = describe(stats, view.maxFps);
    showQuality(quality(stats));
  }

  // By default only a dot says how the connection is; the figures are one click away.
  const qualityEl = document.getElementById("quality");
  const QUALITY_WORDS = { good: "good", degraded: "degraded", bad: "bad", unknown: "measuring" };
  function showQuality(level) {
    qualityEl.dataset.quality = level;
    qualityEl.setAttribute("aria-label", `Connection: ${QUALITY_WORDS[level]}`);
    qualityEl.title = `Connection: ${QUALITY_WORDS[level]}`;
  }
  const statsToggle = document.getElementById("stats-toggle");
  statsToggle.addEventListener("click", () => {
    statsEl.hidden = !statsEl.hidden;
    statsToggle.setAttribute("aria-pressed", String(!statsEl.hidden));
  });
  setInterval(() => { sampleStats().catch(() => {}); dropIfSilent(); showProgress(); }, 1000);

  // Stop asks first: it ends Chrome, and whatever the page held is gone.
  const stopForm = document.getElementById("stop-form");
  const stopDialog = document.getElementById("stop-confirm");
  if (stopForm && stopDialog) {
    stopForm.addEventListener("submit", (e) => {
      if (stopForm.dataset.confirmed) return;
      e.preventDefault();
      stopDialog.showModal();
    });
    stopDialog.addEventListener("close", () => {
      if (stopDialog.returnValue !== "stop") return;
      stopForm.dataset.confirmed = "yes";
      stopForm.requestSubmit();
    });
  }

  attachInput({
    video, stage, sink, view, toPage, send,
    // The newest copy was made in the remote page and is not on this clipboard.
    remotePasteWanted: () => Boolean(clip.text && !clip.synced && clip.at > clip.lastBlurAt),
    onShortcut,
    pageScale: () => {
      const size = { width: video.videoWidth, height: video.videoHeight };
      return toClientPoint(0, 0, video.getBoundingClientRect(), size, view.viewport).scale;
    },
  });
  // A session that had already ended when this page was made: said at once, from the
  // record (its socket is then refused).
  if (root.dataset.endedState) {
    view.final = true;
    setStatus(root.dataset.endedState, reasonWords(root.dataset.endedReason));
    showEnded(endSentence(root.dataset.endedState, root.dataset.endedReason, root.dataset.endedDetail));
  } else {
    connect();
  }
}
