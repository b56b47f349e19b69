// The console's only way to the server: the same HTTP API any client uses.
// The token lives in this object, in page memory only: never in storage, never in the DOM.

export const CONSOLE_HEADER = "X-Balances-Console";

/** A refusal, as the API's envelope says it: {code, message, details}, plus the status. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Any error body as an ApiError: the envelope, RFC 6749's token error, or neither. */
function refusal(status, body) {
  if (body && typeof body === "object" && body.error && typeof body.error === "object") {
    return new ApiError(status, body.error.code, body.error.message, body.error.details);
  }
  if (body && typeof body === "object" && typeof body.error === "string") {
    return new ApiError(status, body.error, body.error_description || body.error, {});
  }
  return new ApiError(status, "unexpected_answer", `The server answered ${status} without the API's error envelope.`, {});
}

export class Client {
  #token = null;

  constructor(origin) {
    this.origin = origin;
    this.clientId = null;
    this.scope = "";
    this.expiresAt = 0;
    this.onSignedOut = () => {};
  }

  get signedIn() {
    return this.#token !== null;
  }

  /** POST /o/token/ with HTTP Basic, as the tour (docs/getting-started/tour.md) shows; the secret is not kept. */
  async signIn(clientId, secret, tokenPath) {
    const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`);
    const response = await fetch(this.origin + tokenPath, {
      method: "POST",
      headers: {
        Authorization: `Basic ${basic}`,
        "Content-Type": "application/x-www-form-urlencoded",
        [CONSOLE_HEADER]: "1",
      },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
      credentials: "omit",
    });
    const body = await readBody(response);
    if (!response.ok) throw refusal(response.status, body);
    this.#token = body.access_token;
    this.expiresAt = Date.now() + 1000 * (body.expires_in || 0);
    this.clientId = clientId;
    this.scope = body.scope || "";
  }

  signOut() {
    this.#token = null;
    this.clientId = null;
    this.scope = "";
  }

  /** One request with the token; resolves to {body, headers, status}, or rejects with an ApiError. */
  async request(method, path, { query, json, headers } = {}) {
    if (this.signedIn && Date.now() >= this.expiresAt) {
      this.signOut();
      this.onSignedOut(new ApiError(401, "token_expired", "The token has expired.", {}));
    }
    if (!this.signedIn) throw new ApiError(401, "signed_out", "Not signed in.", {});
    const url = new URL(path, this.origin);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const sent = { Authorization: `Bearer ${this.#token}`, [CONSOLE_HEADER]: "1", ...(headers || {}) };
    if (json !== undefined) sent["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers: sent,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: "omit",
    });
    const body = await readBody(response);
    if (!response.ok) throw refusal(response.status, body);  // a 401 too: an armed fault answers one to a good token
    return { body, headers: response.headers, status: response.status };
  }

  get(path, query) {
    return this.request("GET", path, { query });
  }

  post(path, json, headers) {
    return this.request("POST", path, { json, headers });
  }

  delete(path) {
    return this.request("DELETE", path);
  }
}
