"""Pages the remote Chrome loads in tests, served by the tests on loopback."""

from __future__ import annotations

import html
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

# A red box that turns green when clicked, and a text field whose value becomes the
# title (visible to viewers through the protocol's "page" message).
CLICK_AND_TYPE = """<!doctype html><html><head><title>start</title><style>
body { margin:0; background:#ffffff; font:24px sans-serif; }
#box { position:absolute; left:100px; top:100px; width:200px; height:200px; background:#ff0000; }
#box.clicked { background:#00ff00; }
#field { position:absolute; left:100px; top:400px; width:500px; height:40px; font-size:24px; }
#blue { position:absolute; left:800px; top:100px; width:300px; height:300px; background:#0000ff; }
</style></head><body>
<div id="box"></div><div id="blue"></div><input id="field" autocomplete="off">
<script>
const box = document.getElementById("box");
box.addEventListener("click", () => box.classList.toggle("clicked"));
const field = document.getElementById("field");
field.addEventListener("input", () => { document.title = "typed:" + field.value; });
</script></body></html>"""

# A full-window canvas redrawn every animation frame (busy text on a moving colour),
# with the same click box drawn at (100,100)-(300,300).
CANVAS_ANIMATION = """<!doctype html><html><head><title>canvas</title></head>
<body style="margin:0;overflow:hidden"><canvas id="c" width="1280" height="720"></canvas><script>
const c = document.getElementById("c").getContext("2d");
let clicked = false;
// Any click toggles: the seed pipeline's element.click() carries no coordinates.
document.getElementById("c").addEventListener("click", () => { clicked = !clicked; });
function draw(t) {
  c.fillStyle = `hsl(${(t / 10) % 360},70%,50%)`; c.fillRect(0, 0, 1280, 720);
  c.fillStyle = "#fff"; c.font = "40px sans-serif";
  for (let i = 0; i < 12; i++) c.fillText("frame " + t.toFixed(1), 340 + ((t / 5 + i * 50) % 600), 50 + i * 55);
  c.fillStyle = clicked ? "#00ff00" : "#ff0000"; c.fillRect(100, 100, 200, 200);
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
</script></body></html>"""

# A CSS animation (a moving, rotating gradient panel) next to the click box.
CSS_ANIMATION = """<!doctype html><html><head><title>css</title><style>
body { margin:0; background:#fff; overflow:hidden; }
#box { position:absolute; left:100px; top:100px; width:200px; height:200px; background:#ff0000; }
#box.clicked { background:#00ff00; }
#panel { position:absolute; left:400px; top:100px; width:500px; height:400px;
  background:linear-gradient(90deg,#123,#4af,#fa4); animation:move 2s linear infinite alternate; }
@keyframes move { from { transform:translateX(0) rotate(0deg); } to { transform:translateX(300px) rotate(20deg); } }
</style></head><body><div id="box"></div><div id="panel"></div><script>
const box = document.getElementById("box");
box.addEventListener("click", () => box.classList.toggle("clicked"));
</script></body></html>"""

# Every kind of input, reported through the title (which viewers get as "page").
INPUT_EVENTS = """<!doctype html><html><head><title>input</title><style>
body { margin:0; height:3000px; font:20px sans-serif; }
#t { position:absolute; left:100px; top:100px; width:400px; height:150px; font-size:20px; }
#next { position:absolute; left:100px; top:300px; width:200px; }
#hover { position:absolute; left:700px; top:100px; width:200px; height:100px; background:#ccc; }
#words { position:absolute; left:100px; top:400px; width:600px; user-select:text; }
</style></head><body>
<textarea id="t"></textarea><input id="next"><div id="hover"></div>
<p id="words">alpha beta gamma delta</p>
<script>
const s = { hover: 0, dbl: 0, ctx: 0 };
const show = () => {
  const sel = String(getSelection()).trim() || (document.activeElement.selectionStart !== undefined
    ? document.activeElement.value.slice(document.activeElement.selectionStart, document.activeElement.selectionEnd) : "");
  document.title = `v=${JSON.stringify(document.getElementById("t").value)}|focus=${document.activeElement.id}|sel=${sel}|hover=${s.hover}|dbl=${s.dbl}|ctx=${s.ctx}|y=${Math.round(scrollY)}`;
};
document.getElementById("hover").addEventListener("mouseenter", () => { s.hover++; show(); });
addEventListener("dblclick", () => { s.dbl++; setTimeout(show); });
addEventListener("contextmenu", (e) => { e.preventDefault(); s.ctx++; show(); });
for (const kind of ["input", "keyup", "mouseup", "scroll", "focusin", "selectionchange"]) document.addEventListener(kind, () => setTimeout(show));
show();
</script></body></html>"""

# A long article as news sites make them: a fixed header over sections of distinct
# colours (so any frame tells where the page is scrolled), images and paragraphs.
ARTICLE = """<!doctype html><html><head><title>article</title><style>
body { margin:0; font:18px/1.5 serif; }
header { position:fixed; top:0; left:0; right:0; height:60px; background:#202020; color:#fff; z-index:1; }
section { height:400px; padding:80px 40px 0; box-sizing:border-box; }
img { width:160px; height:90px; display:block; }
</style></head><body><header>The Daily Loopback</header>
<script>
for (let i = 0; i < 30; i++) {
  const s = document.createElement("section");
  s.id = "s" + i;
  s.style.background = `hsl(${(i * 47) % 360},75%,${i % 2 ? 45 : 60}%)`;
  s.innerHTML = `<h2>Section ${i}</h2><img alt="" src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='16' height='9'><rect width='16' height='9' fill='%23${(i * 123457 % 0xffffff).toString(16).padStart(6, "0")}'/></svg>"><p>Paragraph ${i} of the article.</p>`;
  document.body.appendChild(s);
}
</script></body></html>"""

# Buttons that open each kind of JavaScript dialog; what the page got back becomes its
# title. A text field reports its value the same way ("typed:...").
DIALOGS = """<!doctype html><html><head><title>dialogs</title><style>
body { margin:0; font:20px sans-serif; background:#fff; }
button { position:absolute; top:100px; width:160px; height:80px; font-size:20px; }
#field { position:absolute; left:100px; top:300px; width:500px; height:40px; font-size:20px; }
</style></head><body>
<button id="alert" style="left:100px">alert</button>
<button id="confirm" style="left:300px">confirm</button>
<button id="prompt" style="left:500px">prompt</button>
<button id="guard" style="left:700px">guard</button>
<button id="later" style="left:900px">later</button>
<input id="field" autocomplete="off">
<script>
const show = (text) => { document.title = text; };
document.getElementById("alert").onclick = () => { alert("Hello from the page"); show("alert:done"); };
document.getElementById("confirm").onclick = () => show("confirm:" + confirm("Proceed?"));
document.getElementById("prompt").onclick = () => show("prompt:" + prompt("Your name?", "nobody"));
document.getElementById("guard").onclick = () => {
  addEventListener("beforeunload", (e) => { e.preventDefault(); e.returnValue = ""; });
  show("guarded");
};
// A dialog that opens without a click, as pages do from timers.
document.getElementById("later").onclick = () => setTimeout(() => { alert("later"); show("later:done"); }, 300);
document.getElementById("field").addEventListener("input", (e) => show("typed:" + e.target.value));
</script></body></html>"""

# A form that POSTs (urlencoded, as browsers submit), and a script that POSTs a large
# body with fetch: the server answers each with what it received.
FORM = """<!doctype html><html><head><title>form</title><style>
body { margin:0; font:20px sans-serif; }
form { position:absolute; left:100px; top:100px; }
input, textarea, select { display:block; width:400px; height:40px; font-size:20px; margin-bottom:20px; }
#big { position:absolute; left:700px; top:100px; width:200px; height:80px; font-size:20px; }
</style></head><body>
<form method="post" action="/submit">
<input name="name" id="name" autocomplete="off">
<select name="colour"><option>red</option><option selected>green</option><option>blue</option></select>
<input type="date" name="day" value="2026-11-22">
<textarea name="note">a note</textarea>
<button id="send" type="submit">Send</button>
</form>
<button id="big">upload 3 MiB</button>
<script>
document.getElementById("big").onclick = async () => {
  const body = new Uint8Array(3 * 1024 * 1024).fill(97);
  const started = performance.now();
  const reply = await fetch("/echo", { method: "POST", body });
  document.title = `echo:${await reply.text()}:${Math.round(performance.now() - started)}ms`;
};
</script></body></html>"""

# Text to select and copy, a copy button as sites make them (navigator.clipboard), and a
# field whose value becomes the title ("typed:...").
COPY = """<!doctype html><html><head><title>copy</title><style>
body { margin:0; font:24px sans-serif; }
#words { position:absolute; left:100px; top:100px; margin:0; }
#coupon { position:absolute; left:100px; top:200px; width:240px; height:60px; font-size:20px; }
#field { position:absolute; left:100px; top:320px; width:500px; height:40px; font-size:20px; }
</style></head><body>
<p id="words">RemoteWordToCopy</p>
<button id="coupon">copy coupon</button>
<input id="field" autocomplete="off">
<script>
document.getElementById("coupon").onclick = () => navigator.clipboard.writeText("coupon-XYZ-42");
document.getElementById("field").addEventListener("input", (e) => { document.title = "typed:" + e.target.value; });
</script></body></html>"""

# Every field whose popup Chrome draws outside the page; each change shows in the title.
PICKERS = """<!doctype html><html><head><title>pickers</title><style>
body { margin:0; font:20px sans-serif; }
select, input { position:absolute; left:100px; width:300px; height:40px; font-size:20px; }
</style></head><body>
<select id="fruit" style="top:100px"><optgroup label="Common"><option>apple</option><option>pear</option></optgroup>
<optgroup label="Rare"><option disabled>durian</option><option>quince</option></optgroup></select>
<input id="day" type="date" value="2026-11-22" min="2026-01-01" max="2027-12-31" style="top:180px">
<input id="at" type="time" value="09:30" style="top:260px">
<input id="tint" type="color" value="#ff0000" style="top:340px">
<input id="city" list="cities" autocomplete="off" style="top:420px">
<datalist id="cities"><option value="Lisbon"><option value="Oslo"><option value="Quito"></datalist>
<script>
const show = () => { document.title = ["fruit", "day", "at", "tint", "city"].map((id) => document.getElementById(id).value).join("|"); };
for (const id of ["fruit", "day", "at", "tint", "city"]) document.getElementById(id).addEventListener("change", show);
</script></body></html>"""

# Download links as sites make them: an attachment, and a larger one.
DOWNLOADS = """<!doctype html><html><head><title>downloads</title><style>
body { margin:0; font:24px sans-serif; }
a { position:absolute; left:100px; display:block; width:300px; height:50px; background:#ddd; }
</style></head><body>
<a id="report" href="/files/report%20Q3.csv?size=12345" style="top:100px">report</a>
<a id="big" href="/files/big.bin?size=3000000" style="top:200px">big file</a>
</body></html>"""

# A page that tries to open 50 windows by itself, and a button that opens one.
POPUPS = """<!doctype html><html><head><title>popups</title></head><body style="margin:0">
<button id="open" style="position:absolute;left:0;top:0;width:200px;height:200px"
  onclick="window.open('/click.html')">open</button>
<script>setTimeout(() => { for (let i = 0; i < 50; i++) window.open("/click.html?" + i); }, 200);</script>
</body></html>"""

# Tabs as sites open them: a target=_blank link, a sign-in popup that posts its result
# back to this page and closes itself (the OAuth shape), and a popup that opens an alert.
# The page turns green once the popup's answer arrives.
TABS = """<!doctype html><html><head><title>tabs</title><style>
body { margin:0; font:24px sans-serif; background:#0000ff; }
body.signed { background:#00ff00; }
.b { position:absolute; left:100px; width:300px; height:80px; display:block; background:#ddd; }
</style></head><body>
<a class="b" id="blank" href="/click.html" target="_blank" style="top:100px">new tab</a>
<button class="b" id="signin" style="top:250px"
  onclick="window.open('/oauth.html', 'signin', 'width=500,height=600')">sign in</button>
<button class="b" id="alerting" style="top:400px"
  onclick="window.open('/alerting.html')">popup alert</button>
<a class="b" id="forbidden" href="http://127.0.0.1:8081/" target="_blank" style="top:550px">loopback</a>
<script>
addEventListener("message", (e) => {
  if (e.origin !== location.origin) return;
  document.title = "signed-in:" + e.data.user;
  document.body.className = "signed";
});
</script></body></html>"""

# The identity provider's page in the popup: a form that POSTs.
OAUTH = """<!doctype html><html><head><title>sign in</title><style>
body { margin:0; font:24px sans-serif; background:#ffff00; }
#user { position:absolute; left:100px; top:100px; width:400px; height:40px; font-size:24px; }
#go { position:absolute; left:100px; top:200px; width:200px; height:60px; }
</style></head><body><form method="post" action="/oauth/callback">
<input id="user" name="user" autocomplete="off" autofocus><button id="go">Allow</button>
</form></body></html>"""

# What the provider answers: the result to the opener, then the popup closes itself.
OAUTH_CALLBACK = """<!doctype html><title>done</title><script>
window.opener.postMessage({user: %s}, location.origin);
window.close();
</script>"""

ALERTING = """<!doctype html><html><head><title>alerting</title></head>
<body style="margin:0;background:#ff00ff"><script>alert("from the popup");
document.title = "alerting:answered";</script></body></html>"""

# File fields: one file, and several text files; what the page received goes to the title.
FILES = """<!doctype html><html><head><title>files</title><style>
body { margin:0; font:24px sans-serif; }
input { position:absolute; left:100px; width:500px; height:60px; }
</style></head><body>
<input type="file" id="one" style="top:100px">
<input type="file" id="many" multiple accept=".txt,text/plain" style="top:250px">
<script>
for (const field of document.querySelectorAll("input")) field.addEventListener("change", async () => {
  const seen = [];
  for (const file of field.files) seen.push(`${file.name}:${file.size}:${(await file.text()).slice(0, 12)}`);
  document.title = `${field.id}=` + seen.join("|");
});
</script></body></html>"""

# A page that allocates without end once clicked: its renderer runs out of memory.
HOG = """<!doctype html><html><head><title>hog</title></head>
<body style="margin:0;background:#ff8800">
<button id="eat" style="position:absolute;left:0;top:0;width:300px;height:200px"
  onclick="const kept = []; for (;;) kept.push(new Array(1e6).fill(Math.random()));">eat</button>
</body></html>"""

# A page that spins its main thread and two workers for as long as it is open.
SPIN = """<!doctype html><html><head><title>spin</title></head>
<body style="margin:0;background:#8800ff"><script>
const busy = "for (;;) {}";
for (let i = 0; i < 2; i++) new Worker(URL.createObjectURL(new Blob([busy])));
setTimeout(() => { for (;;) {} }, 300);
</script></body></html>"""

# A page that opens ?n= WebSockets to ws://<pages address>:?port= and keeps them open.
SOCKETS = """<!doctype html><html><head><title>sockets</title></head><body><script>
const q = new URLSearchParams(location.search), kept = [];
let open = 0;
for (let i = 0; i < Number(q.get("n") || 300); i++) {
  const ws = new WebSocket(`ws://${location.hostname}:${q.get("port")}/`);
  ws.onopen = () => { open += 1; document.title = "open:" + open; };
  kept.push(ws);
}
</script></body></html>"""

# A page that says in its title how big it is and what kind of screen it is on, and
# whether a tap on it is a touch; a responsive layout beneath (a phone's page).
SCREEN = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<style>body{margin:0;font:16px sans-serif} main{display:grid;gap:8px;padding:8px;
grid-template-columns:repeat(auto-fill,minmax(200px,1fr))} div{height:80px;background:#8ad}
</style></head><body><main><div></div><div></div><div></div><div></div></main><script>
let touched = 0, clicked = "";
addEventListener("touchstart", () => { touched += 1; show(); });
addEventListener("click", (e) => { clicked = `${e.clientX},${e.clientY}`; show(); });
function show() {
  const coarse = matchMedia("(pointer: coarse)").matches ? 1 : 0;
  document.title = `w=${innerWidth}|h=${innerHeight}|dpr=${devicePixelRatio}` +
    `|points=${navigator.maxTouchPoints}|coarse=${coarse}|touched=${touched}|click=${clicked}` +
    `|zoom=${visualViewport.scale.toFixed(2)}`;
}
addEventListener("resize", show);
visualViewport.addEventListener("resize", show);
setInterval(show, 250);  // what no event announces (touch turned on) shows too
show();
</script></body></html>"""

PAGES = {
    "/screen.html": SCREEN,
    "/click.html": CLICK_AND_TYPE,
    "/spin.html": SPIN,
    "/sockets.html": SOCKETS,
    "/canvas.html": CANVAS_ANIMATION,
    "/css.html": CSS_ANIMATION,
    "/input.html": INPUT_EVENTS,
    "/article.html": ARTICLE,
    "/dialogs.html": DIALOGS,
    "/form.html": FORM,
    "/copy.html": COPY,
    "/pickers.html": PICKERS,
    "/downloads.html": DOWNLOADS,
    "/popups.html": POPUPS,
    "/tabs.html": TABS,
    "/oauth.html": OAUTH,
    "/alerting.html": ALERTING,
    "/files.html": FILES,
    "/hog.html": HOG,
}


class _Handler(http.server.BaseHTTPRequestHandler):
    # Keep-alive, as real servers do: idle connections stay open between requests.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/files/"):
            self._send_file()
            return
        body = PAGES.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        self._send(body)

    def do_POST(self) -> None:
        # Like any real server: the whole body first, then the answer.
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/echo":
            self._send(f"{len(data)}", "text/plain")
        elif self.path == "/oauth/callback":
            answer = dict(urllib.parse.parse_qsl(data.decode(), keep_blank_values=True))
            user = json.dumps(answer.get("user", "")).replace("<", "\\u003c")
            self._send(OAUTH_CALLBACK % user)
        elif self.path == "/submit":
            fields = urllib.parse.parse_qsl(data.decode(), keep_blank_values=True)
            shown = html.escape("&".join(f"{name}={value}" for name, value in fields))
            self._send(f"<!doctype html><title>posted:{shown}</title><p>{shown}</p>")
        else:
            self.send_error(404)

    def _send_file(self) -> None:
        """``/files/NAME?size=N``: an attachment of N bytes (a repeated line)."""
        parts = urllib.parse.urlsplit(self.path)
        name = urllib.parse.unquote(parts.path.removeprefix("/files/"))
        size = int(urllib.parse.parse_qs(parts.query).get("size", ["1000"])[0])
        data = (b"remote,browser,download\n" * (size // 24 + 1))[:size]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", f'attachment; filename="{name}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


# The remote browsers reach test pages here only: the live server allows this one
# loopback address (RBS_EGRESS_ALLOW); the rest of loopback stays blocked.
PAGES_ADDRESS = "127.0.0.2"


@contextmanager
def serve_pages() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((PAGES_ADDRESS, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{PAGES_ADDRESS}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
