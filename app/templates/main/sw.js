// Xunjian's service worker: keeps the app shell, the pages the server marks for offline use
// (the today page, started checklists) and their thumbnails, so they open with no network.
// What an inspector captures offline is not here but in IndexedDB (static/js/outbox/).
"use strict";
const SHELL = "shell-{{ version }}";
const SHELL_URLS = {{ shell|tojson }};
const PAGES = "pages";
const IMAGES = "images";
const OFFLINE_URL = {{ url_for("main.offline")|tojson }};
const LOGIN_PATH = {{ url_for("auth.login")|tojson }};
const OFFLINE_HEADER = {{ offline_header|tojson }};
const CHECKLIST_PATH = /^\/inspections\/\d+\/run$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function pageKey(url) {
  const key = new URL(url, self.location.origin);
  key.hash = "";
  return key.href;
}

// Keep a fresh copy of a page the server marked for offline use; drop one it no longer
// marks (a submitted checklist now redirects to its report). A trip to the login page means
// the session ended: nothing of the last user's stays.
async function remember(url, response) {
  const pages = await caches.open(PAGES);
  if (response.redirected && new URL(response.url).pathname === LOGIN_PATH) {
    await caches.delete(PAGES);
    await caches.delete(IMAGES);
  } else if (response.ok && !response.redirected && response.headers.get(OFFLINE_HEADER)) {
    await pages.put(pageKey(url), response.clone());
  } else if (response.ok || response.redirected || response.status === 404) {
    await pages.delete(pageKey(url));
  }
  return response;
}

async function page(request) {
  try {
    return await remember(request.url, await fetch(request));
  } catch (offline) {
    return (await caches.match(pageKey(request.url), { cacheName: PAGES, ignoreVary: true }))
      || (await caches.match(OFFLINE_URL, { cacheName: SHELL }))
      || Response.error();
  }
}

async function staticFile(request) {
  const cached = await caches.match(request, { cacheName: SHELL });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

async function image(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(IMAGES)).put(request, response.clone());
    return response;
  } catch (offline) {
    return (await caches.match(request, { cacheName: IMAGES })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // htmx's boosted links fetch whole pages too
  if (request.mode === "navigate" || request.headers.get("HX-Boosted")) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) event.respondWith(staticFile(request));
  else if (request.destination === "image") event.respondWith(image(request));
});

// A page fetched afresh once at a time: asked again while its fetch is under way (a phone
// syncs after every tap), it is fetched once more when that fetch is done, however often it was
// asked, so the copy kept is never older than the last ask and the server never renders the same
// page for this phone twice at once. Whether it was kept as an offline page.
const fetching = new Map();
const askedAgain = new Set();

function fetchToKeep(url) {
  if (fetching.has(url)) {
    askedAgain.add(url);
    return fetching.get(url);
  }
  const kept = (async () => {
    let ok = false;
    do {
      askedAgain.delete(url);
      try {
        const response = await remember(url, await fetch(url, { credentials: "same-origin" }));
        ok = response.ok && Boolean(response.headers.get(OFFLINE_HEADER));
      } catch (offline) {
        // no network now: the copy from last time stays
      }
    } while (askedAgain.has(url));
    fetching.delete(url);
    return ok;
  })();
  fetching.set(url, kept);
  return kept;
}

// Fetch the pages a page names for offline use: all of them after a sync (`force`), else only
// those not kept yet.
async function keepPages(urls, replaceChecklists, force) {
  const pages = await caches.open(PAGES);
  const wanted = new Set(urls.map(pageKey));
  if (replaceChecklists) {
    for (const request of await pages.keys()) {
      const path = new URL(request.url).pathname;
      if (CHECKLIST_PATH.test(path) && !wanted.has(pageKey(request.url))) {
        await pages.delete(request);
      }
    }
  }
  const kept = [];
  for (const url of wanted) {
    if (!force && (await pages.match(url, { ignoreVary: true }))) {
      kept.push(url);
      continue;
    }
    if (await fetchToKeep(url)) kept.push(url);
  }
  return kept;
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "keep-pages") {
    event.waitUntil(keepPages(message.urls || [], Boolean(message.replaceChecklists), Boolean(message.force)).then(
      (kept) => event.source && event.source.postMessage({ type: "pages-kept", urls: kept })
    ));
  } else if (message.type === "forget-pages") {
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(IMAGES)]));
  }
});
