-- wrk script: every request records a new decision (new id) with 4 purposes, by a new visitor,
-- or, with BENCH_VISITORS=N, by one of N returning visitors (their later decisions go on the
-- same subject's chain; BENCH_VISITOR_PREFIX names them, default "pool-"; their bodies carry
-- "returning": true, as the banner's do when it holds an earlier choice). Counts answers other
-- than 201 per thread and reports them at the end.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(os.clock() * 1000000))
end

local function uuid4()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (template:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

local path = "/api/v1/sites/" .. (os.getenv("BENCH_SITE") or "bench") .. "/decisions"
local headers = { ["Content-Type"] = "application/json" }
local template = '{"id":"%s","visitor_id":"v-%s","decisions":{"analytics":"granted","advertising":"denied",'
  .. '"marketing_email":"granted","personalisation":"denied"},"method":"custom","banner_version":1,'
  .. '"policy_version":1,"language":"en"}'

local pool = tonumber(os.getenv("BENCH_VISITORS") or "")
local prefix = os.getenv("BENCH_VISITOR_PREFIX") or "pool-"
-- A returning visitor's banner holds the earlier choice and says so, as the runtime does.
local returning_template = template:gsub('}$', ',"returning":true}')

function request()
  if pool then
    local visitor = string.format("%s%d", prefix, math.random(1, pool))
    return wrk.format("POST", path, headers, string.format(returning_template, uuid4(), visitor))
  end
  return wrk.format("POST", path, headers, string.format(template, uuid4(), uuid4()))
end

function response(status, headers, body)
  if status ~= 201 then
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
