// Forms that carry photos or documents (a fix report, complaint evidence, the public complaint
// form, an external check's documents): photos are made smaller on the phone like the
// checklist's, and the whole form goes through the outbox (offline.js) under a UUID of its
// own, so it shows its progress, waits on the phone through a dropped connection and is done
// once however often it is resent. The server's answer then replaces the page, as a plain
// post would. Without scripts the form posts as it is.
(function () {
  "use strict";

  function outbox() { return window.XunjianOutbox; }

  function here() { return location.pathname + location.search; }

  function say(form, text) {
    let line = form.querySelector(".upload-status");
    if (!line) {
      line = document.createElement("p");
      line.className = "upload-status help";
      line.setAttribute("role", "status");
      form.append(line);
    }
    line.textContent = text;
  }

  function hold(form, busy) {
    for (const button of form.querySelectorAll("button, input[type=submit]")) {
      button.disabled = busy;
    }
  }

  // The photos marked up on the phone (markup.js), by field name: per chosen photo, in order,
  // its marked-up copy and original, or null.
  function marksOf(form) {
    const marks = {};
    for (const input of form.querySelectorAll("input[type=file][data-markup]")) {
      if (window.XunjianMarkup) marks[input.name] = window.XunjianMarkup.marksFor(input);
    }
    return marks;
  }

  // When a photo was marked up, one `original` per photo of its field, in the same order; an
  // empty one for a photo sent as it was (markup.js says why).
  function originals(marks) {
    return marks.some(Boolean)
      ? marks.map((mark) => mark
        ? { name: "original", blob: mark.original, filename: "original.jpg" }
        : { name: "original", blob: new Blob([]), filename: "" })
      : [];
  }

  async function capture(form, submitter) {
    const pairs = [];
    const files = [];
    const marks = marksOf(form);
    const seen = {};
    for (const [name, value] of new FormData(form, submitter)) {
      if (name === "csrf_token") continue; // the outbox asks for a fresh one when it sends
      if (!(value instanceof File)) {
        pairs.push([name, value]);
      } else if (value.name || value.size) {
        seen[name] = (seen[name] || 0) + 1;
        const mark = (marks[name] || [])[seen[name] - 1];
        const blob = mark ? mark.marked : await outbox().downscale(value);
        const filename = blob === value ? value.name : value.name.replace(/\.\w+$/, "") + ".jpg";
        files.push({ name, blob, filename });
      }
    }
    for (const name of Object.keys(marks)) files.push(...originals(marks[name]));
    return { pairs, files };
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-upload]") || !outbox()) return;
    event.preventDefault();
    hold(form, true);
    say(form, outbox().say("preparing"));
    const { pairs, files } = await capture(form, event.submitter);
    const size = files.reduce((sum, file) => sum + file.blob.size, 0);
    if (size > Number(form.dataset.upload)) {
      say(form, outbox().say("too_large"));
      hold(form, false);
      return;
    }
    await outbox().add({
      kind: "form",
      url: form.action,
      title: form.dataset.uploadTitle,
      page: here(),
      pairs,
      files,
    });
    say(form, outbox().say("kept")); // the buttons stay held: a second tap would send twice
  });

  // Whether the phone is still where the form was sent, and staying: a submit that sends the
  // outbox first (checklist.js) is leaving the page, and its own answer will replace it.
  function stillHere(entry) {
    return entry.page === here() && !document.documentElement.dataset.leaving;
  }

  // The server's answer, shown as the page it is, when the phone is still where it was sent.
  function show(html, url) {
    htmx.swap(document.body, html, { swapStyle: "innerHTML" });
    if (url && url !== location.href) history.pushState(null, "", url);
    const anchor = location.hash && document.getElementById(location.hash.slice(1));
    if (anchor) anchor.scrollIntoView();
    else window.scrollTo(0, 0);
  }

  document.addEventListener("outbox:sent", (event) => {
    const { entry, html, url } = event.detail;
    if (entry.kind === "form" && stillHere(entry)) show(html, url);
  });

  // Refused (the form's own errors): the form comes back with them and with the files chosen,
  // and leaves the outbox. Refused while elsewhere, or leaving, it waits in the outbox with its
  // reason.
  document.addEventListener("outbox:refused", async (event) => {
    const { entry, html, url } = event.detail;
    if (entry.kind !== "form" || !stillHere(entry)) return;
    show(html, url === entry.url ? location.href : url);
    const form = Array.from(document.querySelectorAll("form[data-upload]")).find(
      (candidate) => candidate.action === entry.url
    );
    for (const input of form ? form.querySelectorAll("input[type=file]") : []) {
      const again = new DataTransfer();
      for (const file of entry.files.filter((chosen) => chosen.name === input.name)) {
        again.items.add(new File([file.blob], file.filename, { type: file.blob.type }));
      }
      input.files = again.files;
    }
    await outbox().remove(entry.seq);
  });
})();
