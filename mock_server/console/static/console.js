// The console's entry point: sign in, then show the account, the sandbox and the journal of
// the signed-in client. Each part lives in a module of its own; this one only wires them.

import { AccountView } from "./account.js";
import { Client } from "./api.js";
import { byId, clearErrors, say, showError } from "./dom.js";
import { JournalView } from "./journal.js";
import { SandboxView } from "./sandbox.js";

const client = new Client(window.location.origin);
const account = new AccountView(client);
const journal = new JournalView(client);
const sandbox = new SandboxView(client, async () => {
  await account.refresh();
  await journal.poll();
});

function show(signedIn) {
  byId("sign-in").hidden = signedIn;
  byId("workspace").hidden = !signedIn;
  byId("who").hidden = !signedIn;
  document.body.dataset.signedIn = String(signedIn);
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const status = form.querySelector(".form-status");
  clearErrors(form);
  say(status, "Signing in…");
  try {
    await client.signIn(form.client_id.value.trim(), form.client_secret.value, form.dataset.tokenPath);
  } catch (error) {
    showError(form, error);
    return;
  }
  form.client_secret.value = "";  // the secret is not kept: not in the page, not in storage
  say(status, "");
  byId("who-client").textContent = client.clientId;
  byId("who-scope").textContent = client.scope || "no scope";
  show(true);
  byId("account-title").focus();
  await Promise.all([account.refresh(), sandbox.loadFaults().catch(() => {}), journal.start()]);
  document.body.dataset.ready = "true";
}

function signOut(reason) {
  client.signOut();
  journal.stop();
  delete document.body.dataset.ready;
  show(false);
  say(byId("sign-in-form").querySelector(".form-status"), reason || "Signed out.", reason ? "error" : "");
  byId("client-secret").focus();
}

client.onSignedOut = (error) => signOut(`Signed out: ${error.message} Sign in again.`);  // the token expired
byId("sign-in-form").addEventListener("submit", signIn);
byId("sign-out").addEventListener("click", () => signOut());
show(false);
