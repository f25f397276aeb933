#pragma once
// The HTTP API of a node (api/README.md is the contract): one table of routes (api/http/router.h)
// sends each request to its handler, path parameters and query checked; the node's answer in JSON
// with the README's status codes. Writes go through node::submit(); reads come from the query
// layer (projections/query.h) and the projection store, and the JSON is written after the state
// lock is released. /metrics renders the counters in Prometheus text format. Who may call each
// route is the table's `caller` column, checked by api/http/access.h before the handler runs.
//
// Rate quotas (api/http/quota.h, api/README.md "Quotas") are charged before the router: a read
// (GET, HEAD) to its session's member when its token verifies, else to its client address; any
// other request to its address's writes; a submitted event also to its signing key, once it
// decodes and before its signature is checked. Over a quota: 429 rate_limited with Retry-After.
// A member's reputation is computed once per applied offset of its community's partition (and
// at most reputation_cache_age_max old), then answered from that.
//
// Ownership and threading: routes borrows the node (which must outlive it) and owns the HTTP
// counters that the server (api/http/http_server.h) counts into. handle() may be called from any
// number of worker threads at once; it never throws, and never answers 500 for bad input.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "api/http/access.h"
#include "api/http/http_server.h"
#include "api/http/quota.h"
#include "api/http/router.h"
#include "api/http/stream_routes.h"
#include "api/node/checkpointer.h"
#include "api/node/match_driver.h"
#include "api/node/node.h"
#include "api/node/reports.h"

namespace uurwerk {

struct reputation_result;
class mailer;

// A cached reputation is recomputed after this long even if nothing was applied (scores decay
// with time, by days: minutes do not matter).
inline constexpr std::chrono::minutes reputation_cache_age_max{10};
inline constexpr std::size_t reputation_cache_communities_max = 1024;

class routes {
public:
    // `cp` (may be null: no checkpoints, no /v1/node) signs checkpoints on demand; `matcher`
    // (may be null: POST .../match answers 503) runs a matching round on demand. `who` is the
    // access check's clock and operator token (api/http/access.h); by default the machine's
    // clock and no token. `limits` are the rate quotas (the documented defaults unless told).
    explicit routes(node& n, checkpointer* cp = nullptr, match_driver* matcher = nullptr,
                    access_options who = {wall_clock(), {}}, const quota_options& limits = {});

    // The answer to one request.
    [[nodiscard]] http_response handle(const http_request& request);
    // handle() as a server's handler; the routes must outlive the server.
    [[nodiscard]] http_handler handler();
    // POST /v1/events (that target exactly) as an asynchronous route of the server: the event
    // is checked on the worker, and answered once applied (node::submit_async), as handle()
    // answers it, without holding a thread meanwhile; "apply_timeout" after the node's timeout.
    [[nodiscard]] http_async_route async_route();
    // The server's early refusal (http_server_options::refuse_early): a request whose client
    // address is over its quota already is answered 429 on the I/O thread, without a worker
    // (a read with a session token is left to the worker, which checks the session).
    [[nodiscard]] std::function<std::optional<http_response>(const http_request&)> refuse_early();
    // The counters a server answering for these routes counts into (shown by /metrics).
    http_stats& stats() { return stats_; }
    // The access check and its session cache.
    uurwerk::access& access() { return access_; }
    // The members' live event streams (GET .../members/{m}/stream).
    member_streams& streams() { return streams_; }
    // The node's mail sender (none: the mail routes answer 404), set before serving; the
    // mailer must outlive the routes.
    void set_mailer(mailer* m) { mailer_ = m; }
    // The rate quotas being charged.
    uurwerk::quotas& quotas() { return quotas_; }
    // Times a community's reputation was computed (the others were answered from the cache).
    [[nodiscard]] std::uint64_t reputation_computations() const {
        return reputation_computed_.load(std::memory_order_relaxed);
    }
    // The communities' report facts (api/node/reports.h), which a serving node refreshes.
    report_cache& reports() { return reports_; }
    // Every row of the table (for the authorization matrix test).
    [[nodiscard]] const std::vector<route>& rows() const { return router_.table(); }

    routes(const routes&) = delete;
    routes& operator=(const routes&) = delete;

private:
    std::vector<route> table();
    http_response health();
    http_response digest();
    http_response metrics();
    http_response canonical(const http_request& request);
    http_response submit(const http_request& request);
    http_response submitted(const result<submit_outcome>& outcome);
    // The 429 answer when `request` is over its read quota (GET, HEAD) or its address's write
    // quota (any other method); nothing when it may go on.
    std::optional<http_response> over_quota(const http_request& request);
    std::optional<http_response> over_key_quota(const public_key& signer);
    http_response member_reputation(community_id c, member_id m);

    // One community's reputation, as computed at `applied` (its partition's applied offset).
    struct reputation_entry {
        std::mutex mutex;  // held while it is computed: a crowd of readers computes it once
        offset applied{0};
        bool computed = false;  // under mutex
        time_ms at{0};
        std::shared_ptr<const reputation_result> scores;  // under mutex
        std::set<member_id> seeds;                        // under mutex
    };

    node& node_;
    checkpointer* checkpointer_;
    match_driver* matcher_;
    mailer* mailer_ = nullptr;
    std::atomic<std::size_t> waiting_for_proposals_{0};
    http_stats stats_;
    uurwerk::access access_;
    member_streams streams_{node_, access_};  // the members' live event streams
    uurwerk::quotas quotas_;
    log_clock session_clock_;  // the time a read's session is checked at, for its quota
    std::mutex reputation_mutex_;
    std::map<community_id, std::shared_ptr<reputation_entry>> reputation_;  // under the mutex
    std::atomic<std::uint64_t> reputation_computed_{0};
    report_cache reports_;  // each community's report facts at its latest checkpoint
    router router_;         // last: its handlers use the members above
    // Events submitted through these routes since they were made (the first answer of each).
    std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, duplicates_{0};
};

}  // namespace uurwerk
