// The console's shell: configuration, sign-in, the header, the nav and a hash router.
//   register("#/pos/:id", module)  module: export async function render(root, params, ctx); export title
//   addNav("Purchase orders", "#/pos", {roles: ["buyer", "admin"]})
// ctx = {api, user, navigate, config, onLeave(fn)}: onLeave runs when the user leaves the view.

import { api, configure, Problem } from "./api.js";
import * as auth from "./auth.js";
import { h, toast } from "./ui.js";

const routes = [];
const navs = [];
let config = null;
let leaving = [];
let rendering = 0;

export function register(pattern, module) {
  const keys = [];
  const source = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, key) => {
    keys.push(key);
    return "([^/]+)";
  });
  routes.push({ pattern, keys, regex: new RegExp(`^${source}$`), module });
}

export function addNav(label, hash, { roles } = {}) {
  navs.push({ label, hash, roles });
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function match(hash) {
  const [path, query] = hash.split("?");
  for (const entry of routes) {
    const found = entry.regex.exec(path);
    if (found) {
      const params = Object.fromEntries(new URLSearchParams(query || ""));
      entry.keys.forEach((key, index) => { params[key] = decodeURIComponent(found[index + 1]); });
      return { entry, params };
    }
  }
  return null;
}

function allowed(roles, user) {
  return !roles || roles.some((role) => user.roles.includes(role));
}

function header(user) {
  const nav = document.getElementById("nav");
  const current = (location.hash || "#/pos").split("?")[0];
  nav.replaceChildren(h("ul", {}, navs.filter((item) => allowed(item.roles, user)).map((item) =>
    h("li", {}, h("a", { href: item.hash, "aria-current": current.startsWith(item.hash) ? "page" : null }, item.label)))));
  document.getElementById("who").replaceChildren(
    h("span", { id: "who-email" }, user.email),
    h("span", { id: "who-org" }, "org ", h("strong", {}, user.org)),
    h("span", { id: "who-roles" }, user.roles.join(", ")),
    h("button", { type: "button", id: "sign-out", onclick: () => auth.signOut(config) }, "Sign out"),
  );
}

async function route() {
  const run = ++rendering;
  leaving.forEach((leave) => leave());
  leaving = [];
  const view = document.getElementById("view");
  const user = auth.user();
  if (!user) {
    document.getElementById("nav").replaceChildren();
    document.getElementById("who").replaceChildren();
    const signin = await import("./views/signin.js");
    document.title = "Sign in - Purchase orders";
    view.replaceChildren();
    await signin.render(view, {}, { config, signIn: () => auth.signIn(config, location.hash || "#/pos") });
    return;
  }
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    location.replace("#/pos");
    return;
  }
  header(user);
  const found = match(location.hash);
  view.replaceChildren();
  if (!found) {
    document.title = "Not found - Purchase orders";
    view.append(h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, location.hash), ". ", h("a", { href: "#/pos" }, "Purchase orders")));
    return;
  }
  const { entry, params } = found;
  const title = typeof entry.module.title === "function" ? entry.module.title(params) : entry.module.title;
  document.title = `${title || "Console"} - Purchase orders`;
  const ctx = { api, user, config, navigate, onLeave: (fn) => leaving.push(fn), current: () => run === rendering };
  try {
    await entry.module.render(view, params, ctx);
  } catch (error) {
    if (run !== rendering) return;
    view.append(h("div", { class: "form-alert error", role: "alert" },
      h("strong", {}, error instanceof Problem ? error.title : "Something went wrong"), " ", error.detail || error.message));
  }
  if (run === rendering && document.activeElement === document.body) view.focus({ preventScroll: true });
}

async function start() {
  document.querySelector("[data-skip]")?.addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("view").focus();
  });
  config = await (await fetch("config.json", { cache: "no-store" })).json();
  configure(config, auth.idToken, () => {
    toast("Your session has ended: sign in again.", "error");
    sessionStorage.clear();
    route();
  });
  await import("./routes.js");
  try {
    await auth.completeSignIn(config);
  } catch (error) {
    toast(error.message, "error");
  }
  window.addEventListener("hashchange", route);
  await route();
}

start();
