-- wrk script: POSTs Segment track messages with unique messageIds to /v1/batch or /v1/track.
-- Environment: TESSERA_AUTH (the Authorization header), TESSERA_PATH (/v1/batch or /v1/track),
-- TESSERA_BATCH (messages per /v1/batch body), TESSERA_RESULT (file for the JSON summary).

local template = '{"type":"track","userId":"user-%d","anonymousId":"anon-%d","event":"Product Viewed",'
    .. '"messageId":"%s-%d","timestamp":"2026-12-03T10:00:00.000Z","sentAt":"2026-12-03T10:00:01.000Z",'
    .. '"properties":{"product_id":"sku-%d","name":"Monopoly: 3rd Edition","price":19.99,"currency":"EUR",'
    .. '"category":"Games","url":"https://www.example.com/product/monopoly"},'
    .. '"context":{"ip":"203.0.113.7","library":{"name":"analytics.js","version":"2.11.1"},'
    .. '"page":{"path":"/product/monopoly","referrer":"https://www.example.org/","title":"Monopoly",'
    .. '"url":"https://www.example.com/product/monopoly"},"locale":"en-GB",'
    .. '"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"}}'

local threads = {}
local next_id = 1

-- Defaults for the main Lua state, where wrk calls request() once before any thread's init().
path = os.getenv("TESSERA_PATH") or "/v1/batch"
size = tonumber(os.getenv("TESSERA_BATCH") or "100")
prefix = "main"
counter = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    path = os.getenv("TESSERA_PATH") or "/v1/batch"
    size = tonumber(os.getenv("TESSERA_BATCH") or "100")
    prefix = "w" .. id .. "-" .. tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
    counter = 0
    wrk.headers["Authorization"] = os.getenv("TESSERA_AUTH")
    wrk.headers["Content-Type"] = "application/json"
    if path ~= "/v1/batch" then size = 1 end
end

local function message()
    counter = counter + 1
    return string.format(template, counter % 100000, counter % 100000, prefix, counter, counter % 500)
end

function request()
    local body
    if path == "/v1/batch" then
        local parts = {}
        for i = 1, size do parts[i] = message() end
        body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
    else
        body = message()
    end
    return wrk.format("POST", path, nil, body)
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local per_request = size
    if path ~= "/v1/batch" then per_request = 1 end
    local failures = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    local result = string.format(
        '{"requests":%d,"seconds":%.3f,"requests_per_second":%.1f,"records_per_request":%d,'
            .. '"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"failures":%d}',
        summary.requests, seconds, summary.requests / seconds, per_request,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, failures)
    local file = io.open(os.getenv("TESSERA_RESULT"), "w")
    file:write(result .. "\n")
    file:close()
end
