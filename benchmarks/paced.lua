-- Each connection waits PACE_MS after an answer before its next request: an open-ish load
-- below the server's saturation, so a median latency measures each exchange, not a queue.
local pace = tonumber(os.getenv("PACE_MS") or "20")

function delay()
  return pace
end
