// One PO: its lines, totals (the server's), approvals, documents and history, with the actions its
// status allows. While it is open the page polls the PO, so status changes appear without a reload.
import { Problem } from "../api.js";
import { busy, date, field, h, money, showProblem, table, toast } from "../ui.js";
import { statusBadge } from "./pos.js";
import { documents } from "./documents.js";

export const title = "Purchase order";
export const POLL_MS = 1500;
const OPEN = ["DRAFT", "IN_REVIEW", "APPROVED", "ORDERED"];

export async function render(root, params, ctx) {
  let po = (await ctx.api("GET", `/pos/${params.id}`)).body;
  const sections = {
    head: h("div", { id: "po-head" }),
    actions: h("div", { class: "actions", id: "po-actions" }),
    panel: h("div", { id: "po-panel" }),
    lines: h("section", { id: "po-lines", "aria-labelledby": "lines-title" }),
    approvals: h("section", { id: "po-approvals", "aria-labelledby": "approvals-title" }),
    documents: h("section", { id: "po-documents", "aria-labelledby": "documents-title" }),
    history: h("section", { id: "po-history", "aria-labelledby": "history-title" }),
  };
  root.append(...Object.values(sections));
  const buyer = ctx.user.roles.some((role) => ["buyer", "admin"].includes(role));

  async function refresh() {
    po = (await ctx.api("GET", `/pos/${params.id}`)).body;
    draw();
    await history();
  }

  function draw() {
    document.title = `${po.number} - Purchase orders`;
    sections.head.replaceChildren(
      h("h1", {}, `${po.number} `, h("span", { id: "po-status", "aria-live": "polite" }, statusBadge(po.status))),
      h("dl", { class: "summary" },
        h("div", {}, h("dt", {}, "Supplier"), h("dd", { id: "po-supplier" }, `${po.supplier.name} <${po.supplier.email}>`)),
        h("div", {}, h("dt", {}, "Total"), h("dd", { id: "po-total" }, money(po.totals.subtotal, po.currency))),
        h("div", {}, h("dt", {}, "Version"), h("dd", {}, String(po.version))),
        h("div", {}, h("dt", {}, "Created by"), h("dd", {}, po.createdBy)),
        h("div", {}, h("dt", {}, "Updated"), h("dd", {}, date(po.updatedAt)))),
    );
    sections.actions.replaceChildren(...(buyer ? actions() : []));
    drawLines();
    drawApprovals();
  }

  const has = (...statuses) => po.lines.some((line) => statuses.includes(line.status));

  function action(label, id, run, className) {
    const button = h("button", { type: "button", id, class: className });
    button.append(label);
    button.addEventListener("click", () => busy(button, run().catch((error) => fail(error))));
    return button;
  }

  function fail(error) {
    if (!(error instanceof Problem)) throw error;
    const box = h("form", { class: "problem-box" });
    sections.panel.replaceChildren(box);
    showProblem(box, error, { reload: () => refresh().then(() => sections.panel.replaceChildren()) });
  }

  function actions() {
    const list = [];
    if (po.status === "DRAFT" || has("DRAFT")) list.push(h("a", { class: "button", href: `#/pos/${po.id}/edit`, id: "edit" }, "Edit"));
    else if (OPEN.includes(po.status)) list.push(h("a", { class: "button", href: `#/pos/${po.id}/edit`, id: "edit" }, "Edit ETA / paid"));
    if (has("DRAFT")) list.push(action("Submit for approval…", "submit", preview, "primary"));
    if (has("APPROVED")) list.push(action("Order", "order", () => post(`/pos/${po.id}/order`, "Ordered: the supplier gets the PDF."), "primary"));
    if (has("IN_REVIEW", "APPROVED", "ORDERED")) list.push(action("Revise", "revise", () => post(`/pos/${po.id}/revise`, "Lines back in draft for changes.")));
    if (has("ORDERED", "RECEIVED")) list.push(action("PDF", "pdf", pdf));
    list.push(action("Save as template…", "save-template", saveTemplate));
    if (has(...OPEN)) list.push(action("Cancel PO…", "cancel-po", cancelPo, "danger"));
    return list;
  }

  async function post(path, message) {
    sections.panel.replaceChildren();
    await ctx.api("POST", path);
    toast(message);
    await refresh();
  }

  // The route preview: what submitting would do, before it is done.
  async function preview() {
    const route = (await ctx.api("GET", `/pos/${po.id}/approval-route`)).body;
    const confirm = h("button", { type: "button", class: "primary", id: "confirm-submit" }, "Submit");
    confirm.addEventListener("click", () => busy(confirm, post(`/pos/${po.id}/submit`, "Submitted for approval.").catch(fail)));
    sections.panel.replaceChildren(h("section", { class: "panel", id: "route-preview", "aria-labelledby": "route-title" },
      h("h2", { id: "route-title" }, "Approval route"),
      h("p", { id: "route-summary" }, route.summary, route.conversion ? ` (${route.conversion})` : ""),
      route.resubmission ? h("p", {}, route.resubmission.reason) : null,
      table([
        { label: "Level", cell: (level) => level.name },
        { label: "Applies", cell: (level) => (level.applies ? "yes" : "no") },
        { label: "Why", cell: (level) => level.blocked || level.reason },
        { label: "Approvers", cell: (level) => level.approvers.join(", ") },
      ], route.levels, { empty: "No approval policy: the lines are approved at once." }),
      h("div", { class: "actions" }, confirm,
        h("button", { type: "button", onclick: () => sections.panel.replaceChildren() }, "Not now"))));
    confirm.focus();
  }

  async function pdf() {
    const link = (await ctx.api("GET", `/pos/${po.id}/pdf`)).body;
    sections.panel.replaceChildren(h("p", {}, h("a", { href: link.url, id: "pdf-link", target: "_blank", rel: "noopener" },
      `Download ${link.number}.pdf`), ` (link valid until ${date(link.expiresAt)})`));
  }

  async function saveTemplate() {
    const form = h("form", { id: "template-form" }, field("Template name", { name: "name", required: true, value: `${po.supplier.name} ${po.number}` }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save template")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const saved = await ctx.api("POST", "/templates", { body: { name: form.elements.name.value, fromPoId: po.id } });
        toast(`Template "${saved.body.name}" saved.`);
        sections.panel.replaceChildren();
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        showProblem(form, error);
      }
    });
    sections.panel.replaceChildren(form);
    form.elements.name.focus();
  }

  async function cancelPo() {
    const yes = h("button", { type: "button", class: "danger", id: "confirm-cancel" }, "Cancel every open line");
    yes.addEventListener("click", () => busy(yes, post(`/pos/${po.id}/cancel`, "PO canceled.").catch(fail)));
    sections.panel.replaceChildren(h("div", { class: "form-alert conflict", role: "alertdialog", "aria-label": "Cancel PO" },
      h("p", {}, "Cancel this PO? Lines with receipts are closed short at what arrived."),
      h("div", { class: "actions" }, yes, h("button", { type: "button", onclick: () => sections.panel.replaceChildren() }, "Keep it"))));
    yes.focus();
  }

  function receiveForm(line) {
    const left = h("span", {}, `of ${line.quantity}`);
    const form = h("form", { class: "receive", "aria-label": `Receive line ${line.lineNo}` },
      field(`Received now (line ${line.lineNo})`, { name: "quantity", inputmode: "decimal", id: `receive-${line.id}`, autocomplete: "off" }),
      left, h("button", { type: "submit" }, "Receive"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await ctx.api("POST", `/pos/${po.id}/lines/${line.id}/receipts`, { body: { quantity: form.elements.quantity.value.trim() } });
        toast(`Line ${line.lineNo}: received ${form.elements.quantity.value}.`);
        form.elements.quantity.value = "";
        await refresh();
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        showProblem(form, error, { reload: refresh });
      }
    });
    return form;
  }

  function drawLines() {
    const typed = {}; // what the user typed in the receipt boxes survives a redraw
    sections.lines.querySelectorAll("input[id^=receive-]").forEach((input) => { typed[input.id] = input.value; });
    sections.lines.replaceChildren(h("h2", { id: "lines-title" }, "Lines"), table([
      { label: "#", cell: (line) => String(line.lineNo) },
      { label: "Description", cell: (line) => [line.description, line.partId ? h("div", { class: "hint" }, `part ${line.partId}`) : null] },
      { label: "Quantity", cell: (line) => line.quantity, className: "num" },
      { label: "Unit cost", cell: (line) => money(line.unitCost), className: "num" },
      { label: "Amount", cell: (line) => money(line.amount), className: "num" },
      { label: "Status", cell: (line) => statusBadge(line.status) },
      { label: "Received", cell: (line) => `${line.receivedQuantity}${Number(line.canceledQuantity) ? ` (${line.canceledQuantity} canceled)` : ""}`, className: "num" },
      { label: "ETA", cell: (line) => line.eta || "" },
      { label: "", cell: (line) => buyer ? [
        line.status === "ORDERED" ? receiveForm(line) : null,
        OPEN.includes(line.status) ? action(line.receivedQuantity !== "0" ? "Close short" : "Cancel line", `cancel-line-${line.id}`,
          () => post(`/pos/${po.id}/lines/${line.id}/cancel`, `Line ${line.lineNo} canceled.`), "danger") : null,
      ] : null },
    ], po.lines, { caption: `${po.lines.length} lines, total ${money(po.totals.subtotal, po.currency)}` }));
    for (const [id, value] of Object.entries(typed)) {
      const input = sections.lines.querySelector(`#${CSS.escape(id)}`);
      if (input) input.value = value;
    }
  }

  function drawApprovals() {
    sections.approvals.replaceChildren(h("h2", { id: "approvals-title" }, "Approvals"), table([
      { label: "Level", cell: (request) => `${request.level}. ${request.levelName}` },
      { label: "Status", cell: (request) => statusBadge(request.status) },
      { label: "Approvers", cell: (request) => request.approvers.join(", ") },
      { label: "Decided by", cell: (request) => [request.decidedBy || "", request.comment ? h("div", { class: "hint" }, `“${request.comment}”`) : null] },
    ], po.approvals || [], { empty: "No approval requests yet." }));
  }

  async function history() {
    const events = (await ctx.api("GET", `/pos/${po.id}/history`)).body.items;
    sections.history.replaceChildren(h("h2", { id: "history-title" }, "History"),
      h("ol", { class: "timeline", id: "timeline" }, events.map((event) =>
        h("li", {}, h("time", { datetime: event.at }, `${date(event.at)} · ${event.actor}`), event.summary))));
  }

  draw();
  await Promise.all([history(), documents(sections.documents, po, ctx)]);

  // Watch for changes the stream and the approvers make: redraw when the version or status moves.
  const timer = setInterval(async () => {
    try {
      const latest = (await ctx.api("GET", `/pos/${params.id}`)).body;
      // a poll answered after a newer refresh (an action's own reload) must not draw the older PO back
      const moved = latest.status !== po.status || JSON.stringify(latest.approvals) !== JSON.stringify(po.approvals);
      if (latest.version > po.version || (latest.version === po.version && moved)) {
        po = latest;
        draw();
        await history();
      }
    } catch {
      /* a failed poll is retried at the next tick */
    }
  }, POLL_MS);
  ctx.onLeave(() => clearInterval(timer));
}
