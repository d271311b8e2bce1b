// Templates of orders that come back: each one's lines, and a new draft PO from it in one click.
import { Problem } from "../api.js";
import { busy, date, h, money, showProblem, table } from "../ui.js";

export const title = "Templates";

export async function render(root, _params, ctx) {
  const items = (await ctx.api("GET", "/templates")).body.items;
  const buyer = ctx.user.roles.some((role) => ["buyer", "admin"].includes(role));
  const detail = h("div", { id: "template-detail" });
  const problems = h("form", { class: "problem-box" });
  root.append(h("h1", {}, "Templates"),
    h("p", { class: "hint" }, "Save a PO as a template from its page (Save as template)."),
    problems,
    table([
      { label: "Name", cell: (item) => h("button", { type: "button", class: "link", onclick: () => show(item.id) }, item.name) },
      { label: "Supplier", cell: (item) => item.supplier?.name || "" },
      { label: "Lines", cell: (item) => String(item.lineCount), className: "num" },
      { label: "Created", cell: (item) => `${date(item.createdAt)} by ${item.createdBy}` },
      { label: "", cell: (item) => (buyer ? newPoButton(item) : null) },
    ], items, { empty: "No templates yet." }),
    detail);

  function newPoButton(item) {
    const button = h("button", { type: "button", class: "primary", dataset: { template: item.id } }, "New PO from it");
    button.addEventListener("click", () => busy(button, ctx.api("POST", `/templates/${item.id}/pos`, { body: {} })
      .then((created) => ctx.navigate(`#/pos/${created.body.id}`))
      .catch((error) => {
        if (!(error instanceof Problem)) throw error;
        showProblem(problems, error);
      })));
    return button;
  }

  async function show(id) {
    const template = (await ctx.api("GET", `/templates/${id}`)).body;
    detail.replaceChildren(h("h2", {}, template.name), table([
      { label: "Description", cell: (line) => line.description },
      { label: "Quantity", cell: (line) => line.quantity, className: "num" },
      { label: "Unit cost", cell: (line) => money(line.unitCost, template.currency), className: "num" },
    ], template.lines));
  }
}
