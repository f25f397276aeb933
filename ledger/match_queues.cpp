#include "ledger/match_queues.h"

#include <algorithm>
#include <limits>

namespace uurwerk {

void post_bucket::push(const queued_post& p) {
    ids_.push_back(p.id);
    owners_.push_back(p.owner);
    posted_.push_back(p.posted_at);
    availability_.push_back(p.availability);
    areas_.push_back(p.area);
    often_.push_back(p.how_often);
}

std::optional<event_id> post_bucket::swap_remove(std::size_t i) {
    UURWERK_ASSERT(i < size(), i, size());
    std::optional<event_id> moved;
    if (i + 1 != size()) {
        const auto last = size() - 1;
        ids_[i] = ids_[last];
        owners_[i] = owners_[last];
        posted_[i] = posted_[last];
        availability_[i] = availability_[last];
        areas_[i] = areas_[last];
        often_[i] = often_[last];
        moved = ids_[i];
    }
    ids_.pop_back();
    owners_.pop_back();
    posted_.pop_back();
    availability_.pop_back();
    areas_.pop_back();
    often_.pop_back();
    return moved;
}

void post_bucket::clear() {
    ids_.clear();
    owners_.clear();
    posted_.clear();
    availability_.clear();
    areas_.clear();
    often_.clear();
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
    auto& b = bucket(side, what);
    const auto [at, fresh] = position_.try_emplace(p.id, static_cast<std::uint32_t>(b.size()));
    UURWERK_ASSERT(fresh, p.id.hex(), at->second);
    b.push(q);
}

void match_queues::remove(post_side side, category what, const event_id& id) {
    auto it = position_.find(id);
    if (it == position_.end()) return;
    auto& b = bucket(side, what);
    const std::uint32_t at = it->second;
    UURWERK_ASSERT(at < b.size() && b.ids()[at] == id, id.hex(), at, b.size());
    position_.erase(it);
    if (auto moved = b.swap_remove(at)) position_[*moved] = at;
}

std::set<event_id> match_queues::open_requests() const {
    std::set<event_id> out;
    for (const auto& b : requests_) out.insert(b.ids().begin(), b.ids().end());
    return out;
}

std::size_t match_queues::open_count(post_side side) const {
    std::size_t n = 0;
    for (const auto& b : side == post_side::offer ? offers_ : requests_) n += b.size();
    return n;
}

area_code match_queues::code_of(std::string_view area) const {
    if (area.empty()) return area_code{0};
    auto it = areas_.find(std::string(area));
    return it == areas_.end() ? area_code{std::numeric_limits<std::uint32_t>::max()} : it->second;
}

void match_queues::clear() {
    for (auto& b : offers_) b.clear();
    for (auto& b : requests_) b.clear();
    position_.clear();
    suspended_.clear();
    // areas_ stays: codes are only compared with each other, never stored.
}

bool match_queues::same_content(const match_queues& other) const {
    // Each record with its area by name (two queues may have coded areas in another order),
    // ordered by post id.
    auto comparable = [](const match_queues& q, const post_bucket& bucket) {
        std::vector<std::pair<queued_post, std::string>> out;
        for (std::size_t i = 0; i < bucket.size(); ++i) {
            const auto p = bucket.at(i);
            std::string name;
            for (const auto& [area, code] : q.areas_)
                if (code == p.area) name = area;
            auto copy = p;
            copy.area = area_code{0};
            out.emplace_back(copy, std::move(name));
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
        return out;
    };
    for (std::size_t i = 0; i < category_count; ++i)
        if (comparable(*this, offers_[i]) != comparable(other, other.offers_[i]) ||
            comparable(*this, requests_[i]) != comparable(other, other.requests_[i]))
            return false;
    return suspended_ == other.suspended_;
}

}  // namespace uurwerk
