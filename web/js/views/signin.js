// Shown to anyone not signed in: one button to the user pool's sign-in page.
import { h } from "../ui.js";

export const title = "Sign in";

export async function render(root, _params, ctx) {
  const button = h("button", { type: "button", id: "sign-in", class: "primary", onclick: () => ctx.signIn() }, "Sign in");
  root.append(
    h("section", { class: "signin" },
      h("h1", {}, "Purchase orders"),
      h("p", {}, "Sign in with your organization's account to see and manage purchase orders."),
      button),
  );
  button.focus();
}
