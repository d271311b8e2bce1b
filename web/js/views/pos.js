// The PO list: filters by status and supplier (text), newest first, paged with the API's cursor.
import { date, field, h, money, table, values } from "../ui.js";

export const title = "Purchase orders";
export const STATUSES = ["DRAFT", "IN_REVIEW", "APPROVED", "ORDERED", "RECEIVED", "CANCELED"];

export function statusBadge(status) {
  return h("span", { class: `status ${status}` }, status.replace("_", " "));
}

export async function render(root, params, ctx) {
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter purchase orders" },
    field("Status", { name: "status", value: params.status || "" }, { tag: "select", choices: [["", "Any status"], ...STATUSES.map((s) => [s, s.replace("_", " ")])] }),
    field("Supplier", { name: "supplier", type: "search", value: params.supplier || "", placeholder: "Name contains…" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams(Object.entries(values(form)).filter(([, value]) => value)).toString();
    ctx.navigate(`#/pos${query ? `?${query}` : ""}`);
  });
  const results = h("div", { id: "po-list" });
  const more = h("button", { type: "button", id: "more", hidden: true }, "More");
  const newPo = ctx.user.roles.some((role) => ["buyer", "admin"].includes(role))
    ? h("a", { class: "button primary", href: "#/pos/new", id: "new-po" }, "New PO") : null;
  root.append(h("h1", {}, "Purchase orders"), h("div", { class: "actions" }, newPo), form, results, more);

  const rows = [];
  let cursor = null;
  async function load() {
    const page = await ctx.api("GET", "/pos", { query: { status: params.status, supplier: params.supplier, limit: 25, cursor } });
    rows.push(...page.body.items);
    cursor = page.body.nextCursor;
    results.replaceChildren(table([
      { label: "Number", cell: (po) => h("a", { href: `#/pos/${po.id}` }, po.number) },
      { label: "Status", cell: (po) => statusBadge(po.status) },
      { label: "Supplier", cell: (po) => po.supplier.name },
      { label: "Lines", cell: (po) => String(po.lineCount), className: "num" },
      { label: "Total", cell: (po) => money(po.totals.subtotal, po.currency), className: "num" },
      { label: "Updated", cell: (po) => date(po.updatedAt) },
    ], rows, { caption: `${rows.length} purchase order${rows.length === 1 ? "" : "s"}${cursor ? " (more below)" : ""}`, empty: "No purchase orders match." }));
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => load());
  await load();
}
