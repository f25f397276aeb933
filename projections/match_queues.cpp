#include "projections/match_queues.h"

#include <algorithm>
#include <limits>
#include <map>

namespace uurwerk {

void post_bucket::insert(const queued_post& p) {
    UURWERK_ASSERT(p.area == area_ && p.how_often == how_often_, p.area.value, area_.value);
    // Posts arrive in log order, so almost always at the end; a rebuild may add them in any.
    const auto at = posted_.empty() || posted_.back() < p.posted_at
                        ? posted_.end()
                        : std::upper_bound(posted_.begin(), posted_.end(), p.posted_at);
    const auto n = at - posted_.begin();
    ids_.insert(ids_.begin() + n, p.id);
    owners_.insert(owners_.begin() + n, p.owner);
    posted_.insert(at, p.posted_at);
    availability_.insert(availability_.begin() + n, p.availability);
}

std::size_t post_bucket::index_of(offset at) const {
    const auto it = std::lower_bound(posted_.begin(), posted_.end(), at);
    UURWERK_ASSERT(it != posted_.end() && *it == at, at.value, size());
    return static_cast<std::size_t>(it - posted_.begin());
}

member_id post_bucket::erase(offset at, const event_id& id) {
    const auto n = static_cast<std::ptrdiff_t>(index_of(at));
    const auto it = posted_.begin() + n;
    UURWERK_ASSERT(ids_[static_cast<std::size_t>(n)] == id, id.hex(), at.value, size());
    const member_id owner = owners_[static_cast<std::size_t>(n)];
    ids_.erase(ids_.begin() + n);
    owners_.erase(owners_.begin() + n);
    posted_.erase(it);
    availability_.erase(availability_.begin() + n);
    return owner;
}

std::uint32_t category_posts::bucket_of(area_code area, intensity how_often) {
    if (index_.size() <= area.value) index_.resize(area.value + 1, {0, 0, 0});
    auto& slot = index_[area.value][static_cast<std::size_t>(how_often)];
    if (slot == 0) {
        buckets_.emplace_back(area, how_often);
        slot = static_cast<std::uint32_t>(buckets_.size());
    }
    return slot - 1;
}

void match_queues::add(post_side side, category what, const queued_post& p, std::string_view area) {
    if (!kept()) return;
    queued_post q = p;
    if (area.empty()) {
        q.area = area_code{0};
    } else {
        auto [it, fresh] =
            areas_.try_emplace(std::string(area), area_code{static_cast<std::uint32_t>(0)});
        if (fresh) {
            UURWERK_ASSERT(areas_.size() < std::numeric_limits<std::uint32_t>::max() - 1);
            it->second = area_code{static_cast<std::uint32_t>(areas_.size())};
        }
        q.area = it->second;
    }
    auto& cp = posts(side, what);
    const std::uint32_t b = cp.bucket_of(q.area, q.how_often);
    const auto [at, fresh] = places_.try_emplace(p.id, place{what, b, p.posted_at});
    UURWERK_ASSERT(fresh, p.id.hex(), at->second.posted_at.value);
    cp.buckets_[b].insert(q);
    ++cp.size_;
    if (side == post_side::offer) offers_by_owner_[p.owner].push_back(p.id);
}

void match_queues::remove(post_side side, category what, const event_id& id) {
    auto it = places_.find(id);
    if (it == places_.end()) return;
    const place where = it->second;
    UURWERK_ASSERT(where.what == what, id.hex(), static_cast<int>(what));
    places_.erase(it);
    auto& cp = posts(side, what);
    const member_id owner = cp.buckets_.at(where.bucket).erase(where.posted_at, id);
    --cp.size_;
    if (side != post_side::offer) return;
    auto own = offers_by_owner_.find(owner);
    UURWERK_ASSERT(own != offers_by_owner_.end(), owner.value, id.hex());
    auto& ids = own->second;
    const auto at = std::find(ids.begin(), ids.end(), id);
    UURWERK_ASSERT(at != ids.end(), owner.value, id.hex());
    *at = ids.back();
    ids.pop_back();
    if (ids.empty()) offers_by_owner_.erase(own);
}

std::vector<match_queues::own_offer> match_queues::offers_of(member_id m) const {
    std::vector<own_offer> out;
    auto own = offers_by_owner_.find(m);
    if (own == offers_by_owner_.end()) return out;
    for (const auto& id : own->second) {
        const place& where = places_.at(id);
        const auto& b = open(post_side::offer, where.what).buckets()[where.bucket];
        out.push_back({where.what, b.at(b.index_of(where.posted_at))});
    }
    return out;
}

std::size_t match_queues::offers_of(member_id m, category what) const {
    auto own = offers_by_owner_.find(m);
    if (own == offers_by_owner_.end()) return 0;
    return static_cast<std::size_t>(
        std::count_if(own->second.begin(), own->second.end(),
                      [&](const event_id& id) { return places_.at(id).what == what; }));
}

std::set<event_id> match_queues::open_requests() const {
    std::set<event_id> out;
    for (const auto& cp : requests_)
        cp.for_each([&](const post_bucket& b, std::size_t i) { out.insert(b.ids()[i]); });
    return out;
}

std::size_t match_queues::open_count(post_side side) const {
    std::size_t n = 0;
    for (const auto& cp : side == post_side::offer ? offers_ : requests_) n += cp.size();
    return n;
}

area_code match_queues::code_of(std::string_view area) const {
    if (area.empty()) return area_code{0};
    auto it = areas_.find(std::string(area));
    return it == areas_.end() ? area_code{std::numeric_limits<std::uint32_t>::max()} : it->second;
}

void match_queues::clear() {
    for (auto* side : {&offers_, &requests_})
        for (auto& cp : *side) cp = category_posts{};
    places_.clear();
    offers_by_owner_.clear();
    suspended_.clear();
    // areas_ stays: codes are only compared with each other, never stored.
}

bool match_queues::same_content(const match_queues& other) const {
    // Each record with its area by name (two queues may have coded areas in another order),
    // ordered by post id.
    auto comparable = [](const match_queues& q, const category_posts& cp) {
        std::map<area_code, std::string> names;
        for (const auto& [area, code] : q.areas_) names[code] = area;
        std::vector<std::pair<queued_post, std::string>> out;
        cp.for_each([&](const post_bucket& b, std::size_t i) {
            auto p = b.at(i);
            const auto name = p.area == area_code{0} ? std::string() : names.at(p.area);
            p.area = area_code{0};
            out.emplace_back(p, name);
        });
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
        return out;
    };
    for (std::size_t i = 0; i < category_count; ++i)
        if (comparable(*this, offers_[i]) != comparable(other, other.offers_[i]) ||
            comparable(*this, requests_[i]) != comparable(other, other.requests_[i]))
            return false;
    auto owners = [](const match_queues& q) {
        std::map<member_id, std::set<event_id>> out;
        for (const auto& [m, ids] : q.offers_by_owner_) out[m].insert(ids.begin(), ids.end());
        return out;
    };
    return suspended_ == other.suspended_ && owners(*this) == owners(other);
}

}  // namespace uurwerk
