-- wrk script: GETs the profile of a random loaded person by userId.
-- Environment: TESSERA_AUTH (the Authorization header), TESSERA_PROFILES (how many were loaded),
-- TESSERA_RESULT (file for the JSON summary), TESSERA_PAUSE_MS (optional: each connection waits this
-- many milliseconds between requests, to hold a request rate instead of running flat out),
-- TESSERA_SEQUENTIAL (optional: read user-0, user-1, … in turn, to read every profile once).

profiles = tonumber(os.getenv("TESSERA_PROFILES") or "1000")

function init(args)
    wrk.headers["Authorization"] = os.getenv("TESSERA_AUTH")
    math.randomseed(os.time() + math.random(1, 100000))
end

pause = tonumber(os.getenv("TESSERA_PAUSE_MS") or "0")

if pause > 0 then
    function delay()
        return pause
    end
end

sequential = os.getenv("TESSERA_SEQUENTIAL") ~= nil
next_user = 0

function request()
    local user = math.random(0, profiles - 1)
    if sequential then
        user = next_user % profiles
        next_user = next_user + 1
    end
    return wrk.format("GET", "/v1/profiles/userId/user-" .. user)
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local failures = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    local file = io.open(os.getenv("TESSERA_RESULT"), "w")
    file:write(string.format(
        '{"requests":%d,"seconds":%.3f,"requests_per_second":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"failures":%d}\n',
        summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, failures))
    file:close()
end
