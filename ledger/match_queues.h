#pragma once
// The live match queues of a community: its open offers and open requests by category, each a
// compact record with what fitting needs (owner, intensity, availability, area as a small code),
// and the members who are suspended. Derived state: kept by the fold (ledger/rules.h) as posts
// open and close and members are suspended or reinstated, rebuilt from the posts on load, never
// stored.
//
// Why by category and not a candidate list per request: every open offer of a request's
// category fits it (fit() is never 0 within a category, see exposure.h), so the candidates of a
// request ARE the open offers of its category, and the requests that fit a helper are the open
// requests of their offers' categories. A list per request would hold offers x requests pairs
// (a billion at 100,000 offers and 10,000 requests); a bucket per category holds each post once,
// and ranking a request's candidates is a scan of its bucket: contiguous records, integer
// compares, no string or map lookup per offer (`uurwerk bench match` measures it).
//
// A bucket's order is not meaningful (a removal moves the last record into the gap); everything
// that reads one sorts what it takes by a total order of its own.
//
// Threading: none; owned by the community_state it is part of.

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/event.h"

namespace uurwerk {

// A coarse area as a small number: 0 is "no area"; equal codes are equal areas.
using area_code = named<std::uint32_t, struct area_code_tag>;

struct queued_post {
    event_id id;
    member_id owner;
    offset posted_at;
    std::uint32_t availability = 0;
    area_code area;
    intensity how_often = intensity::once;
    bool operator==(const queued_post&) const = default;
};

enum class post_side : std::uint8_t { offer, request };

// The open posts of one side and category, a column per field (what a scan reads is
// contiguous: the fields fit compares take 17 bytes a post instead of a 48-byte record).
// Order: none in particular (a removal moves the last post into the gap).
class post_bucket {
public:
    [[nodiscard]] std::size_t size() const { return ids_.size(); }
    [[nodiscard]] queued_post at(std::size_t i) const {
        return {ids_[i], owners_[i], posted_[i], availability_[i], areas_[i], often_[i]};
    }
    [[nodiscard]] const std::vector<event_id>& ids() const { return ids_; }
    [[nodiscard]] member_id owner(std::size_t i) const { return owners_[i]; }
    [[nodiscard]] offset posted_at(std::size_t i) const { return posted_[i]; }
    [[nodiscard]] std::uint32_t availability(std::size_t i) const { return availability_[i]; }
    [[nodiscard]] area_code area(std::size_t i) const { return areas_[i]; }
    [[nodiscard]] intensity how_often(std::size_t i) const { return often_[i]; }

    void push(const queued_post& p);
    // Removes the post at `i`; the last one takes its place (returns its id, if one moved).
    std::optional<event_id> swap_remove(std::size_t i);
    void clear();

private:
    std::vector<event_id> ids_;
    std::vector<member_id> owners_;
    std::vector<offset> posted_;
    std::vector<std::uint32_t> availability_;
    std::vector<area_code> areas_;
    std::vector<intensity> often_;
};

// Whether the queues are kept. Always, except in `uurwerk bench match`, which replays a log
// without them to measure what keeping them costs. Queues that are not kept ignore every change
// and must not be read (an assertion says so): a state without them cannot fold a proposal (the
// exposure fold ranks the candidates from them) and must not be served.
enum class queue_upkeep : std::uint8_t { kept = 0, skipped };

class match_queues {
public:
    void set_upkeep(queue_upkeep u) { upkeep_ = u; }
    [[nodiscard]] bool kept() const { return upkeep_ == queue_upkeep::kept; }

    // A post that opened; it must not be queued already.
    void add(post_side side, category what, const queued_post& p, std::string_view area);
    // A post that closed (withdrawn, hidden); nothing when it is not queued.
    void remove(post_side side, category what, const event_id& id);

    void suspend(member_id m) {
        if (kept()) suspended_.insert(m);
    }
    void reinstate(member_id m) { suspended_.erase(m); }
    [[nodiscard]] bool suspended(member_id m) const {
        return !suspended_.empty() && suspended_.contains(m);
    }

    [[nodiscard]] const post_bucket& open(post_side side, category what) const {
        return (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    }
    [[nodiscard]] std::size_t open_count(post_side side) const;
    // Every open request's id, ordered (computed: for listings and tests).
    [[nodiscard]] std::set<event_id> open_requests() const;

    // The code of `area`, as a queued post of that area has it. An area no open or closed post
    // ever named gets a code no post has (so it equals none).
    [[nodiscard]] area_code code_of(std::string_view area) const;

    void clear();

    // Equal content, whatever the order within the buckets (for tests of rebuilt state).
    [[nodiscard]] bool same_content(const match_queues& other) const;

private:
    post_bucket& bucket(post_side side, category what) {
        return (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    }
    using buckets = std::array<post_bucket, category_count>;
    buckets offers_, requests_;
    std::unordered_map<event_id, std::uint32_t> position_;  // in its bucket
    std::unordered_map<std::string, area_code> areas_;      // every area seen; never shrinks
    std::unordered_set<member_id> suspended_;
    queue_upkeep upkeep_ = queue_upkeep::kept;
};

}  // namespace uurwerk
