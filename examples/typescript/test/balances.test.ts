// The example's code against the mock: a deposit made to arrive through the sandbox shows in the
// balances it reads, and its history paging walks every entry once, newest first.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { accountBalances, balancesClient, BalancesApiError, fetchToken, historyPages, wholeHistory } from "../src/balances.js";
import { type RunningMock, startMock } from "./mock.js";

let mock: RunningMock;

before(async () => {
  mock = await startMock();
  console.log(`the mock: ${mock.how}, at ${mock.url}`);
});

after(async () => {
  await mock.stop();
});

/** A client of its own (a fresh account) from the sandbox, so the tests never see each other's bookings. */
async function sandboxClient(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const demo = await fetchToken(mock.url, "demo", "demo-secret");
  const answer = await fetch(`${mock.url}/__sandbox/clients`, {
    method: "POST",
    headers: { Authorization: `Bearer ${demo}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(answer.status, 201, await answer.clone().text());
  const created: unknown = await answer.json();
  assert.ok(typeof created === "object" && created !== null && "client_id" in created && "client_secret" in created);
  return { id: String(created.client_id), secret: String(created.client_secret) };
}

/** Money arrives: what the real API's account would show after a payment, made to happen by the sandbox. */
async function deposit(token: string, currency: string, amount: string): Promise<void> {
  const answer = await fetch(`${mock.url}/__sandbox/transactions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "deposit", currency, amount }),
  });
  assert.equal(answer.status, 201, await answer.clone().text());
}

describe("the integration against the mock", () => {
  it("shows a deposit in the balances as soon as it arrives", async () => {
    const client = await sandboxClient({ scenario: "empty" });
    const token = await fetchToken(mock.url, client.id, client.secret);
    const api = balancesClient(mock.url, token);
    assert.deepEqual(await accountBalances(api), {});
    await deposit(token, "USDTERC20", "250.5");
    assert.deepEqual(await accountBalances(api), { USDTERC20: "250.500000" });
    await deposit(token, "USDTERC20", "0.000001");
    assert.deepEqual(await accountBalances(api), { USDTERC20: "250.500001" });
  });

  it("pages the history: every entry once, newest first, in pages of the size asked for", async () => {
    const client = await sandboxClient({ entries: 23 });
    const token = await fetchToken(mock.url, client.id, client.secret);
    const api = balancesClient(mock.url, token);
    await deposit(token, "BTC", "1.25");
    const sizes: number[] = [];
    for await (const page of historyPages(api, 7)) {
      sizes.push(page.length);
    }
    assert.deepEqual(sizes, [7, 7, 7, 3]);
    const walked = await wholeHistory(api, 7);
    const { data } = await api.GET("/user/balances/history/", { params: { query: { limit: 100 } } });
    assert.ok(data !== undefined);
    assert.equal(data.total, 24);
    assert.deepEqual(walked, data.history);
    assert.equal(walked[0]?.amount, "1.250000");
    const times = walked.map((entry) => Date.parse(entry.timestamp));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });

  it("reports the API's error code when a request is refused", async () => {
    const api = balancesClient(mock.url, "not-a-token");
    await assert.rejects(accountBalances(api), (error: unknown) => {
      assert.ok(error instanceof BalancesApiError);
      assert.equal(error.status, 401);
      assert.equal(error.code, "authentication_failed");
      return true;
    });
  });
});
