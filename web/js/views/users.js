// Admins: the users of their org (the org is the admin's, from the token): invite, roles, disable.
import { clearProblems, date, field, h, table, toast } from "../ui.js";
import { placeProblem } from "./fields.js";

export const title = "Users";

const ROLES = [
  ["buyer", "Buyer: creates and edits POs, submits, orders, receives"],
  ["approver", "Approver: approves from emailed links"],
  ["admin", "Admin: policy, settings and users, and everything a buyer does"],
];

export async function render(root, params, ctx) {
  const list = h("div", { id: "users-list" });
  const load = async () => list.replaceChildren(usersTable(ctx, (await ctx.api("GET", "/users")).body.items, load));
  root.replaceChildren(h("h1", {}, "Users"), inviteForm(ctx, load), h("h2", {}, "Users of your org"), list);
  await load();
}

function roleBoxes(prefix, chosen, short = false) {
  return ROLES.map(([role, long]) => {
    const text = short ? role : long;
    const id = `${prefix}-${role}`;
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: "roles", value: role, ...(chosen.includes(role) ? { checked: true } : {}) }),
      h("label", { for: id }, text));
  });
}

const checked = (container) => [...container.querySelectorAll('input[name="roles"]:checked')].map((box) => box.value);

function inviteForm(ctx, reload) {
  const form = h(
    "form",
    { id: "invite-form", novalidate: true, "aria-labelledby": "invite-heading" },
    h("h2", { id: "invite-heading" }, "Invite a user"),
    field("Email", { name: "email", type: "email", autocomplete: "off", required: true },
      { hint: "Cognito emails them an invitation with a temporary password." }),
    h("fieldset", { class: "roles" }, h("legend", {}, "Roles"), ...roleBoxes("invite-role", ["buyer"])),
    h("button", { type: "submit", id: "invite-button" }, "Invite"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { email: form.elements.email.value.trim(), roles: checked(form) };
    try {
      const invited = await ctx.api("POST", "/users", { body });
      clearProblems(form);
      form.elements.email.value = "";
      toast(`Invited ${invited.body.email}`);
      await reload();
    } catch (problem) {
      if (!problem.status) throw problem;
      placeProblem(form, problem);
    }
  });
  return form;
}

function usersTable(ctx, users, reload) {
  const rolesForm = (user, index) => {
    const form = h("form", { class: "user-roles", novalidate: true, "data-email": user.email },
      h("fieldset", { class: "roles", "aria-label": `Roles of ${user.email}` }, ...roleBoxes(`user-${index}-role`, user.roles, true)),
      h("button", { type: "submit", "aria-label": `Save the roles of ${user.email}` }, "Save roles"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await ctx.api("PATCH", `/users/${encodeURIComponent(user.id)}`, { body: { roles: checked(form) } });
        toast(`Roles of ${user.email} saved`);
        await reload();
      } catch (problem) {
        if (!problem.status) throw problem;
        placeProblem(form, problem);
      }
    });
    return form;
  };
  const disable = (user) => {
    if (!user.enabled) return "";
    const button = h("button", { type: "button", class: "danger", "aria-label": `Disable ${user.email}` }, "Disable");
    button.addEventListener("click", async () => {
      if (button.dataset.confirm !== "yes") {
        button.dataset.confirm = "yes";
        button.textContent = `Confirm: disable ${user.email}`;
        return;
      }
      try {
        await ctx.api("DELETE", `/users/${encodeURIComponent(user.id)}`);
        toast(`${user.email} can no longer sign in`);
        await reload();
      } catch (problem) {
        if (!problem.status) throw problem;
        toast(`${problem.title}: ${problem.detail}`, "error");
      }
    });
    return button;
  };
  return h("div", { id: "users-table" }, table([
    { label: "Email", cell: (user) => user.email },
    { label: "Roles", cell: (user) => rolesForm(user, users.indexOf(user)) },
    { label: "Status", cell: (user) => (user.enabled ? "enabled" : "disabled") },
    { label: "Invited", cell: (user) => `${date(user.createdAt)}${user.createdBy ? ` by ${user.createdBy}` : ""}` },
    { label: "", cell: disable },
  ], users, { empty: "No users yet." }));
}
