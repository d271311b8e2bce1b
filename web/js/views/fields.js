// Small helpers the admin and customer-order screens share: problems placed on the nearest input
// the server's field path names, typed lists and decimals, and the presigned POST with its progress.
import { h, showProblem } from "../ui.js";

// The server names fields by path ("levels[1].approvers[0]"); place each error on the input of
// that name or, failing that, of its nearest parent path ("levels[1].approvers"), else the form.
export function nearest(form, path) {
  let name = path || "";
  while (name) {
    if (form.querySelector(`[name="${CSS.escape(name)}"]`)) return name;
    const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("["));
    if (cut <= 0) break;
    name = name.slice(0, cut);
  }
  return path;
}

export function placeProblem(form, problem, options) {
  if (Array.isArray(problem.errors)) {
    problem.errors = problem.errors.map((error) => ({ ...error, field: nearest(form, error.field) }));
  }
  return showProblem(form, problem, options);
}

// Comma, semicolon, space or newline separated emails, as a list.
export function emails(text) {
  return (text || "").split(/[\s,;]+/).map((email) => email.trim()).filter(Boolean);
}

// A decimal string as typed, or undefined when empty: never a number, never rounded.
export function decimal(text) {
  const trimmed = (text || "").trim();
  return trimmed === "" ? undefined : trimmed;
}

// POST the file to S3 with the presigned fields; onProgress(fraction) as bytes go up.
export function postToS3(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) form.append(key, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () =>
      request.status >= 200 && request.status < 300
        ? resolve(request.status)
        : reject(new Error(`the storage refused the file (${request.status}): ${request.responseText.slice(0, 200)}`)),
    );
    request.addEventListener("error", () => reject(new Error("the upload did not reach the storage")));
    request.send(form);
  });
}

export const canWrite = (user) => hasRole(user, "buyer") || hasRole(user, "admin");

export function hasRole(user, role) {
  return Boolean(user && (user.roles || []).includes(role));
}

// A definition list of [term, value, attributes of the value] pairs (falsy ones are left out),
// each pair in its own box so that the grid keeps them together at any width.
export function facts(attrs, ...pairs) {
  return h("dl", { class: "summary", ...attrs }, pairs.filter(Boolean).map(([term, value, valueAttrs]) =>
    h("div", {}, h("dt", {}, term), h("dd", valueAttrs || {}, value))));
}
