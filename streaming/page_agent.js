// Runs in an isolated world of every document of the remote page: the page can neither
// see nor call it. Chrome draws <select> popups and date, time and colour pickers
// outside the page, where the screencast cannot see them; this stops them opening and
// keeps a description of what was asked for, which the host takes after the input that
// caused it and the viewer shows as a local picker. The choice comes back through pick().
(() => {
  if (window.rbs) return;
  const PICKER_TYPES = new Set(["date", "time", "datetime-local", "month", "week", "color"]);
  const LIST_TYPES = new Set(["text", "search", "url", "tel", "email"]);
  const MAX_OPTIONS = 1000;
  const KEEP = 20;
  const targets = new Map();
  let pending = null;
  let nextId = 1;

  function pickerFor(node) {
    const el = node && node.closest ? node.closest("select, input") : null;
    if (!el || el.disabled) return null;
    if (el instanceof HTMLSelectElement) return el.multiple || el.size > 1 ? null : el;
    if (!(el instanceof HTMLInputElement) || el.readOnly) return null;
    if (PICKER_TYPES.has(el.type) || (el.list && LIST_TYPES.has(el.type))) return el;
    return null;
  }

  function remember(el) {
    const id = nextId++;
    targets.set(id, new WeakRef(el));
    targets.delete(id - KEEP);
    return id;
  }

  function describe(el) {
    const r = el.getBoundingClientRect();
    const rect = { x: r.left, y: r.top, width: r.width, height: r.height };
    const id = remember(el);
    if (el instanceof HTMLSelectElement) {
      const options = [...el.options].slice(0, MAX_OPTIONS).map((o) => {
        const group = o.parentElement instanceof HTMLOptGroupElement ? o.parentElement : null;
        return { label: o.label || o.text, value: String(o.index), selected: o.selected,
                 disabled: o.disabled || Boolean(group && group.disabled), group: group ? group.label : "" };
      });
      return { id, kind: "select", options, value: String(el.selectedIndex), rect };
    }
    if (!PICKER_TYPES.has(el.type)) {
      const options = [...el.list.options].slice(0, MAX_OPTIONS).filter((o) => !o.disabled)
        .map((o) => ({ label: o.label || o.value, value: o.value }));
      return { id, kind: "datalist", options, value: el.value, rect };
    }
    return { id, kind: el.type, value: el.value, min: el.min, max: el.max, step: el.step, rect };
  }

  // Only real input (the viewer's, through CDP): a page's synthetic events ask nothing.
  document.addEventListener("mousedown", (e) => {
    if (e.button !== 0 || !e.isTrusted) return;
    const el = pickerFor(e.target);
    if (!el) return;
    // A text field with suggestions still takes the click and typing; the rest would
    // open a popup nobody sees.
    if (!(el instanceof HTMLInputElement && !PICKER_TYPES.has(el.type))) {
      e.preventDefault();
      el.focus();
    }
    pending = describe(el);
  }, true);

  document.addEventListener("keydown", (e) => {
    if (!e.isTrusted) return;
    const el = pickerFor(document.activeElement);
    if (!(el instanceof HTMLSelectElement)) return;
    const opens = e.key === " " || e.key === "F4" || (e.altKey && (e.key === "ArrowDown" || e.key === "ArrowUp"));
    if (!opens) return;
    e.preventDefault();
    pending = describe(el);
  }, true);

  window.rbs = {
    takePicker() {
      const taken = pending;
      pending = null;
      return taken;
    },
    pick(id, value) {
      const ref = targets.get(id);
      const el = ref ? ref.deref() : null;
      if (!el || !el.isConnected || el.disabled) return "gone";
      if (el instanceof HTMLSelectElement) {
        const option = el.options[Number(value)];
        if (!option || option.disabled) return "bad";
        if (option.selected) return "ok";
        el.selectedIndex = option.index;
      } else {
        el.value = value;
        if (el.value !== value && value !== "") return "bad";
      }
      el.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
      return "ok";
    },
  };
})();
