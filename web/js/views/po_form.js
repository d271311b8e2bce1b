// A new PO (#/pos/new), or the edit of one
// (#/pos/:id/edit): in DRAFT every field, after that only each line's ETA and paid flag; the others
// are shown read-only with why. Amounts are decimal strings as typed; the totals are the server's.
import { Problem } from "../api.js";
import { busy, field, h, money, showProblem, toast } from "../ui.js";
import { partPicker } from "./part_picker.js";

export const title = (params) => (params.id ? "Edit PO" : "New PO");
const DECIMAL = { inputmode: "decimal", pattern: "\\d+(\\.\\d+)?", autocomplete: "off" };
const LINE_FIELDS = ["partId", "description", "quantity", "unitCost", "eta", "paid"];
const ALWAYS = ["eta", "paid"];

function lineRow(ctx, index, line, { editable, why, onRemove, onPart }) {
  const locked = (name) => !editable && !ALWAYS.includes(name);
  const attrs = (name, extra = {}) => ({
    name: `lines[${index}].${name}`,
    value: line[name] ?? "",
    readonly: locked(name),
    "aria-describedby": locked(name) ? `why-${index}` : null,
    ...extra,
  });
  const partInfo = h("p", { class: "hint", "aria-live": "polite" });
  const picker = partPicker(ctx, attrs("partId", { placeholder: "optional: type to search" }),
    (partId, known) => onPart(partId, partInfo, known));
  const part = h("div", { class: "field picker" },
    h("label", { for: picker.input.id }, "Part"), h("div", { class: "combo" }, picker.input, picker.list),
    picker.status, partInfo);
  const paid = h("input", { type: "checkbox", name: `lines[${index}].paid`, id: `paid-${index}` });
  paid.checked = Boolean(line.paid);
  const row = h("fieldset", { class: "line", dataset: { index: String(index), lineId: line.id || "" } },
    h("legend", {}, `Line ${index + 1}`, line.status ? ` (${line.status})` : ""),
    h("div", { class: "line-row" },
      part,
      h("div", { class: "wide" }, field("Description", attrs("description", { required: true }))),
      field("Quantity", attrs("quantity", { ...DECIMAL, required: true })),
      field("Unit cost", attrs("unitCost", { ...DECIMAL, required: true })),
      field("ETA", attrs("eta", { type: "date" })),
      h("div", { class: "field" }, h("label", { for: paid.id }, "Paid"), paid)),
    line.amount !== undefined ? h("p", { class: "hint" }, `Amount (server): ${money(line.amount)}`) : null,
    why ? h("p", { class: "readonly-why", id: `why-${index}` }, why) : null,
    onRemove ? h("button", { type: "button", class: "danger", onclick: onRemove }, `Remove line ${index + 1}`) : null,
  );
  return row;
}

export async function render(root, params, ctx) {
  let po = null;
  let etag = null;
  if (params.id) {
    const read = await ctx.api("GET", `/pos/${params.id}`);
    po = read.body;
    etag = read.etag;
  }
  const seed = po || { supplier: { name: "", email: "" }, currency: "USD", lines: [{}] };
  const draft = !po || po.status === "DRAFT";
  const why = draft ? "" : `Not editable while the PO is ${po.status}: only ETA and paid can change.`;

  const lines = h("div", { id: "lines" });
  const form = h("form", { id: "po-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Supplier and currency"),
      h("div", { class: "grid" },
        field("Supplier name", { name: "supplier.name", value: seed.supplier?.name || "", required: true, readonly: !draft, autocomplete: "organization" }),
        field("Supplier email", { name: "supplier.email", type: "email", value: seed.supplier?.email || "", required: true, readonly: !draft }),
        field("Currency", { name: "currency", value: seed.currency || "USD", maxlength: "3", required: true, readonly: !draft, autocapitalize: "characters" },
          { hint: "ISO 4217, e.g. USD" }),
        po ? null : field("PO number", { name: "number", autocomplete: "off" }, { hint: "optional: else the next number" })),
      why ? h("p", { class: "readonly-why" }, why) : null),
    h("h2", {}, "Lines"), lines,
    draft ? h("button", { type: "button", id: "add-line", onclick: () => addLine({}) }, "Add line") : null,
    po ? h("p", { id: "form-total" }, "Total (server): ", h("strong", {}, money(po.totals.subtotal, po.currency))) : h("p", { class: "hint" }, "Line amounts and the total are computed by the server when you save."),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary", id: "save" }, po ? "Save changes" : "Create PO"),
      h("a", { class: "button", href: po ? `#/pos/${po.id}` : "#/pos" }, "Back")));
  root.append(h("h1", {}, po ? `Edit ${po.number}` : "New purchase order"), form);

  const rows = [];
  function renumber() {
    rows.forEach((row, index) => {
      row.querySelector("legend").firstChild.textContent = `Line ${index + 1}`;
      row.querySelectorAll("[name^='lines[']").forEach((input) => {
        input.name = input.name.replace(/^lines\[\d+\]/, `lines[${index}]`);
      });
    });
  }
  async function onPart(partId, info, known) {
    info.textContent = "";
    if (!partId) return;
    try {
      const part = known || (await ctx.api("GET", `/parts/${encodeURIComponent(partId)}`)).body;
      info.textContent = `${part.name}: ${part.purchaseType.replaceAll("_", " ").toLowerCase()}`;
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      info.textContent = error.status === 404 ? "No such part: the line keeps its own description and type." : error.detail;
    }
  }
  function addLine(line) {
    const editable = draft && (!line.status || line.status === "DRAFT" || !po);
    const row = lineRow(ctx, rows.length, line, {
      editable,
      why: editable ? "" : why || `Line is ${line.status}.`,
      onPart,
      onRemove: draft && !line.id ? () => { rows.splice(rows.indexOf(row), 1); row.remove(); renumber(); } : null,
    });
    rows.push(row);
    lines.append(row);
    return row;
  }
  for (const line of seed.lines) addLine(line);

  const read = (row, index) => {
    const get = (name) => form.elements[`lines[${index}].${name}`];
    const body = {};
    for (const name of LINE_FIELDS) {
      const input = get(name);
      if (!input || input.readOnly) continue;
      if (name === "paid") body.paid = input.checked;
      else if (input.value.trim() !== "") body[name] = input.value.trim();
      else if (name === "partId" || name === "eta") body[name] = null;
    }
    return body;
  };

  async function create() {
    const body = {
      supplier: { name: form.elements["supplier.name"].value.trim(), email: form.elements["supplier.email"].value.trim() },
      currency: form.elements.currency.value.trim().toUpperCase(),
      lines: rows.map(read).map((line) => Object.fromEntries(Object.entries(line).filter(([, value]) => value !== null))),
    };
    if (form.elements.number.value.trim()) body.number = form.elements.number.value.trim();
    const key = (keys[JSON.stringify(body)] ||= crypto.randomUUID()); // a retry of the same body: the same PO
    const created = await ctx.api("POST", "/pos", { body, headers: { "Idempotency-Key": key } });
    toast(`${created.body.number} created.`);
    ctx.navigate(`#/pos/${created.body.id}`);
  }

  async function save() {
    if (draft) {
      const header = {
        supplier: { name: form.elements["supplier.name"].value.trim(), email: form.elements["supplier.email"].value.trim() },
        currency: form.elements.currency.value.trim().toUpperCase(),
      };
      if (JSON.stringify(header.supplier) !== JSON.stringify(po.supplier) || header.currency !== po.currency) {
        etag = (await ctx.api("PATCH", `/pos/${po.id}`, { body: header, etag })).etag || etag;
      }
    }
    for (const [index, row] of rows.entries()) {
      const body = read(row, index);
      const line = po.lines.find((candidate) => candidate.id === row.dataset.lineId);
      const changed = line ? Object.fromEntries(Object.entries(body).filter(([name, value]) => (line[name] ?? null) !== value)) : body;
      if (!Object.keys(changed).length) continue;
      try {
        const done = line
          ? await ctx.api("PATCH", `/pos/${po.id}/lines/${line.id}`, { body: changed, etag })
          : await ctx.api("POST", `/pos/${po.id}/lines`, { body, etag });
        etag = done.etag || etag; // each change is a new version of the PO
      } catch (error) {
        // a line's problem names its fields ("quantity"): they are this row's inputs
        if (error instanceof Problem) error.errors = error.errors.map((item) => ({ ...item, field: `lines[${index}].${item.field}` }));
        throw error;
      }
    }
    toast(`${po.number} saved.`);
    ctx.navigate(`#/pos/${po.id}`);
  }

  // A 409 or 412: read the PO again, say what changed, keep every value the user typed.
  async function reload() {
    const fresh = await ctx.api("GET", `/pos/${po.id}`);
    const changes = [];
    if (fresh.body.status !== po.status) changes.push(`status ${po.status} → ${fresh.body.status}`);
    if (JSON.stringify(fresh.body.supplier) !== JSON.stringify(po.supplier)) changes.push(`supplier → ${fresh.body.supplier.name} <${fresh.body.supplier.email}>`);
    for (const line of fresh.body.lines) {
      const before = po.lines.find((candidate) => candidate.id === line.id);
      for (const name of ["description", "quantity", "unitCost", "eta", "paid", "status"]) {
        if (!before) { changes.push(`line ${line.lineNo} added`); break; }
        if (before[name] !== line[name]) changes.push(`line ${line.lineNo} ${name}: ${before[name]} → ${line[name]}`);
      }
    }
    po = fresh.body;
    etag = fresh.etag;
    const note = h("div", { class: "form-alert conflict", role: "status", id: "changed" },
      h("strong", {}, `Reloaded version ${po.version}. `),
      changes.length ? `Changed since you opened it: ${changes.join("; ")}.` : "Nothing you see changed.",
      " Your entries are kept: save again to apply them.");
    form.querySelector(".form-alert")?.remove();
    form.prepend(note);
    note.focus?.();
  }

  const keys = {};
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector("#save");
    busy(button, (po ? save() : create()).catch((error) => {
      if (!(error instanceof Problem)) throw error;
      showProblem(form, error, { reload: po ? reload : null });
    }));
  });
}
