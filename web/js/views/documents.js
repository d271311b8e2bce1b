// A PO's documents: the list with download links, and uploads straight to the bucket through the
// presigned POST the API gives (XMLHttpRequest, for its upload progress), then checked by the
// ingest function: the list shows PENDING until it has accepted or rejected the file.
import { Problem } from "../api.js";
import { date, field, h, showProblem, table } from "../ui.js";

// The file to the bucket with the presigned POST's fields; `progress` (a <progress>) follows it.
export function send(upload, file, progress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) form.append(key, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => (request.status < 300 ? resolve() : reject(new Problem(request.status, {
      title: "Upload refused", detail: `the storage answered ${request.status}`, errors: [{ field: "file", message: "the storage refused this file" }],
    }))));
    request.addEventListener("error", () => reject(new Problem(0, { title: "Upload failed", detail: "the storage could not be reached" })));
    request.send(form);
  });
}

export async function documents(section, po, ctx) {
  const list = h("div", { id: "document-list" });
  const progress = h("progress", { max: "100", value: "0", id: "upload-progress", hidden: true, "aria-label": "Upload progress" });
  const form = h("form", { id: "upload-form" },
    field("Attach a document (PDF, image, office file)", { name: "file", type: "file", id: "document-file" }),
    progress,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Upload")));
  section.replaceChildren(h("h2", { id: "documents-title" }, "Documents"), list, po.status === "CANCELED" ? null : form);

  async function load() {
    const current = (await ctx.api("GET", `/pos/${po.id}`)).body;
    list.replaceChildren(table([
      { label: "File", cell: (doc) => doc.status === "ACCEPTED"
        ? h("a", { href: "#", dataset: { document: doc.id }, onclick: (event) => download(event, doc) }, doc.fileName) : doc.fileName },
      { label: "Status", cell: (doc) => [doc.status, doc.reason ? h("div", { class: "hint" }, doc.reason) : null] },
      { label: "Size", cell: (doc) => `${doc.size} bytes`, className: "num" },
      { label: "Uploaded", cell: (doc) => `${date(doc.createdAt)} by ${doc.uploadedBy}` },
    ], current.documents || [], { empty: "No documents." }));
    return current.documents || [];
  }

  async function download(event, doc) {
    event.preventDefault();
    const link = (await ctx.api("GET", `/pos/${po.id}/documents/${doc.id}`)).body;
    window.open(link.url, "_blank", "noopener");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) {
      showProblem(form, new Problem(422, { title: "No file", detail: "choose a file first", errors: [{ field: "file", message: "choose a file" }] }));
      return;
    }
    try {
      const upload = (await ctx.api("POST", `/pos/${po.id}/documents`, {
        body: { fileName: file.name, contentType: file.type || "application/octet-stream", size: file.size },
      })).body;
      progress.hidden = false;
      progress.value = 0;
      await send(upload, file, progress);
      progress.value = 100;
      form.reset();
      let tries = 0; // the ingest checks the file: show its verdict when it comes
      const poll = setInterval(async () => {
        const docs = await load();
        const found = docs.find((doc) => doc.id === upload.documentId);
        if ((found && found.status !== "PENDING") || ++tries > 40) clearInterval(poll);
      }, 750);
      ctx.onLeave(() => clearInterval(poll));
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      showProblem(form, error);
    }
  });
  await load();
}
