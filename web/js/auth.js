// Sign-in: OAuth 2.0 authorization code with PKCE against the user pool's managed login (in AWS
// Cognito's domain, locally the local cloud's stand-in), endpoints from config.json. The tokens
// live in this tab's sessionStorage only.

const KEY = "po-console-session";
const PENDING = "po-console-pending";

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(
    Array.from(atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
  );
  return JSON.parse(json);
}

export function session() {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (!saved || claims(saved.idToken).exp * 1000 <= Date.now()) return null;
  return saved;
}

export function user() {
  const current = session();
  if (!current) return null;
  const c = claims(current.idToken);
  const groups = c["cognito:groups"] || [];
  return {
    email: c.email,
    org: c["custom:org_id"],
    roles: Array.isArray(groups) ? groups : String(groups).split(","),
    expires: new Date(c.exp * 1000),
  };
}

export function idToken() {
  const current = session();
  return current ? current.idToken : null;
}

export async function signIn(config, returnTo) {
  const verifier = random();
  const state = random();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo: returnTo || "#/pos" }));
  const target = new URL(config.authorizeUrl);
  target.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: "openid email profile",
    state,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
  }).toString();
  location.assign(target.toString());
}

// Back from the sign-in page with ?code=&state=: trade the code (and the PKCE verifier) for tokens.
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", location.pathname + (pending ? pending.returnTo : "#/pos"));
  if (params.has("error")) throw new Error(`Sign-in failed: ${params.get("error_description") || params.get("error")}`);
  if (!pending || pending.state !== params.get("state")) throw new Error("Sign-in failed: the answer does not match the request (state).");
  const response = await fetch(config.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code: params.get("code"),
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok) throw new Error(`Sign-in failed: ${tokens.error || response.status}`);
  sessionStorage.setItem(KEY, JSON.stringify({ idToken: tokens.id_token, accessToken: tokens.access_token }));
  return user();
}

export function signOut(config) {
  sessionStorage.removeItem(KEY);
  const target = new URL(config.logoutUrl);
  target.search = new URLSearchParams({ client_id: config.clientId, logout_uri: config.redirectUri }).toString();
  location.assign(target.toString());
}
