// The phone's outbox. Every answer, note and photo is first written to IndexedDB with a UUID
// of its own, then sent; it leaves the outbox only when the server has confirmed it. Sending
// is in capture order, on page open, when the network returns, after each capture and on
// "sync now"; failures are retried with growing pauses. The server takes the UUID as an
// idempotency key, so sending twice stores once. Also registers the service worker.
(function () {
  "use strict";
  const DB_NAME = "xunjian";
  const STORE = "outbox";
  const RETRY_SECONDS = [2, 4, 8, 15, 30, 60];
  const LOW_STORAGE_BYTES = 50 * 1024 * 1024;
  const QUIET_MS = 800; // a sync quicker than this is not worth a message
  const SYNCED_MS = 6000; // how long "everything is saved" stays up

  const state = {
    syncing: false,
    done: 0,
    total: 0,
    share: 0,
    retryAt: 0,
    needsLogin: false,
    runStarted: 0,
    toldWaiting: false, // the panel has said something waits: it will also say when all is in
    syncedUntil: 0,
    storageFull: false,
    persisted: null,
    estimate: null,
  };
  let retryTimer = null;
  let attempt = 0;
  let waitingCount = 0;
  let again = false;

  function panel() { return document.getElementById("sync"); }

  function say(key, values) {
    const source = document.getElementById("outbox-messages");
    const messages = source ? JSON.parse(source.textContent) : {};
    return (messages[key] || key).replace(/\{(\w+)\}/g, (whole, name) =>
      values && name in values ? String(values[name]) : whole);
  }

  function uuid4() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- IndexedDB ----------------------------------------------------------------------
  let opening = null;
  function database() {
    opening = opening || new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () =>
        request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  }

  async function transact(mode, makeRequest) {
    const db = await database();
    return new Promise((resolve, reject) => {
      // "strict": a capture counts as kept only once it is on disk, not in a write cache
      const transaction = db.transaction(STORE, mode, { durability: "strict" });
      const request = makeRequest(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = transaction.onabort = () =>
        reject(transaction.error || request.error);
    });
  }

  const allEntries = () => transact("readonly", (store) => store.getAll());
  const putEntry = (entry) => transact("readwrite", (store) => store.put(entry));
  const deleteEntry = (seq) => transact("readwrite", (store) => store.delete(seq));

  function currentUser() {
    const section = panel();
    return section && section.dataset.user ? Number(section.dataset.user) : null;
  }

  // --- capturing ----------------------------------------------------------------------
  async function add(capture) {
    const entry = {
      ...capture,
      uuid: uuid4(),
      user: currentUser(),
      status: "waiting",
      attempts: 0,
      capturedAt: Date.now(),
      size: [capture.blob, ...(capture.files || []).map((file) => file.blob)]
        .reduce((sum, blob) => sum + (blob ? blob.size : 0), 0),
    };
    try {
      waitingCount += 1;
    entry.seq = await putEntry(entry);
    } catch (error) {
      waitingCount -= 1;
      state.storageFull = true;
      render();
      throw error;
    }
    state.storageFull = false;
    keepStorage();
    announce("outbox:changed", { entry });
    drain();
    return entry;
  }

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail }));
  }

  async function keepStorage() {
    if (!navigator.storage) return;
    if (navigator.storage.persist && state.persisted === null) {
      state.persisted = await navigator.storage.persisted();
      if (!state.persisted) state.persisted = await navigator.storage.persist();
    }
    if (navigator.storage.estimate) state.estimate = await navigator.storage.estimate();
    render();
  }

  // --- sending ------------------------------------------------------------------------
  function scheduleRetry() {
    const seconds = RETRY_SECONDS[Math.min(attempt, RETRY_SECONDS.length - 1)];
    attempt += 1;
    const pause = seconds * 1000 * (0.8 + Math.random() * 0.4);
    state.retryAt = Date.now() + pause;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(drain, pause);
  }

  function retryNow() {
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
    return xhr.status === 401 || new URL(xhr.responseURL || location.href).pathname === "/login";
  }

  async function session() {
    const section = panel();
    const url = (section && section.dataset.sessionUrl) || "/session/token";
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
      render();
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
    render();
    for (const entry of mine) {
      let outcome = await send(entry, token.csrf_token);
      if (outcome === "token") {
        token = await session();
        outcome = token.csrf_token ? await send(entry, token.csrf_token) : "retry";
        if (outcome === "token") outcome = "retry";
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
      render();
    }
    keepPages(true);
  }

  // Work the outbox through. The promise resolves when it is empty, or has to wait for a
  // retry or a login. A capture made while a pass runs is picked up by the next pass.
  let running = false;
  let waiters = [];
  function drain() {
    again = true;
    const done = new Promise((resolve) => waiters.push(resolve));
    if (!running) {
      running = true;
      work();
    }
    return done;
  }

  async function work() {
    clearTimeout(retryTimer);
    state.runStarted = Date.now();
    setTimeout(render, QUIET_MS + 50);
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
      await render();
      if (state.retryAt > Date.now() || state.needsLogin) break;
    }
    running = false; // in the same step as the last look at `again`: no capture slips by
    const finished = waiters;
    waiters = [];
    for (const resolve of finished) resolve();
    keepStorage();
  }

  async function discard(seq) {
    if (!window.confirm(say("discard_confirm"))) return;
    await deleteEntry(seq);
    announce("outbox:changed", {});
    render();
  }

  async function resend(seq) {
    const entry = (await allEntries()).find((candidate) => candidate.seq === seq);
    if (!entry) return;
    entry.status = "waiting";
    entry.reason = "";
    await putEntry(entry);
    announce("outbox:changed", { entry });
    retryNow();
  }

  // --- showing ------------------------------------------------------------------------
  function size(bytes) {
    if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  }

  function describe(entry) {
    return say(entry.kind, { title: entry.title || "", answer: entry.answerLabel || "" });
  }

  async function render() {
    const section = panel();
    if (!section) return;
    let entries;
    try {
      entries = await allEntries();
    } catch (error) {
      return;
    }
    const user = currentUser();
    const mine = entries.filter((entry) => user === null || entry.user === user);
    const waiting = mine.filter((entry) => entry.status === "waiting");
    const refused = mine.filter((entry) => entry.status === "refused");
    const others = entries.length - mine.length;
    waitingCount = waiting.length;
    document.documentElement.dataset.outboxWaiting = String(waiting.length);

    const lines = [];
    if (state.storageFull) lines.push(say("storage_full"));
    // A sync that is over within QUIET_MS (the usual case online) shows nothing at all.
    const quiet = running && Date.now() - state.runStarted < QUIET_MS;
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
    if (!waiting.length && !running && state.toldWaiting) {
      state.toldWaiting = false;
      state.syncedUntil = Date.now() + SYNCED_MS;
      setTimeout(render, SYNCED_MS + 50);
    }
    if (!lines.length && Date.now() < state.syncedUntil && !refused.length) {
      lines.push(say("synced"));
    }
    if (others) lines.push(say("other_user", { n: others }));
    section.querySelector(".sync-status").textContent = lines.join(" ");

    const bar = section.querySelector(".sync-progress");
    bar.hidden = quiet || !state.syncing;
    bar.value = state.total ? Math.round(((state.done + state.share) / state.total) * 100) : 0;

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
    section.querySelector(".sync-storage").textContent = storage.join(" ");

    const box = section.querySelector(".sync-refused");
    box.hidden = !refused.length;
    box.querySelector(".sync-refused-head").textContent = say("refused", { n: refused.length });
    const list = box.querySelector("ul");
    list.replaceChildren(...refused.map((entry) => {
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
    }));

    const showSyncNow = Boolean(waiting.length) && !state.syncing;
    section.querySelector(".sync-now").hidden = !showSyncNow;
    section.hidden = !(lines.length || storage.length || refused.length);
    document.documentElement.classList.toggle("has-sync", !section.hidden);
    keepClear(section);
  }

  // The page ends below the floating panel, so scrolled to the end nothing of it (a submit
  // button, the footer) stays hidden under the panel, however tall the panel is.
  function keepClear(section) {
    const below = section.hidden ? 0 : section.offsetHeight + 16;
    document.body.style.setProperty("padding-bottom", below ? `${below}px` : "");
  }

  // --- pages for offline use ----------------------------------------------------------
  function keepPages(force) {
    const marker = document.getElementById("offline-pages");
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!marker || !worker) return;
    worker.postMessage({
      type: "keep-pages",
      urls: JSON.parse(marker.dataset.urls || "[]"),
      replaceChecklists: marker.hasAttribute("data-replace-checklists"),
      force: Boolean(force),
    });
  }

  function startWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "pages-kept") {
        document.documentElement.dataset.offlineReady = event.data.urls.join(" ");
      }
    });
    navigator.serviceWorker.ready.then(() => {
      if (navigator.serviceWorker.controller) keepPages(false);
      else navigator.serviceWorker.addEventListener("controllerchange", () => keepPages(false));
    });
  }

  // --- wiring -------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    if (event.target.closest("#sync .sync-now")) retryNow();
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.action || new URL(form.action).pathname !== "/logout") return;
    if (waitingCount && !window.confirm(say("logout_confirm", { n: waitingCount }))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) worker.postMessage({ type: "forget-pages" });
  }, true);

  document.addEventListener("htmx:sendError", () => {
    const section = panel();
    if (!section) return;
    section.querySelector(".sync-status").textContent = say("needs_network");
    section.hidden = false;
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target === document.body) { // a boosted navigation brought a new page
      keepPages(false);
      drain();
    }
  });

  document.addEventListener("toggle", (event) => {
    if (event.target.matches && event.target.matches("#sync .sync-refused")) keepClear(panel());
  }, true);
  window.addEventListener("online", retryNow);
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") drain();
  });

  // Photos leave the phone at most 1600 px on the long side, as JPEG: a 12 MP camera photo
  // of 5 MB becomes about 330 KB.
  const LONG_SIDE = 1600;
  const QUALITY = 0.82;
  async function downscale(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file; // not an image this browser can read (a PDF): the server will judge it
    }
    const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    return blob || file;
  }

  async function remove(seq) {
    await deleteEntry(seq);
    announce("outbox:changed", {});
    render();
  }

  window.XunjianOutbox = {
    add,
    remove,
    downscale,
    entries: allEntries,
    drain: retryNow,
    waiting: () => waitingCount,
    say,
  };

  startWorker();
  render();
  drain();
})();
