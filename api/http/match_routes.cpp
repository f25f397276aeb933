#include "api/http/match_routes.h"

#include <algorithm>
#include <thread>

#include "api/http/value_names.h"
#include "api/json/json.h"
#include "projections/query.h"

namespace uurwerk::match_routes {

static http_response proposals_answer(member_id m, const std::vector<query::found_proposal>& found,
                                      std::optional<std::uint64_t> after) {
    json_writer w;
    w.begin_object();
    w.key("member").decimal(m.value);
    w.key("proposals").begin_array();
    for (const auto& [id, x] : found) {
        w.begin_object();
        w.key("match").string(id.hex());
        w.key("request").string(x.request.hex());
        w.key("offer").string(x.offer.hex());
        w.key("requester").decimal(x.requester.value);
        w.key("helper").decimal(x.helper.value);
        w.key("round").number(x.round);
        w.key("rank").number(x.rank);
        w.key("status").string(match_status_name(x.status));
        w.key("offset").decimal(x.proposed_at.value);
        w.end_object();
    }
    w.end_array();
    // What to pass as ?after= next time.
    if (!found.empty())
        w.key("next").decimal(found.back().match.proposed_at.value);
    else if (after)
        w.key("next").decimal(*after);
    w.end_object();
    return json_answer(200, w.take());
}

// Counts a waiting request for as long as it lives.
namespace {
class waiting_slot {
public:
    explicit waiting_slot(std::atomic<std::size_t>& n) : n_(n) {
        taken_ = n_.fetch_add(1) < proposals_waiting_max;
    }
    ~waiting_slot() { n_.fetch_sub(1); }
    bool taken() const { return taken_; }
    waiting_slot(const waiting_slot&) = delete;
    waiting_slot& operator=(const waiting_slot&) = delete;

private:
    std::atomic<std::size_t>& n_;
    bool taken_ = false;
};
}  // namespace

http_response member_proposals(node& n, std::atomic<std::size_t>& waiting, community_id c,
                               member_id m, const target_parts& t) {
    auto after = decimal_query(t, "after");
    if (!after) return error_answer(after.err());
    auto wait_ms = decimal_query(t, "wait_ms");
    if (!wait_ms) return error_answer(wait_ms.err());
    if (wait_ms->value_or(0) > proposals_wait_ms_max)
        return bad_request("wait_ms is at most " + std::to_string(proposals_wait_ms_max));
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms->value_or(0));
    std::optional<waiting_slot> slot;
    for (;;) {
        // Read the applied offset first: anything applied after it wakes the wait below.
        const offset applied = n.folder(c).applied();
        auto found = query::proposals(n.folder(c), c, m, *after, proposals_page_max);
        if (!found) return error_answer(found.err());
        const auto now = std::chrono::steady_clock::now();
        if (!found->empty() || now >= deadline) return proposals_answer(m, *found, *after);
        if (!slot) {
            slot.emplace(waiting);
            if (!slot->taken())
                return error_answer(errc::too_many_waiting,
                                    "too many requests are waiting for proposals; try again");
        }
        // Woken when anything more is applied (applied() moves past `applied`), then look again.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        n.folder(c).wait_applied(applied, left + std::chrono::milliseconds(1));
    }
}

http_response match_round(match_driver* driver, community_id c) {
    if (driver == nullptr) return error_answer(errc::no_matcher, "this node does not match");
    auto r = driver->run_now(c);
    if (!r) return error_answer(r.err());
    json_writer w;
    w.begin_object();
    w.key("basis").decimal(r->basis);
    w.key("submitted").number(static_cast<std::int64_t>(r->submitted));
    w.key("duplicates").number(static_cast<std::int64_t>(r->duplicates));
    w.key("rejected").number(static_cast<std::int64_t>(r->rejected));
    w.key("proposals").begin_array();
    for (const auto& p : r->proposals) {
        w.begin_object();
        w.key("match").string(p.id.hex());
        w.key("request").string(p.request.hex());
        w.key("offer").string(p.offer.hex());
        w.key("helper").decimal(p.helper.value);
        w.key("round").number(p.round);
        w.key("rank").number(p.rank);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return json_answer(200, w.take());
}

}  // namespace uurwerk::match_routes
