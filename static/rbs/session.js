// What the viewer says about the session itself: how it ended, who is watching, the
// tab's title. Pure: no DOM, so node --test runs it (static/rbs/tests/).

// How each end reason reads as the headline of an ended session; the server's detail
// (the idle time, the staff member's reason, Chrome's error) follows it.
const ENDINGS = {
  user_stopped: "You stopped this session.",
  idle_timeout: "The session ended because nobody was using it.",
  max_lifetime: "The session reached its longest allowed time.",
  killed: "A staff member ended this session.",
  crashed: "Chrome crashed; the session could not go on.",
  server_restart: "The server restarted; the session could not go on.",
  shutdown: "The server shut down; the session ended.",
  start_failed: "Chrome could not be started.",
  layer_lost: "The server lost its connection to the other servers.",
  host_lost: "The server running this session stopped answering.",
};

export function endSentence(state, reason, detail) {
  const headline = ENDINGS[reason] || (state === "failed" ? "The session failed." : "The session ended.");
  const extra = detail && detail !== reason ? ` ${detail}` : "";
  return `${headline}${extra}`;
}

// One line per person: the same user on two devices is listed once, with a count and
// the kinds of device ("2 devices: computer, phone").
export function viewerGroups(viewers, you) {
  const groups = new Map();
  for (const v of viewers) {
    const key = `${v.username}\u0000${v.owner}\u0000${v.staff}`;
    const group = groups.get(key) || { username: v.username, owner: v.owner, staff: v.staff, ids: [], kinds: [], control: false, you: false };
    group.ids.push(v.id);
    group.kinds.push(v.device || "other");
    group.control ||= v.control;
    group.you ||= v.id === you;
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({ ...g, devices: g.ids.length }));
}

function devicesHint(group) {
  if (group.devices < 2) return "";
  const kinds = [...new Set(group.kinds || [])].sort();
  if (kinds.length === 1) return kinds[0] === "other" ? `${group.devices} devices` : `${group.devices} ${kinds[0]}s`;
  return `${group.devices} devices: ${kinds.join(", ")}`;
}

export function viewerLabel(group) {
  const role = group.owner ? "owner" : group.staff ? "staff" : "";
  const notes = [role, devicesHint(group)].filter(Boolean).join(", ");
  return `${group.username}${notes ? ` (${notes})` : ""}${group.you ? " — you" : ""}`;
}

// Staff who are not the owner watching or driving: the owner is told.
export function staffNotice(viewers, you) {
  const me = viewers.find((v) => v.id === you);
  if (!me || !me.owner) return "";
  const staff = viewers.filter((v) => v.staff && !v.owner);
  if (!staff.length) return "";
  const driving = staff.find((v) => v.control);
  if (driving) return `Staff member ${driving.username} has control of your session.`;
  const names = [...new Set(staff.map((v) => v.username))];
  return `Staff (${names.join(", ")}) ${names.length > 1 ? "are" : "is"} watching your session.`;
}

export function tabTitle(pageTitle, url) {
  const page = pageTitle || url || "";
  return page ? `${page} · Remote Browser` : "Remote Browser";
}

export function elapsedWords(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
