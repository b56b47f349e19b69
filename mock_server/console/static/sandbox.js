// The sandbox's forms, each one call of the control API (spec/sandbox.yaml). The console does
// not check what is typed: the server does, and its refusal is shown next to the field it names.

import { byId, clearErrors, fillRows, h, say, showError } from "./dom.js";

/** A field's text as the JSON the API expects: whole numbers as numbers, the rest as typed. */
function typed(value) {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** The form's filled-in fields (empty ones left out, as "default"). */
function filled(form, numeric = []) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.value.trim() === "") continue;
    body[element.name] = numeric.includes(element.name) ? typed(element.value.trim()) : element.value.trim();
  }
  return body;
}

export class SandboxView {
  constructor(client, onChange) {
    this.client = client;
    this.onChange = onChange;
    this.handle("book-form", (form) => this.book(form));
    this.handle("advance-form", (form) => this.moveClock(form, ["advance"]));
    this.handle("set-form", (form) => this.moveClock(form, []));
    this.handle("fault-form", (form) => this.arm(form));
    byId("disarm").addEventListener("click", () => this.disarm());
    byId("reset").addEventListener("click", () => this.confirmReset(true));
    byId("reset-no").addEventListener("click", () => this.confirmReset(false));
    byId("reset-yes").addEventListener("click", () => this.reset());
  }

  /** Submit `id` through `action`; a refusal is shown on the form, success said by the action. */
  handle(id, action) {
    const form = byId(id);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        clearErrors(form);
        say(form.querySelector(".form-status"), await action(form), "ok");
      } catch (error) {
        if (!error.code) throw error;
        showError(form, error);
      } finally {
        button.disabled = false;
      }
    });
  }

  async book(form) {
    const { "Idempotency-Key": key, ...transaction } = filled(form);
    const { body, headers } = await this.client.post("/__sandbox/transactions", transaction,
      key ? { "Idempotency-Key": key } : {});
    await this.onChange();
    const replayed = headers.get("Idempotent-Replayed") === "true" ? " (replayed: nothing new was booked)" : "";
    return `Booked ${body.type} of ${body.amount} ${body.currency} at ${body.timestamp}; ` +
      `balance after: ${body.balance_after}${replayed}.`;
  }

  async moveClock(form, numeric) {
    const { body } = await this.client.post("/__sandbox/clock", filled(form, numeric));
    await this.onChange();
    return `The clock reads ${body.now}.`;
  }

  async arm(form) {
    const { body } = await this.client.post("/__sandbox/faults",
      filled(form, ["status", "times", "delay_ms", "retry_after"]));
    await this.loadFaults();
    return `Armed #${body.id}: the next ${body.times_left} ${body.method || "any"} request(s) to ${body.path} get ${body.status}.`;
  }

  async loadFaults() {
    const { body } = await this.client.get("/__sandbox/faults");
    fillRows(byId("faults").tBodies[0], body.faults.map((fault) => h("tr", {},
      h("td", {}, fault.id), h("td", {}, fault.path), h("td", {}, fault.method || "any"), h("td", {}, fault.status),
      h("td", {}, fault.times_left), h("td", {}, fault.delay_ms), h("td", {}, fault.retry_after ?? "documented"))),
    "None armed.");
  }

  async disarm() {
    const status = byId("disarm-status");
    try {
      const { body } = await this.client.delete("/__sandbox/faults");
      await this.loadFaults();
      say(status, `Disarmed ${body.disarmed}.`, "ok");
    } catch (error) {
      say(status, `${error.status} ${error.code}: ${error.message}`, "error");
    }
  }

  confirmReset(asking) {
    byId("reset").hidden = asking;
    byId("reset-confirm").hidden = !asking;
    byId(asking ? "reset-no" : "reset").focus();
  }

  async reset() {
    const status = byId("reset-status");
    this.confirmReset(false);
    try {
      const { body } = await this.client.post("/__sandbox/reset");
      await Promise.all([this.onChange(), this.loadFaults()]);
      say(status, `Reset: ${body.base_entries} entries, clock at ${body.clock}.`, "ok");
    } catch (error) {
      say(status, `${error.status} ${error.code}: ${error.message}`, "error");
    }
  }
}
