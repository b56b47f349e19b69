// The integration: a client-credentials token with plain fetch, then the balances API through
// openapi-fetch, typed by what openapi-typescript generated from spec/openapi.yaml (src/schema.d.ts).
import createClient, { type Client } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type Balances = components["schemas"]["Balances"];
export type HistoryEntry = components["schemas"]["HistoryEntry"];
export type ApiError = components["schemas"]["ErrorEnvelope"];
export type BalancesClient = Client<paths>;

/** An answer that was not the one asked for: the status, and the API's error code when it sent one. */
export class BalancesApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "BalancesApiError";
  }
}

/** A bearer token for the client-credentials grant (RFC 6749 §4.4), the client authenticated with HTTP Basic. */
export async function fetchToken(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString("base64");
  const answer = await fetch(new URL("/o/token/", baseUrl), {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  });
  const body: unknown = await answer.json();
  if (!answer.ok || !isTokenResponse(body)) {
    throw new BalancesApiError(answer.status, undefined, `no token from ${baseUrl}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

function isTokenResponse(body: unknown): body is components["schemas"]["TokenResponse"] {
  return typeof body === "object" && body !== null && "access_token" in body && typeof body.access_token === "string";
}

/** The typed client of the balances API, sending the token with every request. */
export function balancesClient(baseUrl: string, token: string): BalancesClient {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

/** What the account holds, per currency (amounts are decimal strings: never parse them into floats). */
export async function accountBalances(client: BalancesClient): Promise<Balances["account"]> {
  const { data, error, response } = await client.GET("/user/balances/");
  if (data === undefined) {
    throw failure(response, error);
  }
  return data.account;
}

/** The history, newest first, one page of at most `pageSize` entries at a time, until `total` is reached. */
export async function* historyPages(
  client: BalancesClient,
  pageSize: number,
  currency?: string,
): AsyncGenerator<HistoryEntry[]> {
  let offset = 0;
  for (;;) {
    const query = currency === undefined ? { limit: pageSize, offset } : { limit: pageSize, offset, currency };
    const { data, error, response } = await client.GET("/user/balances/history/", { params: { query } });
    if (data === undefined) {
      throw failure(response, error);
    }
    if (data.history.length > 0) {
      yield data.history;
    }
    offset += data.history.length;
    if (offset >= data.total || data.history.length === 0) {
      return;
    }
  }
}

/** Every entry of the history, walked page by page. */
export async function wholeHistory(client: BalancesClient, pageSize: number): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  for await (const page of historyPages(client, pageSize)) {
    entries.push(...page);
  }
  return entries;
}

function failure(response: Response, error: ApiError | undefined): BalancesApiError {
  return new BalancesApiError(
    response.status,
    error?.error.code,
    `${response.status} from ${response.url}: ${error?.error.message ?? response.statusText}`,
  );
}
