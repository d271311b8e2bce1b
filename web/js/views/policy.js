// Admins: the approval policy (levels, approvers, amounts, timeouts, escalation, reset threshold),
// the route the server says a sample amount would take, and the exchange rates.
import { clearProblems, date, field, h, money, table, toast } from "../ui.js";
import { decimal, emails, placeProblem } from "./fields.js";

export const title = "Approval policy";

export async function render(root, params, ctx) {
  const [policy, rates] = await Promise.all([
    ctx.api("GET", "/settings/approval-policy"),
    ctx.api("GET", "/settings/exchange-rates"),
  ]);
  const preview = previewPanel(ctx);
  root.replaceChildren(
    h("h1", {}, "Approval policy"),
    policyEditor(ctx, policy, () => preview.refresh()),
    preview.panel,
    ratesEditor(ctx, rates),
  );
  if (policy.body.levels.length) await preview.refresh();
}

// --- the policy ---------------------------------------------------------------------------------

function policyEditor(ctx, loaded, onSaved) {
  let etag = loaded.etag;
  const levels = h("div", { id: "policy-levels" });
  const meta = h("p", { id: "policy-version", class: "meta" });
  const conflict = h("div", { id: "policy-conflict", role: "status", tabindex: "-1" });
  const currency = field("Base currency", { name: "currency", value: loaded.body.currency, maxlength: 3, required: true },
    { hint: "Level minimum amounts and the threshold amount are in it." });
  const thresholdAmount = field("Reset threshold: amount", { name: "resetThreshold.amount",
    inputmode: "decimal", value: loaded.body.resetThreshold?.amount ?? "" },
  { hint: "A revised PO within it is approved again at once (base currency)." });
  const thresholdPercent = field("Reset threshold: percent", { name: "resetThreshold.percent",
    inputmode: "decimal", value: loaded.body.resetThreshold?.percent ?? "" },
  { hint: "Each one set must hold." });
  const addButton = h("button", { type: "button", id: "policy-add-level" }, "Add level");
  const form = h(
    "form",
    { id: "policy-form", novalidate: true, "aria-labelledby": "policy-heading" },
    h("h2", { id: "policy-heading" }, "Levels and thresholds"),
    meta,
    h("p", { class: "hint" }, "Levels run in order; a level with a minimum amount applies only from that subtotal up. ",
      "No levels: submitted lines are approved at once."),
    currency,
    levels,
    addButton,
    h("fieldset", {}, h("legend", {}, "Reset threshold"), h("div", { class: "grid" }, thresholdAmount, thresholdPercent)),
    conflict,
    h("button", { type: "submit", id: "policy-save" }, "Save policy"),
  );

  const show = (body) => {
    meta.textContent = body.version
      ? `Version ${body.version}, saved by ${body.updatedBy} at ${date(body.updatedAt)}.`
      : "No policy yet: submitted lines are approved at once.";
  };
  const fill = (body) => {
    form.elements.currency.value = body.currency;
    form.elements["resetThreshold.amount"].value = body.resetThreshold?.amount ?? "";
    form.elements["resetThreshold.percent"].value = body.resetThreshold?.percent ?? "";
    drawLevels(levels, (body.levels || []).map(typed));
    show(body);
  };
  fill(loaded.body);

  addButton.addEventListener("click", () => {
    const list = readLevels(levels);
    list.push({ name: "", approvers: "", minAmount: "", timeoutHours: "", escalateTo: "" });
    drawLevels(levels, list);
    levels.querySelector(`[name="levels[${list.length - 1}].name"]`).focus();
  });
  levels.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const list = readLevels(levels);
    const index = Number(button.dataset.index);
    const moved = button.dataset.action === "up" ? index - 1 : null;
    if (moved === null) list.splice(index, 1);
    else list.splice(moved, 0, ...list.splice(index, 1));
    drawLevels(levels, list);
    // keep the keyboard where the user was: on the moved level, or on "Add level"
    (moved === null ? addButton : levels.querySelector(`[name="levels[${moved}].name"]`)).focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    conflict.replaceChildren();
    const body = {
      currency: form.elements.currency.value.trim(),
      levels: readLevels(levels).map((level) => ({
        name: level.name.trim(),
        approvers: emails(level.approvers),
        minAmount: decimal(level.minAmount),
        timeoutHours: decimal(level.timeoutHours),
        escalateTo: emails(level.escalateTo),
      })),
      resetThreshold: {
        amount: decimal(form.elements["resetThreshold.amount"].value),
        percent: decimal(form.elements["resetThreshold.percent"].value),
      },
    };
    try {
      const saved = await ctx.api("PUT", "/settings/approval-policy", { body, etag });
      etag = saved.etag;
      clearProblems(form);
      fill(saved.body);
      toast(`Policy saved: version ${saved.body.version}`);
      onSaved();
    } catch (problem) {
      if (!problem.status) throw problem;
      const reload = () => reloadKeeping(ctx, "/settings/approval-policy", "policy", conflict, (current) => {
        etag = current.etag;
        show(current.body);
      }, fill);
      placeProblem(form, problem, { reload });
    }
  });
  return form;
}

// After a stale save (412): read the saved version and say who saved it and when. What was typed
// stays in the form, now based on that version (saving replaces it); "Discard" shows it instead.
async function reloadKeeping(ctx, path, what, conflict, adopt, fill) {
  const current = await ctx.api("GET", path);
  const { version, updatedBy, updatedAt } = current.body;
  adopt(current);
  const discard = h("button", { type: "button", class: "discard" }, "Discard my changes");
  discard.addEventListener("click", () => {
    fill(current.body);
    conflict.replaceChildren();
  });
  conflict.replaceChildren(
    h("p", {}, `The ${what} is now version ${version}, saved by ${updatedBy} at ${date(updatedAt)}. `
      + "Your changes are still in the form: save to replace that version with them, or ", discard),
  );
  conflict.focus();
}

const typed = (level) => ({
  name: level.name,
  approvers: (level.approvers || []).join(", "),
  minAmount: level.minAmount ?? "",
  timeoutHours: level.timeoutHours ?? "",
  escalateTo: (level.escalateTo || []).join(", "),
});

const LEVEL_FIELDS = [
  ["name", "Name", {}, {}],
  ["approvers", "Approvers", { rows: 2 }, { tag: "textarea", hint: "Emails, separated by commas." }],
  ["minAmount", "Minimum amount", { inputmode: "decimal" }, { hint: "Empty: applies to every PO." }],
  ["timeoutHours", "Timeout (hours)", { inputmode: "decimal" }, { hint: "At least 0.25; empty: no timeout." }],
  ["escalateTo", "Escalate to", { rows: 1 }, { tag: "textarea", hint: "Emails asked when the level times out." }],
];

function readLevels(container) {
  return [...container.querySelectorAll("fieldset.level")].map((set) =>
    Object.fromEntries(LEVEL_FIELDS.map(([key]) => [key, set.querySelector(`[data-key="${key}"]`).value])));
}

function drawLevels(container, list) {
  container.replaceChildren(...list.map((level, index) => {
    const inputs = LEVEL_FIELDS.map(([key, label, attrs, options]) =>
      field(label, { name: `levels[${index}].${key}`, ...attrs, value: level[key], "data-key": key }, options));
    return h(
      "fieldset",
      { class: "level", "data-index": index },
      h("legend", {}, `Level ${index + 1}`),
      h("div", { class: "grid" }, ...inputs),
      h("div", { class: "actions" },
        index > 0 ? h("button", { type: "button", "data-action": "up", "data-index": index,
          "aria-label": `Move level ${index + 1} up` }, "Move up") : "",
        h("button", { type: "button", "data-action": "remove", "data-index": index },
          `Remove level ${index + 1}`)),
    );
  }));
}

// --- the route preview --------------------------------------------------------------------------

function previewPanel(ctx) {
  const result = h("div", { id: "route-preview", "aria-live": "polite" });
  const form = h(
    "form",
    { id: "route-form", novalidate: true, "aria-labelledby": "route-heading" },
    h("h2", { id: "route-heading" }, "Route preview"),
    h("p", { class: "hint" }, "The levels a PO of this amount would go through under the saved policy, as the server routes it."),
    field("Sample amount", { name: "amount", inputmode: "decimal", value: "1000.00", required: true }),
    field("Currency", { name: "currency", maxlength: 3, placeholder: "the base currency" }, { hint: "Empty: the policy's currency." }),
    h("button", { type: "submit", id: "route-preview-button" }, "Preview route"),
    result,
  );
  const refresh = async () => {
    const query = { amount: form.elements.amount.value.trim() };
    const currency = form.elements.currency.value.trim();
    if (currency) query.currency = currency;
    try {
      const route = await ctx.api("GET", "/settings/approval-route", { query });
      clearProblems(form);
      result.replaceChildren(...routeView(route.body));
    } catch (problem) {
      if (!problem.status) throw problem;
      result.replaceChildren();
      placeProblem(form, problem);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  return { panel: form, refresh };
}

function routeView(route) {
  return [
    h("p", { id: "route-summary" }, h("strong", {}, route.summary),
      ` for ${money(route.subtotal, route.currency)} (policy version ${route.policyVersion})`),
    route.conversion ? h("p", { id: "route-conversion" }, route.conversion) : "",
    h("div", { id: "route-levels" }, table([
      { label: "Level", cell: (level) => (level.applies ? String(level.level) : "–") },
      { label: "Name", cell: (level) => level.name },
      { label: "Applies", cell: (level) => (level.applies ? "yes" : "no") },
      { label: "Why", cell: (level) => level.reason + (level.blocked ? ` (${level.blocked})` : "") },
      { label: "Approvers", cell: (level) => level.approvers.join(", ") },
      { label: "Timeout", cell: (level) => (level.timeoutSeconds ? `${level.timeoutSeconds / 3600} h` : "none") },
      { label: "Escalation", cell: (level) => (level.escalateTo || []).join(", ") },
    ], route.levels, { caption: "Levels in order", empty: "No levels: submitted lines are approved at once." })),
  ];
}

// --- exchange rates -----------------------------------------------------------------------------

function ratesEditor(ctx, loaded) {
  let etag = loaded.etag;
  const rows = h("div", { id: "rate-rows" });
  const meta = h("p", { class: "meta", id: "rates-version" });
  const conflict = h("div", { id: "rates-conflict", role: "status", tabindex: "-1" });
  const addButton = h("button", { type: "button", id: "rates-add" }, "Add currency");
  const form = h(
    "form",
    { id: "rates-form", novalidate: true, "aria-labelledby": "rates-heading" },
    h("h2", { id: "rates-heading" }, "Exchange rates"),
    meta,
    field("Base currency", { name: "baseCurrency", maxlength: 3, required: true }, { hint: "Must be the policy's currency." }),
    h("p", { class: "hint" }, "Units of the base currency per unit of each currency; used to route POs in other currencies."),
    rows,
    addButton,
    conflict,
    h("button", { type: "submit", id: "rates-save" }, "Save rates"),
  );
  const fill = (body) => {
    form.elements.baseCurrency.value = body.baseCurrency;
    drawRates(rows, Object.entries(body.rates || {}));
    meta.textContent = body.version ? `Version ${body.version}, saved by ${body.updatedBy} at ${date(body.updatedAt)}.`
      : "No rates yet.";
  };
  fill(loaded.body);
  addButton.addEventListener("click", () => {
    const list = readRates(rows);
    list.push(["", ""]);
    drawRates(rows, list);
    rows.querySelector(`[name="rates[${list.length - 1}].currency"]`).focus();
  });
  rows.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-index]");
    if (!button) return;
    const list = readRates(rows);
    list.splice(Number(button.dataset.index), 1);
    drawRates(rows, list);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    conflict.replaceChildren();
    const list = readRates(rows);
    const body = {
      baseCurrency: form.elements.baseCurrency.value.trim(),
      rates: Object.fromEntries(list.map(([code, rate]) => [code.trim(), rate.trim()])),
    };
    try {
      const saved = await ctx.api("PUT", "/settings/exchange-rates", { body, etag });
      etag = saved.etag;
      clearProblems(form);
      fill(saved.body);
      toast(`Exchange rates saved: version ${saved.body.version}`);
    } catch (problem) {
      if (!problem.status) throw problem;
      // "rates.EUR" (or "rates.EUR.[key]" for the code itself) -> that row's input
      const row = (code) => list.findIndex(([typedCode]) => typedCode.trim() === code);
      for (const error of problem.errors || []) {
        const match = /^rates\.([^.[]+)(.*)$/.exec(error.field || "");
        if (match && row(match[1]) >= 0) {
          error.field = `rates[${row(match[1])}].${match[2].includes("key") ? "currency" : "rate"}`;
        }
      }
      const reload = () => reloadKeeping(ctx, "/settings/exchange-rates", "exchange rates table", conflict,
        (current) => { etag = current.etag; }, fill);
      placeProblem(form, problem, { reload });
    }
  });
  return form;
}

function readRates(container) {
  return [...container.querySelectorAll(".rate-row")].map((row) =>
    [row.querySelector('[data-key="currency"]').value, row.querySelector('[data-key="rate"]').value]);
}

function drawRates(container, list) {
  container.replaceChildren(...list.map(([code, rate], index) => h(
    "div",
    { class: "rate-row" },
    field(`Currency ${index + 1}`, { name: `rates[${index}].currency`, value: code, maxlength: 3, "data-key": "currency" }),
    field(`Rate ${index + 1}`, { name: `rates[${index}].rate`, value: rate, inputmode: "decimal", "data-key": "rate" }),
    h("button", { type: "button", "data-index": index }, `Remove ${code || `currency ${index + 1}`}`),
  )));
}
