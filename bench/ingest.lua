-- wrk script for POST /v1/notifications: one recipient per request, spread over many users.
-- wrk -t2 -c64 -d20s -s bench/ingest.lua http://127.0.0.1:18090/v1/notifications -- KEY [RECIPIENTS]
local counter = 0
local key, recipients

function init(args)
  key = args[1] or "change-me"
  recipients = tonumber(args[2] or "1")
  math.randomseed(os.time() + (id or 0))
end

function setup(thread)
  thread:set("id", math.random(1, 1000000))
end

function request()
  counter = counter + 1
  local body
  if recipients == 1 then
    body = string.format('{"recipient":"wrk-%d-%d","title":"Ticket assigned","body":"Ticket #%d was assigned to you","level":"info","category":"ticket.assigned"}', id or 0, counter % 100000, counter)
  else
    local list = {}
    for i = 1, recipients do list[i] = string.format('"wrk-%d"', (counter * recipients + i) % 100000) end
    body = string.format('{"recipients":[%s],"title":"Release 2.0 is out","level":"info","category":"release"}', table.concat(list, ","))
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }, body)
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  local codes = summary.errors
  io.write(string.format("non-2xx %d, socket errors connect %d read %d write %d timeout %d\n",
    codes.status, codes.connect, codes.read, codes.write, codes.timeout))
end
