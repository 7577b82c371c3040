-- wrk script for the peer: every request is django-cookie-consent's own accept view, accepting
-- the 4 cookie groups (one LogItem row each), as its fetch-based JavaScript posts it, with the
-- CSRF cookie and header Django requires. Counts answers other than 200 and prints the same
-- BENCH line as bench/decisions.lua.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
end

-- A fixed CSRF secret (32 characters): Django accepts it in the cookie and, unmasked, in the header.
local csrf = "benchbenchbenchbenchbenchbench12"
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["X-Cookie-Consent-Fetch"] = "1",
  ["X-CSRFToken"] = csrf,
  ["Cookie"] = "csrftoken=" .. csrf,
}
local body = "cookie_groups=analytics&cookie_groups=advertising"
  .. "&cookie_groups=marketing_email&cookie_groups=personalisation"

function request()
  return wrk.format("POST", "/cookies/accept/", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  io.write(string.format("BENCH requests=%d non201=%d errors=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f timeouts=%d\n",
    summary.requests, bad, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, summary.errors.timeout))
end
