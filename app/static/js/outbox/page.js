// What the page tells the outbox: its words (in the reader's language), its addresses, the
// sync panel and whose phone this is.

function readJson(id) {
  const source = document.getElementById(id);
  return source ? JSON.parse(source.textContent) : {};
}

// Read when asked, not once: a boosted navigation may bring a page with other words.
export function urls() {
  return readJson("outbox-urls");
}

export function say(key, values) {
  const messages = readJson("outbox-messages");
  return (messages[key] || key).replace(/\{(\w+)\}/g, (whole, name) =>
    values && name in values ? String(values[name]) : whole);
}

export function panel() {
  return document.getElementById("sync");
}

export function currentUser() {
  const section = panel();
  return section && section.dataset.user ? Number(section.dataset.user) : null;
}

export function announce(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}
