// The account as the API shows it: balances, sub-accounts, statistics, the history with the
// API's own paging and filters, and a chart of one currency's balance_after.

import { drawBalance } from "./chart.js";
import { byId, fillRows, h, say } from "./dom.js";

const BALANCES = "/user/balances/";
const HISTORY = "/user/balances/history/";
const CHART_ENTRIES = 100;

export class AccountView {
  constructor(client) {
    this.client = client;
    this.offset = 0;
    this.total = 0;
    this.query = { limit: 25 };
    this.status = byId("account-status");

    byId("refresh").addEventListener("click", () => this.refresh());
    byId("history-filters").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      this.query = {
        currency: form.currency.value.trim(),
        type: form.type.value.trim(),
        limit: Number(form.limit.value),
      };
      this.offset = 0;
      this.loadHistory();
    });
    byId("history-first").addEventListener("click", () => this.page(0));
    byId("history-previous").addEventListener("click", () => this.page(this.offset - this.query.limit));
    byId("history-next").addEventListener("click", () => this.page(this.offset + this.query.limit));
    byId("chart-currency").addEventListener("change", () => this.loadChart());
  }

  /** Everything again, as the server has it now. */
  async refresh() {
    await Promise.all([this.loadBalances().then(() => this.loadChart()), this.loadHistory(), this.loadSandboxAccount()]);
  }

  async loadBalances() {
    try {
      const { body } = await this.client.get(BALANCES);
      const currencies = [...new Set([...Object.keys(body.account), ...Object.keys(body.sub_accounts)])];
      fillRows(byId("balances").tBodies[0], currencies.map((code) => h("tr", { "data-currency": code },
        h("th", { scope: "row" }, code),
        h("td", { "data-column": "account" }, body.account[code] ?? "—"),
        h("td", { "data-column": "sub_accounts" }, body.sub_accounts[code] ?? "—"))), "No currencies.");
      for (const dd of byId("statistics").querySelectorAll("dd")) {
        dd.textContent = String(body.statistics[dd.dataset.key]);
      }
      this.offerCurrencies(currencies);
      say(this.status, "");
    } catch (error) {
      say(this.status, `Balances: ${error.status} ${error.code}: ${error.message}`, "error");
    }
  }

  offerCurrencies(currencies) {
    byId("currencies").replaceChildren(...currencies.map((code) => h("option", { value: code })));
    const select = byId("chart-currency");
    const chosen = select.value;
    select.replaceChildren(...currencies.map((code) => h("option", { value: code }, code)));
    if (currencies.includes(chosen)) select.value = chosen;
  }

  async loadSandboxAccount() {
    try {
      const { body } = await this.client.get("/__sandbox/account");
      const data = body.ledger_file ? `ledger ${body.ledger_file}` : `scenario ${body.scenario}, seed ${body.seed}`;
      const shown = { data, entries: `${body.base_entries} + ${body.booked_entries} booked`, clock: body.clock };
      for (const dd of byId("sandbox-account").querySelectorAll("dd")) dd.textContent = shown[dd.dataset.key];
      byId("clock-now").textContent = body.clock;
    } catch (error) {
      say(this.status, `Sandbox account: ${error.status} ${error.code}: ${error.message}`, "error");
    }
  }

  page(offset) {
    this.offset = Math.max(0, offset);
    this.loadHistory();
  }

  async loadHistory() {
    const status = byId("history-status");
    try {
      const { body } = await this.client.get(HISTORY, { ...this.query, offset: this.offset });
      this.total = body.total;
      fillRows(byId("history").tBodies[0], body.history.map((entry) => h("tr", {},
        h("td", {}, entry.timestamp),
        h("td", {}, entry.currency),
        h("td", {}, entry.type),
        h("td", {}, entry.amount),
        h("td", {}, entry.balance_after))), "No entries match.");
      const first = body.history.length ? body.offset + 1 : 0;
      byId("history-range").textContent =
        `History: entries ${first}–${body.offset + body.history.length} of ${body.total}, newest first`;
      const pages = Math.max(1, Math.ceil(body.total / body.limit));
      byId("history-page").textContent = `Page ${Math.floor(body.offset / body.limit) + 1} of ${pages}`;
      byId("history-first").disabled = byId("history-previous").disabled = body.offset === 0;
      byId("history-next").disabled = body.offset + body.limit >= body.total;
      say(status, "");
    } catch (error) {
      say(status, `${error.status} ${error.code}: ${error.message}`, "error");
    }
  }

  async loadChart() {
    const currency = byId("chart-currency").value;
    const summary = byId("chart-summary");
    if (!currency) {
      summary.textContent = "No currency to chart.";
      return;
    }
    try {
      const { body } = await this.client.get(HISTORY, { currency, limit: CHART_ENTRIES });
      summary.textContent = drawBalance(byId("chart-plot"), currency, body.history);
    } catch (error) {
      summary.textContent = `${error.status} ${error.code}: ${error.message}`;
    }
  }
}
