-- wrk script for the benchmark: every request carries one of the signed-in sessions
-- (rotating, so 20 connections are 20 sessions of the same person, as 20 browser tabs would
-- be after sign-in), any status other than 200 is counted, and the summary is written as JSON.
--   BENCH_PATH     the path to request
--   BENCH_COOKIES  a file with one Cookie header value per line (empty: anonymous)
--   BENCH_WRK_OUT  where to write the JSON summary

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("BENCH_PATH") or "/"
  cookies = {}
  local name = os.getenv("BENCH_COOKIES")
  if name and name ~= "" then
    for line in io.lines(name) do
      if line ~= "" then table.insert(cookies, line) end
    end
  end
  counter = id or 0
  not200 = 0
  statuses = ""
end

function request()
  counter = counter + 1
  local headers = {}
  if #cookies > 0 then
    headers["Cookie"] = cookies[(counter % #cookies) + 1]
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not200 = not200 + 1
    if #statuses < 60 then statuses = statuses .. status .. " " end
  end
end

function done(summary, latency, requests)
  local bad, seen = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("not200") or 0)
    seen = seen .. (thread:get("statuses") or "")
  end
  local out = io.open(os.getenv("BENCH_WRK_OUT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "not_200": %d, "statuses_seen": "%s", ' ..
    '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, bad, seen,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
  out:close()
end
