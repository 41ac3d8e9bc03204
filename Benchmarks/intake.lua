-- wrk script: every request posts a new, unique order.
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local counter = 0
local token = os.getenv("AMOSYNC_BENCH_TOKEN") or "bench-intake-token-0123456789"
local prefix = os.getenv("AMOSYNC_BENCH_PREFIX") or "w"
-- SAME_CUSTOMER=1: every order from one customer (one phone, one email), as a B2B buyer or a bot sends them.
local same = os.getenv("SAME_CUSTOMER") == "1"
-- HOT_CUSTOMERS=N: every fifth order (20 %) from one of N customers, the rest unique.
local hot = tonumber(os.getenv("HOT_CUSTOMERS") or "0")
request = function()
  counter = counter + 1
  local phone, mailThread, mailNumber = counter % 10000000, tid, counter
  if same then
    phone, mailThread, mailNumber = 1234567, 0, 0
  elseif hot > 0 and counter % 5 == 0 then
    phone, mailThread, mailNumber = 7654321 + (counter / 5) % hot, 0, (counter / 5) % hot
  end
  local body = string.format(
    '{"id":"%s%d-%d","customer":{"name":"Load Test","phone":"+7912%07d","email":"load%d-%d@example.org"},' ..
    '"items":[{"id":"77","name":"Kettle","sku":"K-77","price":5100,"quantity":1,"categories":[40,12,3]}],' ..
    '"delivery":{"name":"Courier","cost":390},"total":5490}',
    prefix, tid, counter, phone, mailThread, mailNumber)
  return wrk.format("POST", "/v1/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests=%d\nnon2xx=%d\nsocket_errors=%d\nduration_s=%.3f\np50_ms=%.2f\np99_ms=%.2f\nmax_ms=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("connect_errors=%d\nread_errors=%d\nwrite_errors=%d\ntimeouts=%d\n", e.connect, e.read, e.write, e.timeout))
end
