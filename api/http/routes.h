#pragma once
// The HTTP API of a node (api/README.md is the contract): one table of routes (api/http/router.h)
// sends each request to its handler, path parameters and query checked; the node's answer in JSON
// with the README's status codes. Writes go through node::submit(); reads come from the query
// layer (projections/query.h) and the projection store, and the JSON is written after the state
// lock is released. /metrics renders the counters in Prometheus text format. Who may call each
// route is the table's `caller` column, checked by api/http/access.h before the handler runs.
//
// Ownership and threading: routes borrows the node (which must outlive it) and owns the HTTP
// counters that the server (api/http/http_server.h) counts into. handle() may be called from any
// number of worker threads at once; it never throws, and never answers 500 for bad input.

#include <atomic>
#include <cstdint>

#include "api/http/access.h"
#include "api/http/http_server.h"
#include "api/http/router.h"
#include "api/node/checkpointer.h"
#include "api/node/match_driver.h"
#include "api/node/node.h"

namespace uurwerk {

class routes {
public:
    // `cp` (may be null: no checkpoints, no /v1/node) signs checkpoints on demand; `matcher`
    // (may be null: POST .../match answers 503) runs a matching round on demand. `who` is the
    // access check's clock and operator token (api/http/access.h); by default the machine's
    // clock and no token.
    explicit routes(node& n, checkpointer* cp = nullptr, match_driver* matcher = nullptr,
                    access_options who = {wall_clock(), {}});

    // The answer to one request.
    [[nodiscard]] http_response handle(const http_request& request);
    // handle() as a server's handler; the routes must outlive the server.
    [[nodiscard]] http_handler handler();
    // POST /v1/events (that target exactly) as an asynchronous route of the server: the event
    // is checked on the worker, and answered once applied (node::submit_async), as handle()
    // answers it, without holding a thread meanwhile; "apply_timeout" after the node's timeout.
    [[nodiscard]] http_async_route async_route();
    // The counters a server answering for these routes counts into (shown by /metrics).
    http_stats& stats() { return stats_; }
    // The access check and its session cache.
    uurwerk::access& access() { return access_; }
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

    node& node_;
    checkpointer* checkpointer_;
    match_driver* matcher_;
    std::atomic<std::size_t> waiting_for_proposals_{0};
    http_stats stats_;
    uurwerk::access access_;
    router router_;  // last: its handlers use the members above
    // Events submitted through these routes since they were made (the first answer of each).
    std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, duplicates_{0};
};

}  // namespace uurwerk
