#pragma once
// The live match queues of a community: its open offers and open requests by category, each a
// compact record with what fitting needs (owner, intensity, availability, area as a small code),
// and the members who are suspended. A projection, derived from the verdict fold's posts and
// members: kept by the matching fold (projections/matching_fold.h) as accepted events open and
// close posts and suspend or reinstate members, rebuilt from the posts on load (index_posts),
// never stored. No verdict reads it.
//
// Why by category and not a candidate list per request: every open offer of a request's
// category fits it (fit() is never 0 within a category, see fit.h), so the candidates of a
// request ARE the open offers of its category, and the requests that fit a helper are the open
// requests of their offers' categories. A list per request would hold offers x requests pairs
// (a billion at 100,000 offers and 10,000 requests); a category holds each post once.
//
// Within a category, posts are kept in buckets by (area, intensity), each in posting order:
// every post of a bucket has the same best possible fit to a given request, so ranking a
// request's candidates (fit.h: best_fitting_offers) visits the buckets best first and
// stops as soon as no post left can enter the page, instead of scanning the whole category
// (20,000 offers in `uurwerk bench match`). Everything that reads the posts without ranking
// them sorts what it takes by a total order of its own.
//
// Threading: none; owned by the community_matching it is part of (projections/matching_fold.h),
// which the projector changes and readers read under its state lock.

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/core/event.h"

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

// The open posts of one side, category, area and intensity, in the order they were posted
// (posted_at ascending), a column per field (what a scan reads is contiguous). The order is
// what lets a ranked scan stop early (fit.h: best_fitting_offers): within a bucket every
// post has the same area and intensity, so the same best possible fit, and of two equally
// fitting posts the older ranks first.
class post_bucket {
public:
    post_bucket(area_code area, intensity how_often) : area_(area), how_often_(how_often) {}

    [[nodiscard]] std::size_t size() const { return ids_.size(); }
    [[nodiscard]] area_code area() const { return area_; }
    [[nodiscard]] intensity how_often() const { return how_often_; }
    [[nodiscard]] queued_post at(std::size_t i) const {
        return {ids_[i], owners_[i], posted_[i], availability_[i], area_, how_often_};
    }
    [[nodiscard]] const std::vector<event_id>& ids() const { return ids_; }
    [[nodiscard]] member_id owner(std::size_t i) const { return owners_[i]; }
    [[nodiscard]] offset posted_at(std::size_t i) const { return posted_[i]; }
    [[nodiscard]] std::uint32_t availability(std::size_t i) const { return availability_[i]; }

    // Where the post posted at `at` stands; it must be here.
    [[nodiscard]] std::size_t index_of(offset at) const;

    // In posting order: at the end, unless a rebuild adds older posts after newer ones.
    void insert(const queued_post& p);
    // Removes the post posted at `at` (its id is `id`, for the assertion); later ones move up.
    // Returns its owner.
    member_id erase(offset at, const event_id& id);

private:
    area_code area_;
    intensity how_often_;
    std::vector<event_id> ids_;
    std::vector<member_id> owners_;
    std::vector<offset> posted_;
    std::vector<std::uint32_t> availability_;
};

// The open posts of one side and category: a bucket per (area, intensity) that has had any.
// Buckets are never removed (an emptied one stays, for the area's next post); their order is
// the order they were first needed in.
class category_posts {
public:
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] const std::vector<post_bucket>& buckets() const { return buckets_; }
    // fn(bucket, i) for every post, bucket by bucket.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const auto& b : buckets_)
            for (std::size_t i = 0; i < b.size(); ++i) fn(b, i);
    }

private:
    friend class match_queues;
    std::uint32_t bucket_of(area_code area, intensity how_often);  // made when missing

    std::vector<post_bucket> buckets_;
    // By area code, by intensity: the bucket's index + 1 (0: none yet).
    std::vector<std::array<std::uint32_t, 3>> index_;
    std::size_t size_ = 0;
};

// Whether the queues are kept. Always, except in `uurwerk bench match`, which replays a log
// without them to measure what keeping them costs. Queues that are not kept ignore every change
// and must not be read (an assertion says so): a state without them cannot fold a proposal (the
// exposure fold, projections/matching_fold.h, ranks the candidates from them) and must not be
// served.
enum class queue_upkeep : std::uint8_t { kept = 0, skipped };

class match_queues {
public:
    void set_upkeep(queue_upkeep u) { upkeep_ = u; }
    [[nodiscard]] bool kept() const { return upkeep_ == queue_upkeep::kept; }

    // A post that opened; it must not be queued already. `p.area` is ignored: `area` is coded.
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
    [[nodiscard]] const std::unordered_set<member_id>& suspended_members() const {
        return suspended_;
    }

    [[nodiscard]] const category_posts& open(post_side side, category what) const {
        return (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    }
    [[nodiscard]] std::size_t open_count(post_side side) const;
    // Every open request's id, ordered (computed: for listings and tests).
    [[nodiscard]] std::set<event_id> open_requests() const;

    // A member's open offers, as queued, with their categories (in no particular order).
    struct own_offer {
        category what;
        queued_post post;
    };
    [[nodiscard]] std::vector<own_offer> offers_of(member_id m) const;
    // How many open offers of category `what` member `m` has.
    [[nodiscard]] std::size_t offers_of(member_id m, category what) const;

    // The code of `area`, as a queued post of that area has it. An area no open or closed post
    // ever named gets a code no post has (so it equals none).
    [[nodiscard]] area_code code_of(std::string_view area) const;

    void clear();

    // Equal content, whatever the order of the buckets (for tests of rebuilt state).
    [[nodiscard]] bool same_content(const match_queues& other) const;

private:
    category_posts& posts(post_side side, category what) {
        return (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    }
    using by_category = std::array<category_posts, category_count>;
    by_category offers_, requests_;
    // Where each queued post is: its category's bucket and its place in the bucket's order.
    struct place {
        category what;
        std::uint32_t bucket;
        offset posted_at;
    };
    std::unordered_map<event_id, place> places_;
    // Each member's open offers (for "requests for me" and for counting a request's candidates
    // without scanning them).
    std::unordered_map<member_id, std::vector<event_id>> offers_by_owner_;
    std::unordered_map<std::string, area_code> areas_;  // every area seen; never shrinks
    std::unordered_set<member_id> suspended_;
    queue_upkeep upkeep_ = queue_upkeep::kept;
};

}  // namespace uurwerk
