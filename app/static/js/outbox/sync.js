// Sending: every capture in capture order, on page open, when the network returns, after
// each capture and on "sync now"; failures are retried with growing pauses. The server takes
// each capture's UUID as an idempotency key, so sending twice stores once.

import { keepPages } from "./pages.js";
import { announce, currentUser, say, urls } from "./page.js";
import { QUIET_MS, state } from "./state.js";
import { allEntries, amendEntry, deleteEntry, putEntry, uuid4 } from "./store.js";

const RETRY_SECONDS = [2, 4, 8, 15, 30, 60];
let retryTimer = null;
let attempt = 0;
let again = false;
let waiters = [];
// Captures held back while they are being marked up (markup.js), by UUID; in memory only, so
// a page closed mid-edit holds nothing back. One held during a pass is left to the next pass,
// which reads it as it was changed.
const held = new Set();
const heldThisPass = new Set();
let sending = null; // the UUID of the capture on its way to the server

// The sync panel (panel.js) imports this module, so it hears from it by a DOM event and
// hands back its drawing: a pass awaits it, so whoever awaits drain() reads what the panel
// counted after asking.
function announceStatus() {
  const drawings = [];
  announce("outbox:status", { waitUntil: (drawing) => drawings.push(drawing) });
  return Promise.all(drawings);
}

// --- capturing ------------------------------------------------------------------------
export async function add(capture) {
  const entry = {
    ...capture,
    uuid: uuid4(),
    user: currentUser(),
    status: "waiting",
    attempts: 0,
    capturedAt: Date.now(),
    size: sizeOf(capture),
  };
  try {
    state.waiting += 1;
    entry.seq = await putEntry(entry);
  } catch (error) {
    state.waiting -= 1;
    state.storageFull = true;
    announceStatus();
    throw error;
  }
  state.storageFull = false;
  keepStorage();
  announce("outbox:changed", { entry });
  drain();
  return entry;
}

export async function remove(seq) {
  await deleteEntry(seq);
  announce("outbox:changed", {});
  announceStatus();
}

// Hold a waiting capture back from sending while it is marked up; false when it is already on
// its way.
export function hold(uuid) {
  if (sending === uuid) return false;
  held.add(uuid);
  heldThisPass.add(uuid);
  return true;
}

export function release(uuid) {
  held.delete(uuid);
  drain();
}

// Change a capture that still waits (its photo marked up); null when it has gone meanwhile.
export async function amend(seq, change) {
  const entry = await amendEntry(seq, (old) => {
    const changed = { ...old, ...change };
    return { ...changed, size: sizeOf(changed) };
  });
  if (entry) announce("outbox:changed", { entry });
  return entry;
}

function sizeOf(capture) {
  return [capture.blob, ...(capture.files || []).map((file) => file.blob)]
    .reduce((sum, blob) => sum + (blob ? blob.size : 0), 0);
}

export async function discard(seq) {
  if (!window.confirm(say("discard_confirm"))) return;
  await remove(seq);
}

export async function resend(seq) {
  const entry = (await allEntries()).find((candidate) => candidate.seq === seq);
  if (!entry) return;
  entry.status = "waiting";
  entry.reason = "";
  await putEntry(entry);
  announce("outbox:changed", { entry });
  retryNow();
}

async function keepStorage() {
  if (!navigator.storage) return;
  if (navigator.storage.persist && state.persisted === null) {
    state.persisted = await navigator.storage.persisted();
    if (!state.persisted) state.persisted = await navigator.storage.persist();
  }
  if (navigator.storage.estimate) state.estimate = await navigator.storage.estimate();
  announceStatus();
}

// --- sending --------------------------------------------------------------------------
function scheduleRetry() {
  const seconds = RETRY_SECONDS[Math.min(attempt, RETRY_SECONDS.length - 1)];
  attempt += 1;
  const pause = seconds * 1000 * (0.8 + Math.random() * 0.4);
  state.retryAt = Date.now() + pause;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(drain, pause);
}

export function retryNow() {
  attempt = 0;
  state.retryAt = 0;
  return drain();
}

// A form (kind "form") goes as the browser would post it, so its answer is the whole page;
// a checklist capture as htmx would, so its answer is the item's card.
function request(method, url, body, onProgress, asForm) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (!asForm) xhr.setRequestHeader("HX-Request", "true");
    xhr.timeout = 120000;
    if (onProgress && body) {
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
    }
    xhr.addEventListener("load", () => resolve(xhr));
    for (const failure of ["error", "timeout", "abort"]) {
      xhr.addEventListener(failure, () => resolve(null));
    }
    xhr.send(body);
  });
}

function landedOnLogin(xhr) {
  return xhr.status === 401 || new URL(xhr.responseURL || location.href).pathname === urls().login;
}

async function session() {
  const section = document.getElementById("sync");
  const url = (section && section.dataset.sessionUrl) || urls().session;
  const xhr = await request("GET", `${url}?${Date.now()}`);
  if (!xhr || xhr.status >= 500) return { retry: true };
  if (landedOnLogin(xhr)) return { login: true };
  try {
    return JSON.parse(xhr.responseText);
  } catch (error) {
    return { retry: true };
  }
}

function reasonOf(xhr) {
  const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const alert = page.querySelector("[role=alert], .errors") || page.querySelector("h1");
  return (alert && alert.textContent.trim()) || `HTTP ${xhr.status}`;
}

function formFor(entry, token) {
  const data = new FormData();
  data.append("csrf_token", token);
  data.append("client_uuid", entry.uuid);
  for (const [name, value] of Object.entries(entry.fields || {})) {
    if (value !== null && value !== undefined) data.append(name, String(value));
  }
  for (const [name, value] of entry.pairs || []) data.append(name, value);
  if (entry.blob) data.append("photo", entry.blob, entry.filename || "photo.jpg");
  for (const file of entry.files || []) data.append(file.name, file.blob, file.filename);
  return data;
}

async function send(entry, token) {
  const xhr = await request("POST", entry.url, formFor(entry, token), (share) => {
    state.share = share;
    announceStatus();
  }, entry.kind === "form");
  state.share = 0;
  if (!xhr || xhr.status === 0 || xhr.status === 408 || xhr.status === 429 || xhr.status >= 500) {
    return "retry";
  }
  if (landedOnLogin(xhr)) return "login";
  if (xhr.status >= 200 && xhr.status < 300) {
    await deleteEntry(entry.seq);
    announce("outbox:sent", { entry, html: xhr.responseText, url: xhr.responseURL });
    return "sent";
  }
  if (xhr.status === 400 && /CSRF/i.test(xhr.responseText)) return "token";
  entry.status = "refused";
  entry.reason = reasonOf(xhr);
  await putEntry(entry);
  announce("outbox:refused", { entry, html: xhr.responseText, url: xhr.responseURL });
  return "refused";
}

async function drainOnce() {
  heldThisPass.clear();
  for (const uuid of held) heldThisPass.add(uuid);
  const waiting = (await allEntries()).filter((entry) => entry.status === "waiting");
  if (!waiting.length) return;
  let token = await session();
  if (token.retry) return scheduleRetry();
  state.needsLogin = Boolean(token.login);
  if (token.login) return;
  const mine = waiting.filter((entry) => entry.user === token.user);
  if (!mine.length) return;
  state.syncing = true;
  state.done = 0;
  state.total = mine.length;
  announceStatus();
  for (const entry of mine) {
    if (heldThisPass.has(entry.uuid)) continue;
    let outcome;
    sending = entry.uuid;
    try {
      outcome = await send(entry, token.csrf_token);
      if (outcome === "token") {
        token = await session();
        outcome = token.csrf_token ? await send(entry, token.csrf_token) : "retry";
        if (outcome === "token") outcome = "retry";
      }
    } finally {
      sending = null;
    }
    if (outcome === "login") {
      state.needsLogin = true;
      return;
    }
    if (outcome === "retry") {
      entry.attempts += 1;
      await putEntry(entry);
      return scheduleRetry();
    }
    attempt = 0;
    state.retryAt = 0;
    state.done += 1;
    announceStatus();
  }
  keepPages(true);
}

// Work the outbox through. The promise resolves when it is empty, or has to wait for a
// retry or a login. A capture made while a pass runs is picked up by the next pass.
export function drain() {
  again = true;
  const done = new Promise((resolve) => waiters.push(resolve));
  if (!state.running) {
    state.running = true;
    work();
  }
  return done;
}

async function work() {
  clearTimeout(retryTimer);
  state.runStarted = Date.now();
  setTimeout(announceStatus, QUIET_MS + 50);
  while (again) {
    again = false;
    try {
      // one tab at a time replays the outbox
      if (navigator.locks) await navigator.locks.request("xunjian-outbox", drainOnce);
      else await drainOnce();
    } catch (error) {
      scheduleRetry();
    }
    state.syncing = false;
    await announceStatus();
    if (state.retryAt > Date.now() || state.needsLogin) break;
  }
  state.running = false; // in the same step as the last look at `again`: no capture slips by
  const finished = waiters;
  waiters = [];
  for (const resolve of finished) resolve();
  keepStorage();
}
