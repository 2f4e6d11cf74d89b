-- wrk script for GET /api/series over many symbols (docs/benchmarks.md, "Dashboard at 10,000
-- symbols"): each request asks for one of SYM0..SYM<n-1> (the names stockpipe_e2e_bench writes)
-- at random, and the summary prints the latency percentiles wrk leaves out (p50, p95, p99).
--
--   wrk -c1 -t1 -d10s -s bench/wrk_series.lua http://127.0.0.1:8080 -- 10000
local symbols = 10000

function init(args)
  if args[1] then symbols = tonumber(args[1]) end
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", "/api/series?symbol=SYM" .. math.random(0, symbols - 1))
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d)\n", summary.requests,
                         summary.errors.connect + summary.errors.read + summary.errors.write +
                         summary.errors.timeout, summary.errors.status))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max %.2f ms\n", latency.max / 1000))
end
