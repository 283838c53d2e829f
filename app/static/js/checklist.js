// The checklist on the phone: every tap, note and photo goes through the outbox (offline.js)
// and shows at once; the server's card replaces it when the server has confirmed. Photos are
// made smaller (offline.js) before they are kept. Without scripts, the forms post as HTML.
(function () {
  "use strict";
  let position = null;
  const previews = new Map(); // photo UUID -> object URL of its waiting thumbnail

  document.documentElement.classList.add("js");

  function outbox() { return window.XunjianOutbox; }

  function locate() {
    if (!document.getElementById("taps") || !("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(
      (found) => { position = found.coords; },
      () => { position = null; },
      { enableHighAccuracy: true, maximumAge: 60000, timeout: 20000 }
    );
  }

  function cardOf(itemId) { return document.getElementById(`item-${itemId}`); }

  function itemOf(card) { return Number(card.id.slice("item-".length)); }

  // Where an item's capture posts: the page gives the pattern (run.html's #taps), as an item's
  // answer buttons post the page's one form when there is no outbox.
  function itemUrl(card, action) {
    const pattern = document.getElementById("taps").dataset.itemUrl;
    return new URL(pattern.replace("{item}", itemOf(card)) + action, location.href).href;
  }

  function about(card) {
    return { item: itemOf(card), title: card.querySelector(".card-head strong").textContent };
  }

  function base(form) {
    return { url: form.action, ...about(form.closest(".item")) };
  }

  async function captureAnswer(button) {
    const card = button.closest(".item");
    const answeredBefore = card.classList.contains("answered");
    await outbox().add({
      url: itemUrl(card, "answer"),
      ...about(card),
      kind: "answer",
      answerLabel: button.textContent.trim(),
      fields: { answer: button.value, answered_at_ms: Date.now() },
    });
    if (answeredBefore) expectHistory(card);
  }

  // A second tap on an item brings back a card that lists its taps. The line that says so
  // shows at once: added only when the server's card arrives, it moved every card below
  // under a finger about to tap the next item.
  function expectHistory(card) {
    if (card.querySelector(".history")) return;
    const history = document.createElement("details");
    history.className = "history";
    const summary = document.createElement("summary");
    summary.textContent = outbox().say("second_answer");
    history.append(summary);
    card.querySelector(".answers").after(history);
  }

  async function captureNote(form) {
    const note = form.querySelector("textarea").value;
    await outbox().add({ ...base(form), kind: "note", fields: { note } });
  }

  async function capturePhotos(form, files) {
    const place = position
      ? { latitude: position.latitude, longitude: position.longitude, accuracy: position.accuracy }
      : {};
    for (const file of files) {
      const blob = await outbox().downscale(file);
      await outbox().add({
        ...base(form),
        kind: "photo",
        blob,
        filename: blob === file ? file.name : "photo.jpg",
        fields: { taken_at_ms: file.lastModified, ...place },
      });
    }
    form.reset();
  }

  // --- showing what is waiting on the cards -------------------------------------------
  // A card's failure section: the server sends it on failed items only, so a tap on "fail"
  // (and a note or photo still waiting for an item) fills in the page's blank one.
  function failureOf(card) {
    const present = card.querySelector(".failure");
    const blank = document.getElementById("failure-template");
    if (present || !blank) return present;
    card.insertAdjacentHTML("beforeend", blank.innerHTML.replaceAll("{item}", itemOf(card)));
    const failure = card.querySelector(".failure");
    if (!card.hasAttribute("data-photo-required")) failure.querySelector(".photo-required").remove();
    for (const input of failure.querySelectorAll("[data-outbox=photo] input[type=file]")) {
      watchCamera(input);
    }
    return failure;
  }

  function showAnswer(card, value) {
    card.classList.remove("answer-pass", "answer-fail", "answer-na");
    card.classList.add("answered", `answer-${value}`);
    for (const button of card.querySelectorAll(".answers button")) {
      button.setAttribute("aria-pressed", String(button.value === value));
    }
    const failure = value === "fail" ? failureOf(card) : card.querySelector(".failure");
    if (failure) failure.hidden = value !== "fail";
  }

  function showPhoto(card, entry) {
    const failure = failureOf(card);
    const list = failure && failure.querySelector(".photos");
    if (!list || list.querySelector(`[data-uuid="${entry.uuid}"]`) || !entry.blob) return;
    if (!previews.has(entry.uuid)) previews.set(entry.uuid, URL.createObjectURL(entry.blob));
    const item = document.createElement("li");
    item.dataset.uuid = entry.uuid;
    item.className = "waiting-photo";
    const image = document.createElement("img");
    image.src = previews.get(entry.uuid);
    image.width = 120;
    image.alt = `${outbox().say("photo", { title: entry.title })} (${outbox().say("pending")})`;
    item.append(image);
    const replaced = entry.replaces && list.querySelector(`li[data-photo="${entry.replaces}"]`);
    if (replaced) replaced.hidden = true; // the marked-up copy on its way takes its place
    if (window.XunjianMarkup && !entry.replaces) {
      // While it waits, a tap on the photo marks the problem on it (markup.js).
      const open = document.createElement("button");
      open.type = "button";
      open.className = "markup-open";
      const hint = document.createElement("span");
      hint.textContent = outbox().say("markup_tap");
      open.append(image, hint);
      item.append(open);
    }
    list.append(item);
  }

  // Mark up a photo still waiting on the phone; it is held back from sending meanwhile. The
  // marks are drawn on the unmarked original, which is sent beside the marked-up photo.
  async function markUpWaiting(uuid) {
    const entry = (await outbox().entries()).find(
      (candidate) => candidate.uuid === uuid && candidate.status === "waiting"
    );
    if (!entry || !outbox().hold(uuid)) return tellAlreadySent();
    try {
      const kept = (entry.files || []).find((file) => file.name === "original");
      const result = await window.XunjianMarkup.markUp(kept ? kept.blob : entry.blob);
      if (!result) return;
      const changed = await outbox().amend(entry.seq, {
        blob: result.marked,
        filename: "photo.jpg",
        files: [{ name: "original", blob: result.original, filename: "original.jpg" }],
      });
      if (!changed) return tellAlreadySent();
      URL.revokeObjectURL(previews.get(uuid));
      previews.delete(uuid);
      await refresh();
      const again = document.querySelector(`.waiting-photo[data-uuid="${uuid}"] .markup-open`);
      if (again) again.focus(); // the button tapped was drawn anew
    } finally {
      outbox().release(uuid);
    }
  }

  function tellAlreadySent() {
    tell(outbox().say("markup_gone"));
  }

  function tell(words) {
    const status = document.querySelector("#sync .sync-status");
    if (!status) return;
    status.textContent = words;
    status.closest("#sync").hidden = false;
  }

  // Said under the photo, not in the sync panel, which a sync under way redraws.
  function tellBeside(button, words) {
    let note = button.nextElementSibling;
    if (!note || !note.matches(".markup-note")) {
      note = document.createElement("span");
      note.className = "markup-note";
      note.setAttribute("role", "status");
      button.after(note);
    }
    note.textContent = words;
  }

  // Mark up a photo already sent: the marks are drawn on the picture as first sent (the
  // server's, unstamped), and the marked copy goes through the outbox to take its place.
  async function markUpSent(button) {
    let picture;
    try {
      const response = await fetch(button.dataset.picture, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      picture = await response.blob();
    } catch (error) {
      return tellBeside(button, outbox().say("markup_offline"));
    }
    const result = await window.XunjianMarkup.markUp(picture);
    if (!result) return;
    await outbox().add({
      url: button.dataset.picture,
      ...about(button.closest(".item")),
      kind: "photo",
      replaces: Number(button.dataset.photo),
      blob: result.marked,
      filename: "photo.jpg",
      fields: {},
    });
  }

  function showMarkupOfSent(root) {
    if (!window.XunjianMarkup) return;
    for (const button of root.querySelectorAll(".markup-sent")) button.hidden = false;
  }

  function overlay(card, entries) {
    for (const old of card.querySelectorAll(".pending-mark, .waiting-photo")) old.remove();
    for (const sent of card.querySelectorAll("li[data-photo][hidden]")) sent.hidden = false;
    card.classList.toggle("pending", entries.length > 0);
    if (!entries.length) return;
    for (const entry of entries) {
      if (entry.kind === "answer") showAnswer(card, entry.fields.answer);
      if (entry.kind === "note") {
        const failure = failureOf(card);
        const box = failure && failure.querySelector("textarea");
        if (box && document.activeElement !== box) box.value = entry.fields.note;
      }
      if (entry.kind === "photo") showPhoto(card, entry);
    }
    const mark = document.createElement("span");
    mark.className = "pending-mark";
    mark.textContent = `${outbox().say("pending")} (${entries.length})`;
    card.querySelector(".card-head").after(mark);
  }

  function recount() {
    const progress = document.getElementById("progress");
    if (!progress) return;
    const total = Number(progress.dataset.total);
    const answered = document.querySelectorAll("li.item.answered").length;
    const failed = document.querySelectorAll("li.item.answer-fail").length;
    progress.querySelector(".progress-answered").textContent =
      progress.dataset.msgAnswered.replace("{answered}", answered).replace("{total}", total);
    const failedText = progress.querySelector(".progress-failed");
    failedText.textContent = progress.dataset.msgFailed.replace("{n}", failed);
    failedText.classList.toggle("state-bad", failed > 0);
    progress.querySelector("progress").value = answered;
  }

  const CHECKLIST_KINDS = ["answer", "note", "photo"];

  let generation = 0;

  // Show what still waits in the outbox on every card. Only the latest call paints: an older
  // one that read the outbox before a confirmation must not put back a "waiting" mark.
  async function refresh() {
    if (!document.querySelector("li.item") || !outbox()) return;
    const mine = ++generation;
    const waiting = (await outbox().entries()).filter(
      (entry) => entry.status === "waiting" && CHECKLIST_KINDS.includes(entry.kind)
    );
    if (mine !== generation) return;
    for (const card of document.querySelectorAll("li.item")) {
      const id = itemOf(card);
      overlay(card, waiting.filter((entry) => entry.item === id));
    }
    recount();
  }

  // The server's card for an item, once it has confirmed (or refused) a capture.
  function replaceCard(event) {
    const { entry, html } = event.detail;
    const card = cardOf(entry.item);
    if (!card || !html || !html.includes(`id="item-${entry.item}"`)) return refresh();
    const typing = card.querySelector(".failure textarea");
    const typed = typing && typing.value !== typing.defaultValue ? typing.value : null;
    const focused = typing && document.activeElement === typing;
    htmx.swap(card, html, { swapStyle: "outerHTML" });
    const fresh = cardOf(entry.item);
    if (fresh) showMarkupOfSent(fresh);
    // A card without a failure section (an answer changed from "fail") still keeps the words.
    const failure = fresh && (typed !== null ? failureOf(fresh) : fresh.querySelector(".failure"));
    const box = failure && failure.querySelector("textarea");
    if (box && typed !== null) box.value = typed;
    if (box && focused) box.focus();
    if (entry.kind === "photo" && previews.has(entry.uuid)) {
      URL.revokeObjectURL(previews.get(entry.uuid));
      previews.delete(entry.uuid);
    }
    refresh();
  }

  // --- wiring -------------------------------------------------------------------------
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.matches("[data-outbox]") && outbox()) {
      event.preventDefault();
      const kind = form.dataset.outbox;
      if (kind === "answer" && event.submitter) await captureAnswer(event.submitter);
      if (kind === "note") await captureNote(form);
      if (kind === "photo") {
        const input = form.querySelector("input[type=file]");
        if (input.files.length) await capturePhotos(form, Array.from(input.files));
      }
      return;
    }
    // A submit that locks the record would leave out captures still on the phone: send them
    // first. The form says so itself, wherever its address is (a guest's link, a self-check,
    // a complaint's decision after its evidence).
    if (form.matches("[data-sends-outbox-first]")) {
      if (!outbox() || !outbox().waiting()) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const submitter = event.submitter;
      // The page is being left: a form sent meanwhile must not put its answer in the page's
      // place (uploads.js), which would take this form, and what was typed in it, away.
      document.documentElement.dataset.leaving = "true";
      try {
        await outbox().drain();
      } finally {
        delete document.documentElement.dataset.leaving;
      }
      if (!outbox().waiting()) {
        // Tapped again, not requestSubmit(): htmx learns from the tap which button it was,
        // and so where it goes (a formaction, as the complaint's "dismiss").
        if (submitter) submitter.click();
        else form.requestSubmit();
        return;
      }
      const status = document.querySelector("#sync .sync-status");
      if (status) {
        status.textContent = outbox().say("submit_blocked", { n: outbox().waiting() });
        status.closest("#sync").hidden = false;
      }
    }
  }, true);

  // A note is kept when the inspector leaves the box having changed it. Not on "change": a
  // card replaced while they typed keeps their text, and that text must still be sent.
  document.addEventListener("focusout", (event) => {
    const box = event.target;
    if (box.matches("[data-outbox=note] textarea") && box.value !== box.defaultValue) {
      box.defaultValue = box.value;
      captureNote(box.form);
    }
  });

  // Listened to on the input itself, not the document: the camera may stay open while a
  // note's save comes back and replaces the card, and the photo then lands in an input that
  // is no longer in the page, whose events reach no document listener.
  const watched = new WeakSet();
  function watchCamera(input) {
    if (watched.has(input)) return;
    watched.add(input);
    input.addEventListener("change", () => {
      if (input.files.length) capturePhotos(input.form, Array.from(input.files));
    });
  }

  // Before the camera opens, whichever way it was asked for (the label or the input itself).
  document.addEventListener("click", (event) => {
    const label = event.target.closest && event.target.closest("label");
    const input = (label && label.control) || event.target;
    if (input.matches && input.matches("[data-outbox=photo] input[type=file]")) {
      watchCamera(input);
    }
  }, true);
  document.addEventListener("htmx:load", (event) => {
    for (const input of event.target.querySelectorAll("[data-outbox=photo] input[type=file]")) {
      watchCamera(input);
    }
  });

  document.addEventListener("click", (event) => {
    const open = event.target.closest && event.target.closest(".waiting-photo .markup-open");
    if (open && outbox()) markUpWaiting(open.closest(".waiting-photo").dataset.uuid);
    const sent = event.target.closest && event.target.closest(".markup-sent");
    if (sent && outbox() && window.XunjianMarkup) markUpSent(sent);
  });
  document.addEventListener("htmx:load", (event) => showMarkupOfSent(event.target));
  document.addEventListener("outbox:changed", () => refresh());
  document.addEventListener("outbox:sent", replaceCard);
  document.addEventListener("outbox:refused", replaceCard);
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target === document.body) {
      refresh();
      locate();
    }
  });

  refresh();
  locate();
  showMarkupOfSent(document);
})();
