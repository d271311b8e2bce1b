// Small DOM helpers shared by every view.

// h("a", {href: "#/pos", class: "x", onclick: fn}, "text", child, [more]) -> an element.
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldIds = 0;

// A labelled input: field("Quantity", {name: "quantity", value: "1"}) -> <div class="field">.
// options.tag: "select" (options.choices [[value, label]]), "textarea"; options.hint: help text.
export function field(label, attrs, options = {}) {
  const id = attrs.id || `f${++fieldIds}`;
  const tag = options.tag || "input";
  const control = h(tag, { ...attrs, id }, ...(options.choices || []).map(([value, text]) =>
    h("option", { value, selected: String(attrs.value ?? "") === String(value) }, text),
  ));
  if (tag === "textarea" && attrs.value !== undefined) control.value = attrs.value;
  const hint = options.hint ? h("p", { class: "hint", id: `${id}-hint` }, options.hint) : null;
  if (hint) control.setAttribute("aria-describedby", hint.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint);
}

// Amounts are decimal strings: shown as the server wrote them (digits grouped), never rounded.
export function money(amount, currency) {
  if (amount === undefined || amount === null || amount === "") return "";
  const text = String(amount);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  const shown = match ? match[1] + match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] || "") : text;
  return currency ? `${shown} ${currency}` : shown;
}

export function date(value) {
  return value ? String(value).replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC") : "";
}

// table([{label, cell: (row) => node|text, className}], rows, {caption, empty})
export function table(columns, rows, { caption, empty = "Nothing here yet." } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", { class: "stack" },
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col", class: column.className }, column.label)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((column) =>
        h("td", { class: column.className, "data-label": column.label }, column.cell(row)))))),
    ),
  );
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = h("p", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
  return item;
}

export function clearProblems(form) {
  form.querySelectorAll(".field-error, .form-alert").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    const ids = (node.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
    else node.removeAttribute("aria-describedby");
  });
}

// The control an error's field names: exactly by name, else the last part ("lines[0].quantity"
// inside a form of one line's fields, "quantity").
function control(form, name) {
  if (!name) return null;
  const exact = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (exact) return exact;
  const last = name.split(".").pop();
  return last !== name ? form.querySelector(`[name="${CSS.escape(last)}"]`) : null;
}

// A problem response shown where it belongs: each field error under the input whose name it
// names, the rest (and the title and detail) in an alert at the top of the form. A 409 or 412
// says the record changed and offers `reload` (the view keeps what the user typed).
export function showProblem(form, problem, { reload } = {}) {
  clearProblems(form);
  const unplaced = [];
  let first = null;
  for (const error of problem.errors || []) {
    const name = error.field || error.name || error.pointer;
    const input = control(form, name);
    if (!input) {
      unplaced.push(error);
      continue;
    }
    const id = `${input.id || name}-error`;
    const note = h("p", { class: "field-error", id }, error.message || error.reason || "invalid");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
    (input.closest(".field") || input.parentElement).append(note);
    first = first || input;
  }
  const conflict = problem.status === 409 || problem.status === 412;
  const placedAll = !unplaced.length && first;
  const alert = h("div", { class: `form-alert ${conflict ? "conflict" : "error"}`, role: "alert", tabindex: "-1" },
    h("strong", {}, problem.title || "Error"), " ", problem.detail || "",
    unplaced.length ? h("ul", {}, unplaced.map((error) => h("li", {}, error.field ? `${error.field}: ` : "", error.message))) : null,
    conflict && reload
      ? h("p", {}, "What you typed is kept. ",
          h("button", { type: "button", class: "reload", onclick: () => reload() }, "Reload the latest version"))
      : null,
  );
  form.prepend(alert);
  (placedAll && !conflict ? first : alert).focus();
  return alert;
}

export function busy(button, promise) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  return promise.finally(() => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
}

// Values of a form's named controls as {name: value} (checkboxes as booleans).
export function values(form) {
  const found = {};
  for (const input of form.querySelectorAll("[name]")) {
    found[input.name] = input.type === "checkbox" ? input.checked : input.value;
  }
  return found;
}
