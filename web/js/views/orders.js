// Customer orders: the list by status, a new order, and an order's page: its status moves, the
// customer's PO in its three modes (number only, full upload, blanket PO), partner links, documents.
import { Problem } from "../api.js";
import { clearProblems, date, field, h, money, table, toast } from "../ui.js";
import { send } from "./documents.js";
import { canWrite, facts, paged, placeProblem } from "./fields.js";
import { statusBadge } from "./pos.js";

export const title = "Customer orders";

const STATUSES = ["QUOTE", "PROCESSING", "COMPLETED", "INVOICED", "CANCELED"];
// The moves the API allows from each status (it refuses any other with a 409).
const MOVES = {
  QUOTE: [["PROCESSING", "Start processing"], ["CANCELED", "Cancel the order"]],
  PROCESSING: [["COMPLETED", "Mark completed"], ["CANCELED", "Cancel the order"]],
  COMPLETED: [["INVOICED", "Invoice"]],
};
const TAKES_A_PO = ["PROCESSING", "COMPLETED"];
const HAS_AN_INVOICE = ["PROCESSING", "COMPLETED", "INVOICED"];
export const MODES = {
  NUMBER_ONLY: "Number only",
  FULL_UPLOAD: "Number and document",
  BLANKET: "Blanket PO",
};
const ACCEPT = "application/pdf,image/png,image/jpeg";
const WAIT_FOR_CHECK_SECONDS = 60;

// --- the list -----------------------------------------------------------------------------------

export async function render(root, params, ctx) {
  const list = h("div", { id: "orders-list", "aria-live": "polite" });
  const filter = h("form", { id: "orders-filter", role: "search" },
    field("Status", { name: "status" }, { tag: "select", choices: [["", "All"], ...STATUSES.map((s) => [s, s])] }));
  const status = () => (filter.elements.status.value ? { status: filter.elements.status.value } : {});
  const { more, load } = paged(ctx, "/orders", status, (items) => list.replaceChildren(ordersTable(items)), "More orders");
  filter.addEventListener("change", () => load());
  filter.addEventListener("submit", (event) => event.preventDefault());
  root.replaceChildren(
    h("h1", {}, "Customer orders"),
    filter,
    list,
    more,
    canWrite(ctx.user) ? newOrderForm(ctx) : "",
  );
  await load();
}

function ordersTable(items) {
  return h("div", { id: "orders-table" }, table([
    { label: "Order", cell: (order) => h("a", { href: `#/orders/${order.id}` }, order.number) },
    { label: "Customer", cell: (order) => order.customer.name },
    { label: "Status", cell: (order) => statusBadge(order.status) },
    { label: "Amount", className: "num", cell: (order) => money(order.amount, order.currency) },
    { label: "Customer PO", cell: (order) => (order.customerPo ? `${order.customerPo.poNumber} (${MODES[order.customerPo.mode]})` : "none") },
    { label: "Updated", cell: (order) => date(order.updatedAt) },
  ], items, { empty: "No orders." }));
}

function newOrderForm(ctx) {
  const form = h(
    "form",
    { id: "order-form", novalidate: true, "aria-labelledby": "order-heading" },
    h("h2", { id: "order-heading" }, "New order"),
    h("div", { class: "grid" },
      field("Customer", { name: "customer.name", required: true, autocomplete: "organization" }),
      field("Customer email", { name: "customer.email", type: "email" }),
      field("Amount", { name: "amount", inputmode: "decimal", required: true }, { hint: "A decimal such as 1250.00." }),
      field("Currency", { name: "currency", maxlength: 3, value: "USD", required: true })),
    field("Description", { name: "description", rows: 2 }, { tag: "textarea" }),
    h("button", { type: "submit", id: "order-create" }, "Create order"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    const body = {
      customer: { name: value("customer.name"), ...(value("customer.email") ? { email: value("customer.email") } : {}) },
      amount: value("amount"),
      currency: value("currency"),
      ...(value("description") ? { description: value("description") } : {}),
    };
    try {
      const created = await ctx.api("POST", "/orders", { body, headers: { "Idempotency-Key": idempotencyKey(form) } });
      delete form.dataset.key;
      ctx.navigate(`#/orders/${created.body.id}`);
    } catch (problem) {
      if (!problem.status) throw problem;
      placeProblem(form, problem);
    }
  });
  return form;
}

// One key per form content: a retry of the same create returns the first order.
function idempotencyKey(form) {
  form.dataset.key = form.dataset.key || crypto.randomUUID();
  return form.dataset.key;
}

// --- an order -----------------------------------------------------------------------------------

// `kept`: what was typed in the attach form before a reload (a 409 or 412), filled in again.
export async function renderOrder(root, params, ctx, kept = {}) {
  const loaded = await ctx.api("GET", `/orders/${params.id}`);
  const order = loaded.body;
  const state = { etag: loaded.etag, order };
  const reload = (typed) => renderOrder(root, params, ctx, typed);
  const writer = canWrite(ctx.user);
  const blanket = order.customerPo?.blanketPoId
    ? (await ctx.api("GET", `/blanket-pos/${order.customerPo.blanketPoId}`)).body : null;
  root.replaceChildren(
    h("p", {}, h("a", { href: "#/orders" }, "← Customer orders")),
    h("h1", {}, `Order ${order.number} `, statusBadge(order.status)),
    facts({},
      ["Customer", [order.customer.name, order.customer.email ? ` <${order.customer.email}>` : ""]],
      ["Amount", money(order.amount, order.currency), { id: "order-amount" }],
      order.description && ["Description", order.description],
      ["Created", `${date(order.createdAt)} by ${order.createdBy}`]),
    writer ? movesBar(ctx, state, reload) : "",
    HAS_AN_INVOICE.includes(order.status)
      ? h("p", {}, h("a", { href: `#/orders/${order.id}/invoice`, id: "invoice-link" }, "Invoice")) : "",
    customerPoSection(order, blanket),
    writer && TAKES_A_PO.includes(order.status) ? await attachForm(ctx, state, reload, kept) : "",
    writer && !TAKES_A_PO.includes(order.status) && !order.customerPo
      ? h("p", { class: "hint" }, `A customer PO can be attached once the order is PROCESSING (or COMPLETED); it is ${order.status}.`) : "",
    writer && TAKES_A_PO.includes(order.status) ? partnerLinkForm(ctx, order) : "",
    documentsSection(ctx, order),
  );
}

function movesBar(ctx, state, reload) {
  const moves = MOVES[state.order.status] || [];
  if (!moves.length) return "";
  const bar = h("form", { class: "actions", id: "order-moves", "aria-label": "Order status" });
  for (const [status, label] of moves) {
    const button = h("button", { type: "button", "data-status": status }, label);
    button.addEventListener("click", async () => {
      try {
        await ctx.api("PATCH", `/orders/${state.order.id}`, { body: { status }, etag: state.etag });
        toast(`Order ${state.order.number} is ${status}`);
        await reload();
      } catch (problem) {
        if (!problem.status) throw problem;
        placeProblem(bar, problem, { reload: () => reload() });
      }
    });
    bar.append(button, " ");
  }
  return bar;
}

function customerPoSection(order, blanket) {
  const po = order.customerPo;
  return h(
    "section",
    { id: "customer-po", "aria-labelledby": "customer-po-heading" },
    h("h2", { id: "customer-po-heading" }, "Customer PO"),
    po
      ? facts({},
        ["Number", po.poNumber, { id: "customer-po-number" }],
        ["Mode", MODES[po.mode], { id: "customer-po-mode", "data-mode": po.mode }],
        po.documentId && ["Document", documentName(order, po.documentId)],
        ["Attached", `${date(po.attachedAt)} by ${po.attachedBy}`
          + (po.source === "PARTNER" ? " (uploaded by the customer from a partner link)" : "")])
      : h("p", {}, "No customer PO yet."),
    blanket ? blanketFigures(blanket) : "",
  );
}

// The figures the server keeps for a blanket PO: cap, consumed and remaining.
export function blanketFigures(blanket) {
  const none = "no cap";
  return facts({ class: "summary blanket-figures", id: `blanket-${blanket.id}` },
    ["Blanket PO", h("a", { href: `#/blanket-pos/${blanket.id}` }, blanket.poNumber)],
    ["Cap", blanket.cap ? money(blanket.cap, blanket.currency) : none, { class: "cap" }],
    ["Consumed", money(blanket.consumed, blanket.currency), { class: "consumed" }],
    ["Remaining", blanket.remaining ? money(blanket.remaining, blanket.currency) : none, { class: "remaining" }],
    blanket.endDate && ["Ends", blanket.endDate]);
}

function documentName(order, documentId) {
  const document = (order.documents || []).find((d) => d.id === documentId);
  return document ? document.fileName : documentId;
}

async function attachForm(ctx, state, reload, kept) {
  const { order } = state;
  const blankets = (await ctx.api("GET", "/blanket-pos", { query: { limit: "100" } })).body.items
    .filter((blanket) => blanket.currency === order.currency);
  const progress = h("progress", { id: "po-upload-progress", max: "100", value: "0", hidden: true,
    "aria-label": "Upload progress" });
  const status = h("p", { id: "po-upload-status", "aria-live": "polite" });
  const modes = h("fieldset", { class: "modes" }, h("legend", {}, "How the customer sent it"),
    ...Object.entries(MODES).map(([mode, label], index) => h("div", { class: "check" },
      h("input", { type: "radio", name: "mode", id: `mode-${mode}`, value: mode, ...(index === 0 ? { checked: true } : {}) }),
      h("label", { for: `mode-${mode}` }, label))));
  const number = field("Customer PO number", { name: "poNumber", autocomplete: "off" }, { hint: "For a blanket PO: empty takes the blanket's number." });
  const file = field("The customer's PO document", { name: "file", type: "file", accept: ACCEPT }, { hint: "PDF, PNG or JPEG, up to 10 MiB." });
  const blanket = field("Blanket PO", { name: "blanketPoId" }, {
    tag: "select",
    choices: [["", blankets.length ? "Choose a blanket PO" : `No blanket PO in ${order.currency}`],
      ...blankets.map((b) => [b.id, `${b.poNumber} (${b.customer.name}): ${b.remaining ? `${money(b.remaining, b.currency)} left` : "no cap"}`])],
  });
  const form = h(
    "form",
    { id: "attach-po-form", novalidate: true, "aria-labelledby": "attach-heading" },
    h("h2", { id: "attach-heading" }, order.customerPo ? "Replace the customer PO" : "Attach the customer PO"),
    modes, number, file, blanket, progress, status,
    h("button", { type: "submit", id: "attach-po" }, "Attach"),
  );
  const showMode = () => {
    const mode = form.elements.mode.value;
    file.hidden = mode !== "FULL_UPLOAD";
    blanket.hidden = mode !== "BLANKET";
  };
  for (const name of ["mode", "poNumber", "blanketPoId"]) {
    if (kept[name]) form.elements[name].value = kept[name];
  }
  modes.addEventListener("change", showMode);
  showMode();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const mode = form.elements.mode.value;
    const body = { mode };
    const poNumber = form.elements.poNumber.value.trim();
    if (poNumber) body.poNumber = poNumber;
    try {
      if (mode === "BLANKET") body.blanketPoId = form.elements.blanketPoId.value || undefined;
      if (mode === "FULL_UPLOAD") body.documentId = await upload(ctx, order, form, progress, status);
      await ctx.api("PUT", `/orders/${order.id}/po`, { body, etag: state.etag });
      toast(`Customer PO attached to ${order.number}`);
      await reload();
    } catch (problem) {
      if (!problem.status) throw problem;
      if (problem.errors) {
        for (const error of problem.errors) {
          if (["documentId", "fileName", "contentType", "size"].includes(error.field)) error.field = "file";
        }
      }
      const typed = () => Object.fromEntries(["mode", "poNumber", "blanketPoId"].map((name) => [name, form.elements[name].value]));
      placeProblem(form, problem, { reload: () => reload(typed()) });
    }
  });
  return form;
}

// FULL_UPLOAD: a presigned POST for an order document, the file straight to S3 with a progress
// bar, then the order read until the ingest has checked it. Returns the accepted document's id.
async function upload(ctx, order, form, progress, status) {
  const chosen = form.elements.file.files[0];
  if (!chosen) throw fileProblem(422, "No file", "choose the customer's PO document (PDF, PNG or JPEG)");
  const presigned = (await ctx.api("POST", `/orders/${order.id}/documents`, {
    body: { fileName: chosen.name, contentType: chosen.type || "application/octet-stream", size: chosen.size },
  })).body;
  progress.hidden = false;
  status.textContent = `Uploading ${chosen.name}…`;
  await send(presigned, chosen, progress);
  status.textContent = `${chosen.name} uploaded; checking it…`;
  const deadline = Date.now() + WAIT_FOR_CHECK_SECONDS * 1000;
  while (Date.now() < deadline) {
    const current = (await ctx.api("GET", `/orders/${order.id}`)).body;
    const document = current.documents.find((d) => d.id === presigned.documentId);
    if (document && document.status === "ACCEPTED") {
      status.textContent = `${chosen.name} accepted.`;
      return document.id;
    }
    if (document && document.status !== "PENDING") {
      throw fileProblem(422, "Document not accepted", `${chosen.name} was ${document.status}: ${document.reason || "not accepted"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw fileProblem(409, "Not checked yet", `${chosen.name} is still being checked; attach it once it shows as ACCEPTED below.`);
}

const fileProblem = (status, title, message) =>
  new Problem(status, { title, detail: message, errors: [{ field: "file", message }] });

function partnerLinkForm(ctx, order) {
  const output = h("div", { id: "partner-link", "aria-live": "polite" });
  const form = h(
    "form",
    { id: "partner-link-form", novalidate: true, "aria-labelledby": "partner-heading" },
    h("h2", { id: "partner-heading" }, "Partner upload link"),
    h("p", { class: "hint" }, "A signed link for someone with no account to upload the customer's PO."),
    field("Valid for (days)", { name: "expiresInDays", type: "number", min: "1", max: "30", value: "7", inputmode: "numeric" }),
    h("button", { type: "submit", id: "partner-link-create" }, "Create link"),
    output,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const days = Number(form.elements.expiresInDays.value);
    try {
      const link = (await ctx.api("POST", `/orders/${order.id}/partner-links`, {
        body: { expiresInDays: Number.isInteger(days) ? days : form.elements.expiresInDays.value },
      })).body;
      clearProblems(form);
      const url = h("input", { id: "partner-link-url", readonly: true, value: link.url, "aria-label": "Partner link" });
      url.value = link.url;
      const copy = h("button", { type: "button", id: "partner-link-copy" }, "Copy link");
      copy.addEventListener("click", async () => {
        url.select();
        try {
          await navigator.clipboard.writeText(link.url);
        } catch {
          document.execCommand("copy");
        }
        toast("Link copied");
      });
      output.replaceChildren(url, " ", copy, h("p", { class: "hint" }, `Works until ${date(link.expiresAt)}.`));
    } catch (problem) {
      if (!problem.status) throw problem;
      placeProblem(form, problem);
    }
  });
  return form;
}

function documentsSection(ctx, order) {
  const download = (document) => {
    if (document.status !== "ACCEPTED") return "";
    const open = h("button", { type: "button", "aria-label": `Download ${document.fileName}` }, "Download");
    open.addEventListener("click", async () => {
      const link = (await ctx.api("GET", `/orders/${order.id}/documents/${document.id}`)).body;
      window.open(link.url, "_blank", "noopener");
    });
    return open;
  };
  return h("section", { id: "order-documents", "aria-labelledby": "documents-heading" },
    h("h2", { id: "documents-heading" }, "Documents"),
    table([
      { label: "File", cell: (document) => document.fileName },
      { label: "Status", cell: (document) => document.status },
      { label: "Note", cell: (document) => document.reason || "" },
      { label: "Uploaded", cell: (document) => `${date(document.createdAt)} (${document.source === "PARTNER" ? "partner" : document.uploadedBy})` },
      { label: "", cell: download },
    ], order.documents || [], { empty: "No documents." }));
}
