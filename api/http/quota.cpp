#include "api/http/quota.h"

#include <algorithm>
#include <functional>

#include "api/json/json_read.h"

namespace uurwerk {

quota_options quota_options::unlimited() {
    quota_options o;
    o.writes_per_key = o.writes_per_address = o.reads_per_session = o.reads_per_address = {};
    return o;
}

result<rate_limit> parse_rate_limit(std::string_view text, std::string_view flag) {
    if (text == "off") return rate_limit{};
    const auto bad = [&] {
        return make_error(errc::bad_argument,
                          "--" + std::string(flag) +
                              " takes PER_SECOND:BURST (two whole numbers from 1 to 1000000, "
                              "e.g. 20:100) or off; got '" +
                              std::string(text) + "'");
    };
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return bad();
    const auto per_s = parse_decimal(text.substr(0, colon));
    const auto burst = parse_decimal(text.substr(colon + 1));
    constexpr std::uint64_t most = 1'000'000;
    if (!per_s || !burst || *per_s < 1 || *burst < 1 || *per_s > most || *burst > most)
        return bad();
    return rate_limit{static_cast<std::uint32_t>(*per_s), static_cast<std::uint32_t>(*burst)};
}

// ---------------------------------------------------------------------------------------------

token_buckets::token_buckets(rate_limit limit, std::size_t clients_max)
    : limit_(limit),
      clients_max_(clients_max),
      interval_(limit.unlimited()
                    ? quota_time{0}
                    : std::max(quota_time{1}, quota_time{std::chrono::seconds(1)} / limit.per_s)),
      tolerance_(limit.unlimited() ? quota_time{0} : interval_ * (limit.burst - 1)) {
    UURWERK_ASSERT(limit.unlimited() || limit.burst >= 1, limit.per_s, limit.burst);
    UURWERK_ASSERT(clients_max >= 2, clients_max);
}

std::optional<quota_time> token_buckets::take(std::string_view client, quota_time now) {
    if (limit_.unlimited()) return std::nullopt;
    auto it = full_at_.find(std::string(client));
    if (it == full_at_.end()) {
        if (full_at_.size() >= clients_max_) make_room(now);
        // A new client's bucket is full: this request takes one token.
        full_at_.emplace(std::string(client), now + interval_);
        return std::nullopt;
    }
    const quota_time from = std::max(it->second, now);
    if (from - now > tolerance_) return from - now - tolerance_;
    it->second = from + interval_;
    return std::nullopt;
}

std::optional<quota_time> token_buckets::empty_for(std::string_view client, quota_time now) const {
    if (limit_.unlimited()) return std::nullopt;
    auto it = full_at_.find(std::string(client));
    if (it == full_at_.end()) return std::nullopt;
    const quota_time from = std::max(it->second, now);
    if (from - now > tolerance_) return from - now - tolerance_;
    return std::nullopt;
}

void token_buckets::make_room(quota_time now) {
    // A full bucket is the same as no entry: drop those first.
    std::erase_if(full_at_, [&](const auto& e) { return e.second <= now; });
    const std::size_t keep = clients_max_ / 2;
    if (full_at_.size() <= keep) return;
    // Still too many (a flood of distinct clients): drop the half nearest to full.
    std::vector<quota_time> times;
    times.reserve(full_at_.size());
    for (const auto& e : full_at_) times.push_back(e.second);
    const auto cut = times.begin() + static_cast<std::ptrdiff_t>(times.size() - keep);
    std::nth_element(times.begin(), cut, times.end());
    const quota_time threshold = *cut;  // keep the `keep` latest (ties may drop a few more)
    std::erase_if(full_at_, [&](const auto& e) { return e.second < threshold; });
    if (full_at_.size() > keep) {
        for (auto i = full_at_.begin(); i != full_at_.end() && full_at_.size() > keep;) {
            if (i->second == threshold)
                i = full_at_.erase(i);
            else
                ++i;
        }
    }
    UURWERK_ASSERT(full_at_.size() <= keep, full_at_.size(), keep);
}

std::uint64_t retry_after_seconds(quota_time wait) {
    const auto s = std::chrono::ceil<std::chrono::seconds>(wait).count();
    return s < 1 ? 1 : static_cast<std::uint64_t>(s);
}

// ---------------------------------------------------------------------------------------------

quotas::quotas(const quota_options& options, clock now) : options_(options), now_(std::move(now)) {
    if (!now_)
        now_ = [] {
            return std::chrono::duration_cast<quota_time>(
                std::chrono::steady_clock::now().time_since_epoch());
        };
    make(key_writes_, options.writes_per_key);
    make(address_writes_, options.writes_per_address);
    make(session_reads_, options.reads_per_session);
    make(address_reads_, options.reads_per_address);
}

void quotas::make(table& t, rate_limit limit) {
    t.limit = limit;
    const std::size_t per_shard = std::max<std::size_t>(2, options_.clients_max / shards);
    for (std::size_t i = 0; i < shards; ++i)
        t.parts.push_back(std::make_unique<shard>(limit, per_shard));
}

std::optional<quota_time> quotas::charge(table& t, std::string_view client) {
    if (t.limit.unlimited()) return std::nullopt;
    auto& s = *t.parts[std::hash<std::string_view>{}(client) % shards];
    const auto now = now_();
    std::lock_guard lock(s.mutex);
    return s.buckets.take(client, now);
}

std::optional<quota_time> quotas::look(table& t, std::string_view client) {
    if (t.limit.unlimited()) return std::nullopt;
    auto& s = *t.parts[std::hash<std::string_view>{}(client) % shards];
    const auto now = now_();
    std::lock_guard lock(s.mutex);
    return s.buckets.empty_for(client, now);
}

std::optional<quota_time> quotas::writes_by_address_empty(std::string_view address) {
    return look(address_writes_, address);
}
std::optional<quota_time> quotas::reads_by_address_empty(std::string_view address) {
    return look(address_reads_, address);
}

std::optional<quota_time> quotas::write_by_key(std::string_view key) {
    return charge(key_writes_, key);
}
std::optional<quota_time> quotas::write_by_address(std::string_view address) {
    return charge(address_writes_, address);
}
std::optional<quota_time> quotas::read_by_session(std::string_view session) {
    return charge(session_reads_, session);
}
std::optional<quota_time> quotas::read_by_address(std::string_view address) {
    return charge(address_reads_, address);
}

std::size_t quotas::clients() const {
    std::size_t n = 0;
    for (const table* t : {&key_writes_, &address_writes_, &session_reads_, &address_reads_})
        for (const auto& s : t->parts) {
            std::lock_guard lock(s->mutex);
            n += s->buckets.size();
        }
    return n;
}

}  // namespace uurwerk
