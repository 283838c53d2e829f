// The sync panel: what waits, what is being sent, what the server refused and why, and how
// much room the phone has left.

import { currentUser, panel, say } from "./page.js";
import { QUIET_MS, state } from "./state.js";
import { allEntries } from "./store.js";
import { discard, resend } from "./sync.js";

const LOW_STORAGE_BYTES = 50 * 1024 * 1024;
const SYNCED_MS = 6000; // how long "everything is saved" stays up

function size(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function describe(entry) {
  return say(entry.kind, { title: entry.title || "", answer: entry.answerLabel || "" });
}

function statusLines(waiting, refused) {
  const lines = [];
  if (state.storageFull) lines.push(say("storage_full"));
  // A sync that is over within QUIET_MS (the usual case online) shows nothing at all.
  const quiet = state.running && Date.now() - state.runStarted < QUIET_MS;
  if (quiet) {
    // say nothing yet
  } else if (state.syncing) {
    lines.push(say("syncing", { done: Math.min(state.done + 1, state.total), total: state.total }));
  } else if (waiting.length && state.needsLogin) {
    lines.push(say("login", { n: waiting.length }));
  } else if (waiting.length && !navigator.onLine) {
    lines.push(say("offline", { n: waiting.length }));
  } else if (waiting.length) {
    lines.push(say("waiting", { n: waiting.length }));
    if (state.retryAt > Date.now()) {
      lines.push(say("retry", { s: Math.ceil((state.retryAt - Date.now()) / 1000) }));
    }
  }
  if (lines.length && !state.storageFull) state.toldWaiting = true;
  if (!waiting.length && !state.running && state.toldWaiting) {
    state.toldWaiting = false;
    state.syncedUntil = Date.now() + SYNCED_MS;
    setTimeout(render, SYNCED_MS + 50);
  }
  if (!lines.length && Date.now() < state.syncedUntil && !refused.length) {
    lines.push(say("synced"));
  }
  return { lines, quiet };
}

function storageLines(waiting) {
  const queuedBytes = waiting.reduce((sum, entry) => sum + (entry.size || 0), 0);
  const storage = [];
  if (waiting.length && state.estimate) {
    const free = state.estimate.quota - state.estimate.usage;
    storage.push(say("storage", { size: size(queuedBytes), free: size(free) }));
    if (free < LOW_STORAGE_BYTES || state.estimate.usage > 0.9 * state.estimate.quota) {
      storage.push(say("storage_low"));
    }
  }
  if (waiting.length && state.persisted === false) storage.push(say("not_persistent"));
  return storage;
}

function refusedItem(entry) {
  const item = document.createElement("li");
  const what = document.createElement("strong");
  what.textContent = describe(entry);
  const why = document.createElement("p");
  why.className = "errors";
  why.textContent = entry.reason;
  const again = document.createElement("button");
  again.type = "button";
  again.className = "button secondary";
  again.textContent = say("retry_one");
  again.addEventListener("click", () => resend(entry.seq));
  const drop = document.createElement("button");
  drop.type = "button";
  drop.className = "link-button";
  drop.textContent = say("discard");
  drop.addEventListener("click", () => discard(entry.seq));
  item.append(what, why, again, " ", drop);
  return item;
}

// Renders overlap (each awaits the store): only the one started last draws, or one that
// read the outbox before an entry was discarded could draw it back after the discard's own.
// One that a later one overtook resolves when that one has drawn: whoever awaits a render
// (a submit waiting for the outbox to empty) reads a count made after it asked. A render never
// fails: a panel that cannot be drawn must not stop whoever awaits it (the sending).
let latestRender = 0;
let latestDrawn = Promise.resolve();

export function render() {
  const drawn = draw(++latestRender).catch((error) => console.error(error));
  latestDrawn = drawn;
  return drawn;
}

async function draw(thisRender) {
  const section = panel();
  if (!section) return;
  let entries;
  try {
    entries = await allEntries();
  } catch (error) {
    return;
  }
  if (thisRender !== latestRender) return latestDrawn;
  const user = currentUser();
  const mine = entries.filter((entry) => user === null || entry.user === user);
  const waiting = mine.filter((entry) => entry.status === "waiting");
  const refused = mine.filter((entry) => entry.status === "refused");
  const others = entries.length - mine.length;
  state.waiting = waiting.length;
  document.documentElement.dataset.outboxWaiting = String(waiting.length);

  const { lines, quiet } = statusLines(waiting, refused);
  if (others) lines.push(say("other_user", { n: others }));
  section.querySelector(".sync-status").textContent = lines.join(" ");

  const bar = section.querySelector(".sync-progress");
  bar.hidden = quiet || !state.syncing;
  bar.value = state.total ? Math.round(((state.done + state.share) / state.total) * 100) : 0;

  const storage = storageLines(waiting);
  section.querySelector(".sync-storage").textContent = storage.join(" ");

  const box = section.querySelector(".sync-refused");
  box.hidden = !refused.length;
  box.querySelector(".sync-refused-head").textContent = say("refused", { n: refused.length });
  // rebuilt only when what is refused changes: a redraw must not swap a button under a finger
  const shown = refused.map((entry) => `${entry.seq} ${entry.reason}`).join("\n");
  if (box.dataset.shown !== shown) {
    box.dataset.shown = shown;
    box.querySelector("ul").replaceChildren(...refused.map(refusedItem));
  }

  section.querySelector(".sync-now").hidden = !waiting.length || state.syncing;
  section.hidden = !(lines.length || storage.length || refused.length);
  document.documentElement.classList.toggle("has-sync", !section.hidden);
  keepClear(section);
}

// The sending (sync.js) says when what it does has changed; it cannot call render() itself,
// as this module imports it.
document.addEventListener("outbox:status", (event) => event.detail.waitUntil(render()));

// The page ends below the floating panel, so scrolled to the end nothing of it (a submit
// button, the footer) stays hidden under the panel, however tall the panel is.
export function keepClear(section) {
  const below = section.hidden ? 0 : section.offsetHeight + 16;
  document.body.style.setProperty("padding-bottom", below ? `${below}px` : "");
}
