// Blanket POs: a customer's PO number and document reused across orders within a cap and an end
// date. The cap, what is consumed and what remains are the server's figures, shown as they come.
import { date, field, h, money, table } from "../ui.js";
import { canWrite, paged, placeProblem } from "./fields.js";
import { blanketFigures } from "./orders.js";

export const title = "Blanket POs";

export async function render(root, params, ctx) {
  const list = h("div", { id: "blanket-list" });
  const show = (items) => list.replaceChildren(blanketTable(items));
  const { more, load } = paged(ctx, "/blanket-pos", () => ({}), show, "More blanket POs");
  root.replaceChildren(
    h("h1", {}, "Blanket POs"),
    list,
    more,
    canWrite(ctx.user) ? newBlanketForm(ctx) : "",
  );
  await load();
}

const figure = (amount, currency) => (amount ? money(amount, currency) : "no cap");

function blanketTable(items) {
  return h("div", { id: "blanket-table" }, table([
    { label: "PO number", cell: (blanket) => h("a", { href: `#/blanket-pos/${blanket.id}` }, blanket.poNumber) },
    { label: "Customer", cell: (blanket) => blanket.customer.name },
    { label: "Cap", className: "num cap", cell: (blanket) => figure(blanket.cap, blanket.currency) },
    { label: "Consumed", className: "num consumed", cell: (blanket) => money(blanket.consumed, blanket.currency) },
    { label: "Remaining", className: "num remaining", cell: (blanket) => figure(blanket.remaining, blanket.currency) },
    { label: "Ends", cell: (blanket) => blanket.endDate || "none" },
  ], items, { empty: "No blanket POs." }));
}

function newBlanketForm(ctx) {
  const form = h(
    "form",
    { id: "blanket-form", novalidate: true, "aria-labelledby": "blanket-heading" },
    h("h2", { id: "blanket-heading" }, "New blanket PO"),
    h("div", { class: "grid" },
      field("Customer PO number", { name: "poNumber", required: true, autocomplete: "off" }),
      field("Customer", { name: "customer.name", required: true, autocomplete: "organization" }),
      field("Customer email", { name: "customer.email", type: "email" }),
      field("Currency", { name: "currency", maxlength: 3, value: "USD", required: true }),
      field("Cap", { name: "cap", inputmode: "decimal" }, { hint: "What all orders together may draw; empty: no cap." }),
      field("End date", { name: "endDate", type: "date" }, { hint: "The last day an order may draw on it; empty: none." })),
    h("button", { type: "submit", id: "blanket-create" }, "Create blanket PO"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = {
      poNumber: value("poNumber"),
      customer: { name: value("customer.name"), ...(value("customer.email") ? { email: value("customer.email") } : {}) },
      currency: value("currency"),
      ...(value("cap") ? { cap: value("cap") } : {}),
      ...(value("endDate") ? { endDate: value("endDate") } : {}),
    };
    form.dataset.key = form.dataset.key || crypto.randomUUID();
    try {
      const created = await ctx.api("POST", "/blanket-pos", { body, headers: { "Idempotency-Key": form.dataset.key } });
      delete form.dataset.key;
      ctx.navigate(`#/blanket-pos/${created.body.id}`);
    } catch (problem) {
      if (!problem.status) throw problem;
      placeProblem(form, problem);
    }
  });
  return form;
}

export async function renderBlanket(root, params, ctx) {
  const blanket = (await ctx.api("GET", `/blanket-pos/${params.id}`)).body;
  root.replaceChildren(
    h("p", {}, h("a", { href: "#/blanket-pos" }, "← Blanket POs")),
    h("h1", {}, `Blanket PO ${blanket.poNumber}`),
    h("p", {}, `${blanket.customer.name}${blanket.customer.email ? ` <${blanket.customer.email}>` : ""}; `
      + `created ${date(blanket.createdAt)} by ${blanket.createdBy}.`),
    blanketFigures(blanket),
    h("h2", {}, "Orders drawing on it"),
    h("div", { id: "blanket-orders" }, table([
      { label: "Order", cell: (use) => h("a", { href: `#/orders/${use.orderId}` }, use.orderNumber) },
      { label: "Amount", className: "num", cell: (use) => money(use.amount, blanket.currency) },
      { label: "Since", cell: (use) => date(use.at) },
    ], blanket.orders, { empty: "No order draws on it yet." })),
  );
}
