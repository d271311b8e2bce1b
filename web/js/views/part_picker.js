// A part picker (the WAI-ARIA combobox with a list popup): typing asks GET /parts?q= for the org's
// parts whose id or name contains the text; ↓/↑ move through them, Enter or a click picks one (its
// id goes in the input), Escape closes the list. Any id may still be typed: the form checks it.
import { Problem } from "../api.js";
import { h } from "../ui.js";

let pickers = 0;
const SHOWN = "10";
const PAUSE_MS = 200; // wait for a pause in the typing before asking

export function partPicker(ctx, attrs, onPick) {
  const id = `part-${++pickers}`;
  const input = h("input", {
    ...attrs, id, role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": `${id}-options`, autocomplete: "off",
  });
  const list = h("ul", { role: "listbox", id: `${id}-options`, class: "options", "aria-label": "Parts", hidden: true });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  let parts = [];
  let active = -1;
  let asked = 0;
  let timer = null;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((option, at) => option.setAttribute("aria-selected", String(at === index)));
    if (index < 0) return input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-activedescendant", list.children[index].id);
    list.children[index].scrollIntoView({ block: "nearest" });
  };
  const pick = (part) => {
    input.value = part.id;
    status.textContent = "";
    close();
    onPick(part.id, part);
  };
  const show = (found) => {
    parts = found;
    list.replaceChildren(...found.map((part, index) =>
      h("li", { role: "option", id: `${id}-${index}`, "aria-selected": "false", dataset: { partId: part.id },
        onmousedown: (event) => { event.preventDefault(); pick(part); } },
      h("strong", {}, part.id), ` ${part.name}`)));
    list.hidden = !found.length || document.activeElement !== input;
    input.setAttribute("aria-expanded", String(!list.hidden));
    status.textContent = found.length ? `${found.length} part${found.length > 1 ? "s" : ""} found` : "No part matches";
    active = -1;
  };
  const ask = async () => {
    const mine = ++asked; // an answer to an older question is dropped
    const q = input.value.trim();
    try {
      const page = (await ctx.api("GET", "/parts", { query: { q, limit: SHOWN } })).body;
      if (mine === asked) show(page.items);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      if (mine === asked) { show([]); status.textContent = error.detail || error.title; }
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (input.readOnly) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) return void ask();
      const next = active + (event.key === "ArrowDown" ? 1 : -1);
      highlight(next >= parts.length ? 0 : next < 0 ? parts.length - 1 : next); // wraps round
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault(); // picks the part; does not submit the form
      pick(parts[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  input.addEventListener("change", () => onPick(input.value.trim()));
  return { input, list, status };
}
