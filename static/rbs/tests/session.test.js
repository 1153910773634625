import assert from "node:assert";
import test from "node:test";

import { elapsedWords, endSentence, staffNotice, tabTitle, viewerGroups, viewerLabel } from "../session.js";

test("a normal stop reads as one, never as a failure; the server's detail follows", () => {
  assert.strictEqual(endSentence("ended", "user_stopped", ""), "You stopped this session.");
  assert.strictEqual(
    endSentence("ended", "idle_timeout", "Nobody watched or used it for 15 minutes."),
    "The session ended because nobody was using it. Nobody watched or used it for 15 minutes.",
  );
  assert.strictEqual(endSentence("ended", "killed", "killed"), "A staff member ended this session.");
  assert.strictEqual(endSentence("failed", "crashed", "Chrome or chromedriver exited."),
    "Chrome crashed; the session could not go on. Chrome or chromedriver exited.");
  assert.strictEqual(endSentence("failed", "", ""), "The session failed.");
  assert.strictEqual(endSentence("ended", "something_new", ""), "The session ended.");
});

test("one person on two devices is one line with a count and the kinds of device", () => {
  const viewers = [
    { id: "1", username: "alice", owner: true, staff: false, control: true, device: "phone" },
    { id: "2", username: "alice", owner: true, staff: false, control: false, device: "computer" },
    { id: "3", username: "ops", owner: false, staff: true, control: false, device: "computer" },
    { id: "4", username: "bob", owner: false, staff: false, control: false, device: "computer" },
    { id: "5", username: "bob", owner: false, staff: false, control: false, device: "computer" },
    { id: "6", username: "eve", owner: false, staff: false, control: false, device: "" },
    { id: "7", username: "eve", owner: false, staff: false, control: false },
  ];
  const groups = viewerGroups(viewers, "2");
  assert.deepStrictEqual(groups.map(viewerLabel), [
    "alice (owner, 2 devices: computer, phone) — you",
    "ops (staff)",
    "bob (2 computers)",
    "eve (2 devices)",
  ]);
  assert.ok(groups[0].control && groups[0].you);
  assert.deepStrictEqual(groups[0].ids, ["1", "2"]);
});

test("the owner is told when staff watch or take control; nobody else is", () => {
  const alice = { id: "1", username: "alice", owner: true, staff: false, control: true };
  const ops = { id: "2", username: "ops", owner: false, staff: true, control: false };
  assert.strictEqual(staffNotice([alice], "1"), "");
  assert.strictEqual(staffNotice([alice, ops], "1"), "Staff (ops) is watching your session.");
  assert.strictEqual(staffNotice([{ ...alice, control: false }, { ...ops, control: true }], "1"),
    "Staff member ops has control of your session.");
  assert.strictEqual(staffNotice([alice, ops], "2"), "", "staff are not told about themselves");
});

test("the tab's title names the page, then the product", () => {
  assert.strictEqual(tabTitle("Inbox", "https://mail.example/"), "Inbox · Remote Browser");
  assert.strictEqual(tabTitle("", "https://mail.example/"), "https://mail.example/ · Remote Browser");
  assert.strictEqual(tabTitle("", ""), "Remote Browser");
});

test("elapsed time in seconds, then minutes", () => {
  assert.strictEqual(elapsedWords(3400), "3 s");
  assert.strictEqual(elapsedWords(75000), "1 min 15 s");
});
