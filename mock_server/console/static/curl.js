// A curl command that sends a journal entry's request again. Secrets were never recorded, so
// they come back as shell variables the user sets: $TOKEN, $CLIENT_ID and $CLIENT_SECRET.

const NOT_REPEATED = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive",
  "accept-encoding", "x-balances-console"]);
/** Headers curl sets itself, or a browser adds that say nothing about the request (sec-fetch-*, sec-ch-*). */
function repeated(name) {
  return !NOT_REPEATED.has(name) && !name.startsWith("sec-");
}

/** `value` in single quotes, safe for a POSIX shell whatever it holds. */
export function quote(value) {
  return `'${String(value).replaceAll("'", "'\\''")}'`;
}

export function curl(entry, origin) {
  const url = origin + entry.path + (entry.query ? `?${entry.query}` : "");
  const words = ["curl", "-X", entry.method, quote(url)];
  for (const [name, value] of Object.entries(entry.headers || {})) {
    if (!repeated(name)) continue;
    if (name === "authorization" && /^bearer\b/i.test(value)) words.push("-H", '"Authorization: Bearer $TOKEN"');
    else if (name === "authorization" && /^basic\b/i.test(value)) words.push("-u", '"$CLIENT_ID:$CLIENT_SECRET"');
    else words.push("-H", quote(`${name}: ${value}`));
  }
  if (entry.body !== null && entry.body !== undefined) words.push("--data-raw", quote(entry.body));
  return words.join(" ");
}
