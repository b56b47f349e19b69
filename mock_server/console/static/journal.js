// The client's journal (GET /__sandbox/requests) as it grows: polled with `since`, so nothing
// is missed and nothing is read twice. A row's number opens the whole exchange and its curl.

import { CONSOLE_HEADER } from "./api.js";
import { curl } from "./curl.js";
import { byId, fillRows, h, say } from "./dom.js";

const JOURNAL = "/__sandbox/requests";
const SHOWN = 200;
const POLL_MS = 500;

function verdictText(verdict) {
  const parts = [verdict.valid ? "valid" : `invalid: ${verdict.violations.map((v) => v.code).join(", ")}`];
  if (verdict.retry && !verdict.retry.ok) {
    parts.push(`retried after ${verdict.retry.waited_s} s, asked to wait ${verdict.retry.retry_after_s} s`);
  }
  return parts.join("; ");
}

function pairs(caption, mapping) {
  const rows = Object.entries(mapping || {}).map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)));
  return h("table", { class: "pairs-table" }, h("caption", {}, caption), h("tbody", {}, rows));
}

export class JournalView {
  constructor(client) {
    this.client = client;
    this.entries = [];
    this.latest = 0;
    this.timer = null;
    this.status = byId("journal-status");
    byId("journal-live").addEventListener("change", () => this.schedule());
    byId("journal-hide-console").addEventListener("change", () => this.render());
    byId("journal-clear").addEventListener("click", () => this.confirmClear(true));
    byId("journal-clear-no").addEventListener("click", () => this.confirmClear(false));
    byId("journal-clear-yes").addEventListener("click", () => this.clear());
    byId("exchange-close").addEventListener("click", () => byId("exchange").close());
    document.addEventListener("visibilitychange", () => this.schedule());
  }

  /** The newest SHOWN requests, then only what comes after them. */
  async start() {
    try {
      const { body: head } = await this.client.get(JOURNAL, { limit: 1 });
      const { body } = await this.client.get(JOURNAL, { offset: Math.max(0, head.total - SHOWN), limit: SHOWN });
      this.entries = body.requests.reverse();
      this.latest = Math.max(head.latest, body.latest);
      this.render();
      say(this.status, "");
    } catch (error) {
      say(this.status, `${error.status} ${error.code}: ${error.message}`, "error");
      return;
    }
    this.schedule();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  schedule() {
    this.stop();
    if (this.client.signedIn && byId("journal-live").checked && document.visibilityState === "visible") {
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    }
  }

  /** What arrived since the last read; the same call the page makes after any action. */
  async poll() {
    if (!this.client.signedIn) return;
    try {
      const { body } = await this.client.get(JOURNAL, { since: this.latest, limit: 1000 });
      if (body.requests.length) {
        this.entries = [...body.requests.reverse(), ...this.entries].slice(0, SHOWN);
        this.render();
      }
      this.latest = Math.max(this.latest, body.latest);
      say(this.status, "");
    } catch (error) {
      say(this.status, `${error.status} ${error.code}: ${error.message}`, "error");
    }
    this.schedule();
  }

  render() {
    const hide = byId("journal-hide-console").checked;
    const shown = this.entries.filter((entry) => !(hide && entry.headers[CONSOLE_HEADER.toLowerCase()]));
    fillRows(byId("journal-table").tBodies[0], shown.map((entry) => h("tr", {
      "data-seq": entry.seq, class: entry.verdict.valid ? "" : "invalid",
    },
    h("td", {}, h("button", { type: "button", class: "link", "aria-label": `Open request ${entry.seq}`,
      onclick: () => this.open(entry) }, `#${entry.seq}`)),
    h("td", {}, entry.time),
    h("td", { class: "request" }, `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`),
    h("td", { class: `status s${String(entry.status)[0]}` }, entry.status),
    h("td", {}, entry.duration_ms),
    h("td", { class: "verdict" }, verdictText(entry.verdict)))), "No requests yet: send one with this client.");
  }

  open(entry) {
    const verdict = entry.verdict;
    const violations = verdict.violations.map((violation) => h("li", {},
      h("strong", {}, violation.code), `: ${violation.message}`,
      Object.keys(violation.details || {}).length ? h("pre", {}, JSON.stringify(violation.details, null, 2)) : null));
    const command = curl(entry, this.client.origin);
    byId("exchange-title").textContent = `Request #${entry.seq}: ${entry.method} ${entry.path} → ${entry.status}`;
    byId("exchange-body").replaceChildren(...[
      h("p", {}, `${entry.time}, ${entry.duration_ms} ms, as ${entry.client_id}`),
      h("h3", {}, "Request"),
      h("pre", { class: "request-line" }, `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`),
      pairs("Request headers", entry.headers),
      h("h4", {}, "Body"),
      h("pre", { class: "request-body" }, entry.body ?? "(none)"),
      h("h3", {}, `Answer: ${entry.status}`),
      pairs("Answer headers", entry.response_headers),
      h("h3", {}, "Verdict"),
      h("p", { class: "verdict" }, verdictText(verdict)),
      verdict.retry ? h("p", { class: "retry" }, `Retry check: after #${verdict.retry.after} (${verdict.retry.status}), ` +
        `asked to wait ${verdict.retry.retry_after_s} s, waited ${verdict.retry.waited_s} s: ` +
        (verdict.retry.ok ? "waited long enough." : "too soon.")) : null,
      violations.length ? h("ul", { class: "violations" }, violations) : null,
      h("h3", {}, "Reproduce"),
      h("pre", { class: "curl" }, command),
      h("button", { type: "button", class: "secondary", onclick: (event) => this.copy(command, event.target) }, "Copy"),
    ].filter(Boolean));
    byId("exchange").showModal();
  }

  async copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the command and copy it";
    }
  }

  confirmClear(asking) {
    byId("journal-clear").hidden = asking;
    byId("journal-clear-confirm").hidden = !asking;
    byId(asking ? "journal-clear-no" : "journal-clear").focus();
  }

  async clear() {
    this.confirmClear(false);
    try {
      const { body } = await this.client.delete(JOURNAL);
      this.entries = [];
      this.render();
      say(this.status, `Forgot ${body.cleared} requests.`, "ok");
    } catch (error) {
      say(this.status, `${error.status} ${error.code}: ${error.message}`, "error");
    }
  }
}
