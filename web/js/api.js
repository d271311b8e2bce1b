// The API client: every call goes to config.json's apiUrl (another origin: CORS) with the signed-in
// user's ID token and the console's API key (config.json's apiKey: API Gateway throttles each client
// key on its own). 2xx resolves {status, body, etag, headers}; anything else throws a Problem.

let settings = { apiUrl: "" };
let currentToken = () => null;
let unauthorized = () => {};

export function configure(config, token, onUnauthorized) {
  settings = config;
  currentToken = token;
  unauthorized = onUnauthorized || (() => {});
}

// An RFC 9457 problem response (or a network failure, status 0), as the API gave it.
export class Problem extends Error {
  constructor(status, body, etag = null) {
    const data = body && typeof body === "object" ? body : { detail: body ? String(body) : "" };
    super(data.detail || data.title || `HTTP ${status}`);
    this.status = status;
    this.type = data.type || "about:blank";
    this.title = data.title || (status ? `HTTP ${status}` : "Network error");
    this.detail = data.detail || "";
    this.errors = data.errors || data["invalid-params"] || [];
    this.body = data;
    this.etag = etag;
  }
}

export function url(path, query) {
  const target = new URL(settings.apiUrl.replace(/\/$/, "") + path);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(key, value);
  }
  return target;
}

export async function api(method, path, { body, etag, query, headers } = {}) {
  const sent = { ...(headers || {}) };
  const token = currentToken();
  if (token) sent.Authorization = `Bearer ${token}`;
  if (settings.apiKey) sent["x-api-key"] = settings.apiKey;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (etag) sent["If-Match"] = etag;
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Problem(0, { title: "Network error", detail: `The API could not be reached (${error.message}).` });
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  const result = { status: response.status, body: parsed, etag: response.headers.get("ETag"), headers: response.headers };
  if (response.status === 401) unauthorized();
  if (!response.ok) throw new Problem(response.status, parsed, result.etag);
  return result;
}
