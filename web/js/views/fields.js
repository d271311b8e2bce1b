// Small helpers the admin and customer-order screens share: problems placed on the nearest input
// the server's field path names, typed lists and decimals, roles, and facts as a definition list.
import { h, showProblem } from "../ui.js";

// The server names fields by path ("levels[1].approvers[0]"); place each error on the input of
// that name or, failing that, of its nearest parent path ("levels[1].approvers"), else the form.
export function nearest(form, path) {
  let name = path || "";
  while (name) {
    if (form.querySelector(`[name="${CSS.escape(name)}"]`)) return name;
    const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("["));
    if (cut <= 0) break;
    name = name.slice(0, cut);
  }
  return path;
}

export function placeProblem(form, problem, options) {
  if (Array.isArray(problem.errors)) {
    problem.errors = problem.errors.map((error) => ({ ...error, field: nearest(form, error.field) }));
  }
  return showProblem(form, problem, options);
}

// Comma, semicolon, space or newline separated emails, as a list.
export function emails(text) {
  return (text || "").split(/[\s,;]+/).map((email) => email.trim()).filter(Boolean);
}

// A decimal string as typed, or undefined when empty: never a number, never rounded.
export function decimal(text) {
  const trimmed = (text || "").trim();
  return trimmed === "" ? undefined : trimmed;
}

// Buyers and admins change orders and blanket POs; approvers only read them (the API enforces it).
export const canWrite = (user) => ["buyer", "admin"].some((role) => user.roles.includes(role));

// A definition list of [term, value, attributes of the value] pairs (falsy ones are left out),
// each pair in its own box so that the grid keeps them together at any width.
export function facts(attrs, ...pairs) {
  return h("dl", { class: "summary", ...attrs }, pairs.filter(Boolean).map(([term, value, valueAttrs]) =>
    h("div", {}, h("dt", {}, term), h("dd", valueAttrs || {}, value))));
}

// A list read page by page with the API's cursor: `load()` reads the first page (with `query()`'s
// filters), the returned "More" button each next one; `show(items)` draws every item read so far.
export function paged(ctx, path, query, show, label) {
  const more = h("button", { type: "button", hidden: true }, label);
  let cursor = null;
  let items = [];
  const load = async (next = false) => {
    const page = (await ctx.api("GET", path, { query: { limit: "25", ...query(), ...(next ? { cursor } : {}) } })).body;
    cursor = page.nextCursor;
    more.hidden = !cursor;
    items = next ? [...items, ...page.items] : page.items;
    show(items);
  };
  more.addEventListener("click", () => load(true));
  return { more, load };
}
