#include "api/http/match_routes.h"

#include <algorithm>
#include <thread>

#include "api/json/json.h"

namespace uurwerk {
namespace {

std::string_view status_name(match_status s) {
    switch (s) {
        case match_status::proposed:
            return "proposed";
        case match_status::accepted:
            return "accepted";
        case match_status::declined:
            return "declined";
        case match_status::ended:
            return "ended";
        case match_status::lapsed:
            return "lapsed";
    }
    return "unknown";
}

struct found_proposal {
    event_id id;
    match_state match;
};

// The member's proposals at offsets after `after` (all when none), oldest first, at most a page.
std::vector<found_proposal> proposals_of(const community_state& c, member_id m,
                                         std::optional<std::uint64_t> after) {
    std::vector<found_proposal> out;
    for (const auto& [id, x] : c.matches) {
        if (x.helper != m && x.requester != m) continue;
        if (after && x.proposed_at.value <= *after) continue;
        out.push_back({id, x});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.match.proposed_at < b.match.proposed_at;
    });
    if (out.size() > proposals_page_max) out.resize(proposals_page_max);
    return out;
}

http_response proposals_answer(member_id m, const std::vector<found_proposal>& found,
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
        w.key("status").string(status_name(x.status));
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
        auto found = n.folder(c).read_state(
            [&](const ledger_state& s) -> std::optional<std::vector<found_proposal>> {
                auto it = s.communities.find(c);
                if (it == s.communities.end() || !it->second.members.contains(m))
                    return std::nullopt;
                return proposals_of(it->second, m, *after);
            });
        if (!found) {
            if (!n.folder(c).read_state(
                    [&](const ledger_state& s) { return s.communities.contains(c); }))
                return unknown_community(c);
            return error_answer(errc::unknown_member, "no member " + std::to_string(m.value) +
                                                          " in " + community_text(c));
        }
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

}  // namespace

std::optional<http_response> match_route(node& n, match_driver* driver,
                                         std::atomic<std::size_t>& waiting,
                                         const http_request& request, const target_parts& t) {
    const auto& s = t.segments;
    const bool community = s.size() >= 4 && s[0] == "v1" && s[1] == "communities";
    const bool round = community && s.size() == 4 && s[3] == "match";
    const bool proposals = community && s.size() == 6 && s[3] == "members" && s[5] == "proposals";
    if (!round && !proposals) return std::nullopt;
    if (round && request.method != "POST") {
        auto a = error_answer(errc::method_not_allowed, request.method + " is not allowed here");
        a.headers.emplace_back("Allow", "POST");
        return a;
    }
    if (proposals && request.method != "GET" && request.method != "HEAD") {
        auto a = error_answer(errc::method_not_allowed, request.method + " is not allowed here");
        a.headers.emplace_back("Allow", "GET, HEAD");
        return a;
    }
    if (auto bad = round ? only_params(t, {}) : only_params(t, {"after", "wait_ms"})) return bad;
    auto c = decimal_param<community_id>(s[2], "community id");
    if (!c) return error_answer(c.err());
    if (round) return match_round(driver, *c);
    auto m = decimal_param<member_id>(s[4], "member id");
    if (!m) return error_answer(m.err());
    return member_proposals(n, waiting, *c, *m, t);
}

}  // namespace uurwerk
