// Marking the problem on a photo before it is sent: a tap on a chosen photo (the checklist's
// waiting photo, the fix form's chosen ones) opens a full-screen editor on a canvas with a
// circle, an arrow and short words, one thumb's reach at 360 px, usable with no network.
// "Done" gives the marked-up JPEG, which is sent (stamped and shown) in the photo's place, and
// the unmarked original (as it would have been sent: made smaller) goes beside it.
//
// The form field for the originals, `original`: when any photo of a request is marked up, the
// request carries one `original` file per photo, in the same order as the photo files (`photo`
// or `photos`); a photo not marked up has an empty one there (no filename, no bytes), which
// keeps the pairing by position. A request with no photo marked up carries no `original`. The
// checklist sends one photo per request, so there it is just the one original.
//
// checklist.js and uploads.js reach this module as window.XunjianMarkup.

import { say } from "./outbox/page.js";
import { downscale } from "./outbox/photos.js";

const INK = "#e0001b";
const HALO = "#ffffff";
const QUALITY = 0.85;
const TOOLS = ["circle", "arrow", "text"];

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function button(name, text, extra = {}) {
  return element("button", { type: "button", class: `button markup-${name}`, text, ...extra });
}

// --- drawing ----------------------------------------------------------------------------
function lineWidth(canvas) {
  return Math.max(4, Math.round(Math.max(canvas.width, canvas.height) / 160));
}

function stroke(context, width, path) {
  context.lineCap = context.lineJoin = "round";
  for (const [colour, scale] of [[HALO, 1.8], [INK, 1]]) {
    context.strokeStyle = colour;
    context.lineWidth = width * scale;
    context.beginPath();
    path(context);
    context.stroke();
  }
}

function drawCircle(context, width, { from, to }) {
  const radiusX = Math.max(Math.abs(to.x - from.x) / 2, width * 2);
  const radiusY = Math.max(Math.abs(to.y - from.y) / 2, width * 2);
  const centre = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  stroke(context, width, (c) => c.ellipse(centre.x, centre.y, radiusX, radiusY, 0, 0, 2 * Math.PI));
}

function drawArrow(context, width, { from, to }) {
  const angle = Math.atan2(to.y - from.y, to.x - from.x);
  const head = width * 5;
  stroke(context, width, (c) => {
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    for (const side of [-0.5, 0.5]) {
      c.moveTo(to.x, to.y);
      c.lineTo(to.x - head * Math.cos(angle + side), to.y - head * Math.sin(angle + side));
    }
  });
}

function drawText(context, width, { at, words }) {
  context.font = `bold ${width * 9}px sans-serif`;
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.lineJoin = "round";
  context.strokeStyle = HALO;
  context.lineWidth = width * 1.8;
  context.strokeText(words, at.x, at.y);
  context.fillStyle = INK;
  context.fillText(words, at.x, at.y);
}

const DRAW = { circle: drawCircle, arrow: drawArrow, text: drawText };

function paint(canvas, bitmap, shapes) {
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const width = lineWidth(canvas);
  for (const shape of shapes) DRAW[shape.tool](context, width, shape);
}

// Where on the photo a pointer is: the canvas is shown whole ("contain") inside its box.
function onPhoto(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const scale = Math.min(box.width / canvas.width, box.height / canvas.height);
  const left = box.left + (box.width - canvas.width * scale) / 2;
  const top = box.top + (box.height - canvas.height * scale) / 2;
  return { x: (event.clientX - left) / scale, y: (event.clientY - top) / scale };
}

// With the keyboard, Enter puts the chosen mark in the middle of the photo.
function markInMiddle(canvas, tool, words) {
  const middle = { x: canvas.width / 2, y: canvas.height / 2 };
  const reach = Math.min(canvas.width, canvas.height) / 6;
  if (tool === "circle") {
    return { tool, from: { x: middle.x - reach, y: middle.y - reach }, to: { x: middle.x + reach, y: middle.y + reach } };
  }
  if (tool === "arrow") return { tool, from: { x: middle.x - 2 * reach, y: middle.y + 2 * reach }, to: middle };
  return words ? { tool, at: middle, words } : null;
}

// --- the editor -------------------------------------------------------------------------
function build() {
  const hint = element("p", { id: "markup-hint", class: "markup-hint", text: say("markup_hint") });
  const canvas = element("canvas", {
    tabindex: "0",
    role: "img",
    "aria-label": say("markup_canvas"),
    "aria-describedby": "markup-hint",
  });
  const words = element("input", { id: "markup-words", type: "text", maxlength: "12", autocomplete: "off" });
  const wordsRow = element("div", { class: "markup-words" }, [
    element("label", { for: "markup-words", text: say("markup_words") }),
    words,
  ]);
  wordsRow.hidden = true;
  const tools = TOOLS.map((tool) => button(tool, say(`markup_${tool}`), { "aria-pressed": "false", "data-tool": tool }));
  const undo = button("undo", say("markup_undo"));
  const cancel = button("cancel", say("markup_cancel"));
  const done = button("done", say("markup_done"));
  const dialog = element("dialog", { class: "markup", "aria-labelledby": "markup-title" }, [
    element("h2", { id: "markup-title", class: "markup-title", text: say("markup_title") }),
    hint,
    element("div", { class: "markup-stage" }, [canvas]),
    wordsRow,
    element("div", { class: "markup-tools" }, [...tools, undo]),
    element("div", { class: "markup-actions" }, [cancel, done]),
  ]);
  return { dialog, canvas, words, wordsRow, tools, undo, cancel, done };
}

function choose(parts, tool) {
  for (const each of parts.tools) each.setAttribute("aria-pressed", String(each.dataset.tool === tool));
  parts.wordsRow.hidden = tool !== "text";
  return tool;
}

function wire(parts, bitmap, finish) {
  const { canvas, words } = parts;
  const shapes = [];
  let tool = choose(parts, "circle");
  let draft = null;
  const show = () => {
    paint(canvas, bitmap, draft ? [...shapes, draft] : shapes);
    parts.undo.disabled = !shapes.length;
  };
  const keep = (shape) => {
    if (shape) shapes.push(shape);
    draft = null;
    show();
  };
  for (const each of parts.tools) {
    each.addEventListener("click", () => {
      tool = choose(parts, each.dataset.tool);
      if (tool === "text") words.focus();
    });
  }
  parts.undo.addEventListener("click", () => {
    shapes.pop();
    keep(null);
  });
  canvas.addEventListener("pointerdown", (event) => {
    if (tool === "text") return;
    canvas.setPointerCapture(event.pointerId);
    const at = onPhoto(canvas, event);
    draft = { tool, from: at, to: at };
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!draft) return;
    draft.to = onPhoto(canvas, event);
    show();
  });
  canvas.addEventListener("pointerup", (event) => {
    if (tool !== "text") return keep(draft);
    if (!words.value.trim()) return words.focus();
    keep({ tool, at: onPhoto(canvas, event), words: words.value.trim() });
  });
  canvas.addEventListener("pointercancel", () => keep(null));
  canvas.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    keep(markInMiddle(canvas, tool, words.value.trim()));
  });
  parts.cancel.addEventListener("click", () => finish(false));
  parts.done.addEventListener("click", () => finish(shapes.length > 0));
  parts.dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: the same as "cancel"
    finish(false);
  });
  show();
}

// Open the editor on a photo (already made smaller). Resolves to { marked, original } when
// something was drawn and "done" tapped, else to null.
export async function markUp(photo) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(photo);
  } catch (error) {
    return null; // not an image this browser can read: sent as it is, for the server to judge
  }
  const parts = build();
  parts.canvas.width = bitmap.width;
  parts.canvas.height = bitmap.height;
  const opener = document.activeElement;
  document.body.append(parts.dialog);
  return new Promise((resolve) => {
    wire(parts, bitmap, (marked) => {
      const close = (result) => {
        parts.dialog.close();
        parts.dialog.remove();
        bitmap.close();
        if (opener && opener.isConnected) opener.focus();
        resolve(result);
      };
      if (!marked) return close(null);
      parts.canvas.toBlob((blob) => close(blob ? { marked: blob, original: photo } : null), "image/jpeg", QUALITY);
    });
    parts.dialog.showModal();
    parts.tools[0].focus();
  });
}

// --- the fix form's chosen photos ---------------------------------------------------------
const marks = new WeakMap(); // file input -> per chosen photo, { marked, original } or null
const thumbnails = new WeakMap(); // file input -> object URLs of its tray's thumbnails

function trayOf(input) {
  const next = input.nextElementSibling;
  if (next && next.matches(".markup-tray")) return next;
  const tray = element("ul", { class: "markup-tray plain" });
  input.after(tray);
  return tray;
}

function showChosen(input) {
  for (const url of thumbnails.get(input) || []) URL.revokeObjectURL(url);
  const files = Array.from(input.files).filter((file) => file.type.startsWith("image/"));
  const urls = files.map((file) => URL.createObjectURL(file));
  thumbnails.set(input, urls);
  marks.set(input, Array.from(input.files, () => null));
  const tray = trayOf(input);
  tray.replaceChildren(...Array.from(input.files).flatMap((file, index) => {
    if (!file.type.startsWith("image/")) return [];
    const open = element("button", { type: "button", class: "markup-open", "data-index": String(index) }, [
      element("img", { src: urls[files.indexOf(file)], alt: "", width: "96" }),
      element("span", { text: say("markup_open", { n: index + 1 }) }),
    ]);
    return [element("li", {}, [open])];
  }));
}

async function markChosen(open) {
  const input = open.closest(".markup-tray").previousElementSibling;
  const index = Number(open.dataset.index);
  const file = input.files[index];
  if (!file) return;
  const result = await markUp(await downscale(file));
  if (!result) return;
  marks.get(input)[index] = result;
  const url = URL.createObjectURL(result.marked);
  thumbnails.get(input).push(url);
  open.querySelector("img").src = url;
  open.querySelector("span").textContent = say("markup_marked", { n: index + 1 });
}

// What the phone sends for a form's photos: per chosen photo of `input`, its marks or null.
export function marksFor(input) {
  return marks.get(input) || [];
}

document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("input[type=file][data-markup]")) {
    showChosen(event.target);
  }
});

document.addEventListener("click", (event) => {
  const open = event.target.closest && event.target.closest(".markup-tray .markup-open");
  if (open) markChosen(open);
});

window.XunjianMarkup = { markUp, marksFor };
