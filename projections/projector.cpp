#include "projections/projector.h"

#include "projections/state_codec.h"

namespace uurwerk {

projector::projector(event_log& log, store& db, key_cache& keys, projector_options options)
    : log_(log), db_(db), keys_(keys), options_(options), recent_(recent_max) {}

result<std::unique_ptr<projector>> projector::open(event_log& log, store& db, key_cache& keys,
                                                   projector_options options) {
    auto p = std::unique_ptr<projector>(new projector(log, db, keys, options));
    auto state = load_state(db);
    if (!state) return state.err();
    p->state_ = std::move(*state);
    for (const auto& [id, c] : p->state_.communities)
        UURWERK_ASSERT(balance_sum(c) == minutes{0}, id.value, balance_sum(c).value);
    auto applied = db.applied();
    if (!applied) return applied.err();
    if (*applied > log.end())
        return make_error("store_ahead_of_log",
                          "the projection store has applied " + std::to_string(applied->value) +
                              " records but the log holds only " +
                              std::to_string(log.end().value) +
                              ": the store belongs to another log; remove it to rebuild");
    p->applied_.store(applied->value, std::memory_order_release);
    return p;
}

projector::~projector() { stop(); }

void projector::start() {
    UURWERK_ASSERT(!thread_.joinable());
    stopping_.store(false);
    thread_ = std::thread([this] { run(); });
}

void projector::stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

void projector::run() {
    while (!stopping_.load(std::memory_order_relaxed)) {
        auto n = apply_batch(options_.idle_wait);
        if (!n) {
            std::fprintf(stderr, "uurwerk: projector stopped: %s: %s\n", n.err().code.c_str(),
                         n.err().message.c_str());
            std::lock_guard lock(failure_mutex_);
            failure_ = n.err();
            return;
        }
    }
}

result<std::uint64_t> projector::catch_up() {
    std::uint64_t total = 0;
    while (applied() < log_.end()) {
        auto n = apply_batch(std::chrono::milliseconds(0));
        if (!n) return n.err();
        total += *n;
    }
    return total;
}

std::optional<error> projector::failure() const {
    std::lock_guard lock(failure_mutex_);
    return failure_;
}

bool projector::wait_applied(offset at, std::chrono::milliseconds timeout) const {
    if (applied() > at) return true;
    std::unique_lock lock(applied_mutex_);
    return applied_cv_.wait_for(lock, timeout, [&] { return applied() > at; });
}

std::optional<applied_record> projector::verdict_at(offset at) const {
    std::lock_guard lock(applied_mutex_);
    const auto& r = recent_[at.value % recent_max];
    if (r.at != at || applied() <= at) return std::nullopt;
    return r;
}

std::optional<seen_event> projector::seen(const event_id& id) const {
    std::shared_lock lock(state_mutex_);
    auto it = state_.seen.find(id);
    if (it == state_.seen.end()) return std::nullopt;
    return it->second;
}

void projector::note_verified(byte_view stored_envelope) {
    auto d = sha256({stored_envelope});
    std::lock_guard lock(verified_mutex_);
    if (verified_now_.size() >= verified_generation_max) {
        verified_before_ = std::move(verified_now_);
        verified_now_.clear();
    }
    verified_now_.insert(d);
}

bool projector::take_verified(const digest& d) {
    std::lock_guard lock(verified_mutex_);
    return verified_now_.erase(d) > 0 || verified_before_.erase(d) > 0;
}

verdict projector::check_and_fold(const log_record& rec, event_id& id_out, fold_effects& fx) {
    id_out = event_id{};
    auto env = decode_envelope(rec.payload);
    if (!env) return {reject_reason::malformed_event};
    if (options_.check == signature_check::verify_unless_cached &&
        !take_verified(sha256({rec.payload})) && !keys_.verify_envelope(*env))
        return {reject_reason::bad_signature};
    auto body = decode_body(env->body);
    if (!body) return {reject_reason::malformed_event};
    id_out = body->id;
    auto body_digest = sha256({env->body});
    fold_input in{*body, env->signer, body_digest, rec.at, rec.appended_at};
    return fold(state_, in, fx);
}

result<std::size_t> projector::apply_batch(std::chrono::milliseconds wait) {
    const offset from = applied();
    auto records = log_.read(from, options_.batch_records_max, wait);
    if (!records) return records.err();
    if (records->empty()) return std::size_t{0};

    std::vector<applied_record> decided;
    decided.reserve(records->size());
    fold_effects fx;
    auto batch = db_.make_batch();
    {
        std::unique_lock lock(state_mutex_);
        offset expect = from;
        for (const auto& rec : *records) {
            // The log hands out records in order without gaps; anything else is a bug.
            UURWERK_ASSERT(rec.at == expect, rec.at.value, expect.value);
            expect = offset{expect.value + 1};
            event_id id;
            verdict v = check_and_fold(rec, id, fx);
            decided.push_back(applied_record{rec.at, id, v});
        }
        write_effects(state_, fx, batch);
    }
    const offset next{from.value + records->size()};
    store::set_applied(batch, next);
    if (auto w = db_.write(batch); !w) return w.err();

    {
        std::lock_guard lock(applied_mutex_);
        for (const auto& d : decided) recent_[d.at.value % recent_max] = d;
        applied_.store(next.value, std::memory_order_release);
    }
    applied_cv_.notify_all();
    if (hook_) hook_(decided);
    return records->size();
}

}  // namespace uurwerk
