// An order's invoice (a draft until the order is INVOICED), with the customer PO it quotes: the
// number, how it came (number only, with its document, or a blanket PO) and a link to the document.
import { date, h, money, table } from "../ui.js";
import { facts } from "./fields.js";
import { MODES } from "./orders.js";

export const title = "Invoice";

export async function render(root, params, ctx) {
  const invoice = (await ctx.api("GET", `/orders/${params.id}/invoice`)).body;
  const po = invoice.purchaseOrder;
  const print = h("button", { type: "button", id: "invoice-print" }, "Print");
  print.addEventListener("click", () => window.print());
  root.replaceChildren(
    h("p", {}, h("a", { href: `#/orders/${invoice.orderId}` }, `← Order ${invoice.orderNumber}`)),
    h("article", { id: "invoice", "aria-labelledby": "invoice-heading" },
      h("h1", { id: "invoice-heading" }, invoice.draft ? "Draft invoice" : "Invoice", ` for order ${invoice.orderNumber}`),
      invoice.draft
        ? h("p", { class: "hint" }, `A draft until the order is INVOICED; it is ${invoice.status}.`)
        : h("p", {}, `Issued ${date(invoice.issuedAt)}.`),
      facts({},
        ["Bill to", [invoice.customer.name, invoice.customer.email ? ` <${invoice.customer.email}>` : ""]],
        ["Your PO", po ? po.poNumber : "none given", { id: "invoice-po-number" }],
        po && ["PO received as", MODES[po.mode], { id: "invoice-po-mode", "data-mode": po.mode }],
        po?.blanketPoId && ["Blanket PO", h("a", { href: `#/blanket-pos/${po.blanketPoId}` }, "the blanket PO and what is left of it")],
        po?.documentUrl && ["PO document", [
          h("a", { href: po.documentUrl, id: "invoice-po-document", target: "_blank", rel: "noopener" }, "Open the customer's PO"),
          ` (link valid until ${date(po.documentUrlExpiresAt)})`]]),
      h("div", { id: "invoice-lines" }, table([
        { label: "Description", cell: (line) => line.description },
        { label: "Amount", className: "num", cell: (line) => money(line.amount, invoice.currency) },
      ], invoice.lines)),
      h("p", { class: "total" }, "Total: ", h("strong", { id: "invoice-total" }, money(invoice.amount, invoice.currency))),
      print),
  );
}
