#include "projections/projector.h"

#include "ledger/core/personal.h"
#include "projections/state_codec.h"

#include <algorithm>

namespace uurwerk {

std::optional<result<applied_record>> verdict_ticket::wait(std::chrono::milliseconds timeout) {
    UURWERK_ASSERT(!done_, "wait() on a ticket with a callback");
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return outcome_.has_value(); });
    return outcome_;
}

void verdict_ticket::decide(result<applied_record> outcome) {
    {
        std::lock_guard lock(mutex_);
        if (decided_) return;
        decided_ = true;
        if (!done_) outcome_.emplace(std::move(outcome));
    }
    if (done_)
        done_(std::move(outcome));  // decided_ keeps it to one call; done_ is never changed
    else
        cv_.notify_all();
}

void verdict_ticket::fail(error e) {
    decide(std::move(e));
}

void verdict_ticket::complete(const applied_record& r) {
    decide(r);
}

namespace {

// The profile `b` would replace, when `b` is a profileUpdated of a member who has one: read
// before the fold, which overwrites it.
std::optional<applied_record::replaced_profile> profile_before_in(const ledger_state& state,
                                                                  const event_body& b) {
    const auto* x = std::get_if<profile_updated>(&b.payload);
    if (!x) return std::nullopt;
    auto c = state.communities.find(b.community);
    if (c == state.communities.end()) return std::nullopt;
    auto m = c->second.members.find(x->member);
    if (m == c->second.members.end() || m->second.profile_event == event_id{}) return std::nullopt;
    return applied_record::replaced_profile{x->member, m->second.profile_event,
                                            m->second.profile_digest};
}
std::string_view as_chars(byte_view b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
std::size_t hash_of_bytes(byte_view b) {
    return std::hash<std::string_view>{}(as_chars(b));
}
bool same_bytes(byte_view a, byte_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
}  // namespace

// The tickets waiting, by a hash of their event's stored bytes (compared in full on every
// lookup), oldest first: almost always one per key.
struct ticket_book {
    std::mutex mutex;
    std::unordered_map<std::size_t, std::vector<std::shared_ptr<verdict_ticket>>> waiting;

    void remove(const verdict_ticket* ticket) {
        std::lock_guard lock(mutex);
        auto it = waiting.find(ticket->bytes_hash_);
        if (it == waiting.end()) return;
        std::erase_if(it->second, [&](const auto& t) { return t.get() == ticket; });
        if (it->second.empty()) waiting.erase(it);
    }
    // The event of a ticket waiting for `stored`, if any.
    std::shared_ptr<const verified_event> find(std::size_t hash, byte_view stored) {
        std::lock_guard lock(mutex);
        auto it = waiting.find(hash);
        if (it == waiting.end()) return nullptr;
        for (const auto& t : it->second)
            if (same_bytes(t->event_->stored(), stored)) return t->event_;
        return nullptr;
    }
    // Takes out the oldest ticket waiting for `stored`, if any.
    std::shared_ptr<verdict_ticket> claim(std::size_t hash, byte_view stored) {
        std::lock_guard lock(mutex);
        auto it = waiting.find(hash);
        if (it == waiting.end()) return nullptr;
        auto& list = it->second;
        auto t = std::find_if(list.begin(), list.end(), [&](const auto& x) {
            return same_bytes(x->event_->stored(), stored);
        });
        if (t == list.end()) return nullptr;
        auto out = std::move(*t);
        list.erase(t);
        if (list.empty()) waiting.erase(it);
        return out;
    }
};

void verdict_ticket::withdraw() {
    if (auto book = book_.lock()) book->remove(this);
}

std::shared_ptr<verdict_ticket> projector::expect(std::shared_ptr<const verified_event> event,
                                                  verdict_ticket::callback done) {
    UURWERK_ASSERT(event != nullptr);
    auto t = std::make_shared<verdict_ticket>(std::move(event), std::move(done));
    t->bytes_hash_ = hash_of_bytes(t->event_->stored());
    t->book_ = tickets_;
    std::lock_guard lock(tickets_->mutex);
    tickets_->waiting[t->bytes_hash_].push_back(t);
    return t;
}

projector::projector(event_log& log, store& db, key_cache& keys, projector_options options)
    : log_(log),
      db_(db),
      keys_(keys),
      options_(options),
      recent_(recent_max),
      tickets_(std::make_shared<ticket_book>()) {
    if (options_.decode_threads == 0)
        options_.decode_threads = std::max(1u, std::thread::hardware_concurrency());
    writer_ = std::thread([this] {
        name_this_thread("uw-store-write");
        write_loop();
    });
}

result<std::unique_ptr<projector>> projector::open(event_log& log, store& db, key_cache& keys,
                                                   projector_options options) {
    auto p = std::unique_ptr<projector>(new projector(log, db, keys, options));
    auto state = load_state(db);
    if (!state) return state.err();
    p->state_ = std::move(state->ledger);
    p->matching_ = std::move(state->matching);
    p->matching_.upkeep = options.queues;
    if (options.queues != queue_upkeep::kept)
        for (auto& [id, c] : p->state_.communities)
            index_posts(p->matching_.of(id), c, options.queues);
    auto audit = audit_trees::load(db);
    if (!audit) return audit.err();
    p->audit_ = std::move(*audit);
    // Every record may add an id: sizing the map once avoids rehashing it as it grows.
    p->state_.seen.reserve(std::max<std::size_t>(p->state_.seen.size(), log.end().value));
    for (const auto& [id, c] : p->state_.communities)
        UURWERK_ASSERT(balance_sum(c) == minutes{0}, id.value, balance_sum(c).value);
    auto applied = db.applied();
    if (!applied) return applied.err();
    if (*applied > log.end())
        return make_error(errc::store_ahead_of_log,
                          "the projection store has applied " + std::to_string(applied->value) +
                              " records but the log holds only " + std::to_string(log.end().value) +
                              ": the store belongs to another log; remove it to rebuild");
    p->applied_.store(applied->value, std::memory_order_release);
    p->folded_ = *applied;
    auto skipped = db.skipped();
    if (!skipped) return skipped.err();
    p->skipped_ = *skipped;
    return p;
}

projector::~projector() {
    stop();
    drain_commits().ignore_error();  // a failure was reported by the apply loop already
    {
        std::lock_guard lock(commit_mutex_);
        writer_stopping_ = true;
    }
    commit_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    // Whoever still waits for a verdict will not get one from this projector: say so, so that
    // a ticket's callback is called exactly once even when the node closes under it.
    decltype(tickets_->waiting) left;
    {
        std::lock_guard lock(tickets_->mutex);
        left.swap(tickets_->waiting);
    }
    for (auto& [hash, tickets] : left)
        for (auto& t : tickets) {
            const auto& b = t->event().body();
            t->fail(make_error(errc::stopped, "the node closed before the event " +
                                                  scoped_id{b.community, b.id}.hex() +
                                                  " was applied; ask for it when it is back"));
        }
}

void projector::start() {
    UURWERK_ASSERT(!thread_.joinable());
    stopping_.store(false);
    thread_ = std::thread([this] {
        name_this_thread("uw-projector");
        run();
    });
}

void projector::stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

void projector::run() {
    bool unavailable = false;  // said once per outage
    while (!stopping_.load(std::memory_order_relaxed)) {
        auto n = apply_batch(options_.idle_wait);
        if (!n && n.err().code == errc::log_unavailable) {
            // A cluster's brokers are away: what is applied stays readable; try again.
            if (!unavailable)
                std::fprintf(stderr, "uurwerk: the log is unavailable (%s); retrying\n",
                             n.err().message.c_str());
            unavailable = true;
            std::this_thread::sleep_for(options_.idle_wait);
            continue;
        }
        if (unavailable && n) {
            std::fprintf(stderr, "uurwerk: the log is back\n");
            unavailable = false;
        }
        if (n && *n == 0) {
            // Idle: surface a failed commit rather than waiting on a writer that has stopped.
            if (auto d = drain_commits(); !d) n = d.err();
        }
        if (!n) {
            std::fprintf(stderr, "uurwerk: projector stopped: %s: %s\n",
                         std::string(name(n.err().code)).c_str(), n.err().message.c_str());
            std::lock_guard lock(failure_mutex_);
            failure_ = n.err();
            return;
        }
    }
}

result<std::uint64_t> projector::catch_up() {
    // Read-ahead: a reader thread reads and decodes the next batches while this thread folds,
    // so that folding (the one step that must be sequential) never waits for the disk or the
    // decoding. At most `ahead_max` decoded batches wait.
    struct ready_batch {
        result<std::vector<log_record>> records = std::vector<log_record>{};
        std::vector<prepared> ready;
    };
    constexpr std::size_t ahead_max = 2;
    std::mutex m;
    std::condition_variable cv;
    std::deque<ready_batch> queue;
    bool reader_done = false, stop_reading = false;
    const offset end = log_.end();
    std::thread reader([&] {
        name_this_thread("uw-read-ahead");
        offset at = folded_;
        while (at < end) {
            ready_batch b;
            b.records = log_.read(
                at, std::min<std::uint64_t>(options_.batch_records_max, end.value - at.value),
                std::chrono::milliseconds(0));
            const bool ok = b.records.ok() && !b.records->empty();
            if (ok) {
                prepare_all(*b.records, b.ready);
                at = offset{at.value + b.records->size()};
            }
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return queue.size() < ahead_max || stop_reading; });
            if (stop_reading) break;
            queue.push_back(std::move(b));
            cv.notify_all();
            if (!ok) break;  // an error, or nothing more to read: the folder sees it
        }
        std::lock_guard lock(m);
        reader_done = true;
        cv.notify_all();
    });
    auto finish = [&](result<std::uint64_t> r) -> result<std::uint64_t> {
        {
            std::lock_guard lock(m);
            stop_reading = true;
        }
        cv.notify_all();
        reader.join();
        if (!r) return r;
        if (auto d = drain_commits(); !d) return d.err();
        return r;
    };
    std::uint64_t total = 0;
    while (folded_ < end) {
        ready_batch b;
        {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return !queue.empty() || reader_done; });
            if (queue.empty()) break;
            b = std::move(queue.front());
            queue.pop_front();
            cv.notify_all();
        }
        if (!b.records) return finish(b.records.err());
        if (b.records->empty()) break;
        auto n = fold_batch(*b.records, b.ready);
        if (!n) return finish(n.err());
        total += *n;
    }
    return finish(total);
}

void projector::write_loop() {
    for (;;) {
        std::unique_lock lock(commit_mutex_);
        commit_cv_.wait(lock, [&] { return pending_commit_.has_value() || writer_stopping_; });
        if (!pending_commit_) return;  // stopping, and nothing left
        commit c = std::move(*pending_commit_);
        pending_commit_.reset();
        committing_ = true;
        const std::optional<error> failed_before = writer_failure_;
        lock.unlock();
        commit_cv_.notify_all();

        std::optional<error> failure;
        if (!failed_before) {
            if (auto w = db_.write(c.batch); !w) failure = w.err();
        }
        if (!failure && !failed_before) {
            {
                std::lock_guard alock(applied_mutex_);
                for (const auto& d : c.decided) recent_[d.at.value % recent_max] = d;
                applied_.store(c.next.value, std::memory_order_release);
            }
            applied_cv_.notify_all();
            for (auto& [ticket, i] : c.tickets) ticket->complete(c.decided[i]);
            if (hook_) hook_(c.decided);
            if (notice_hook_) notice_hook_(c.from, c.next, c.notices);
        } else {
            // Never applied: its submitters learn why (the projector has stopped).
            const error why = failure ? *failure : *failed_before;
            for (auto& [ticket, i] : c.tickets) ticket->fail(why);
        }
        lock.lock();
        committing_ = false;
        if (failure) writer_failure_ = std::move(failure);
        lock.unlock();
        commit_cv_.notify_all();
    }
}

result<void> projector::enqueue_commit(commit c) {
    std::unique_lock lock(commit_mutex_);
    commit_cv_.wait(lock, [&] { return !pending_commit_.has_value(); });
    if (writer_failure_) return *writer_failure_;
    pending_commit_ = std::move(c);
    lock.unlock();
    commit_cv_.notify_all();
    return ok_value;
}

result<void> projector::drain_commits() {
    std::unique_lock lock(commit_mutex_);
    commit_cv_.wait(lock, [&] { return !pending_commit_.has_value() && !committing_; });
    if (writer_failure_) return *writer_failure_;
    return ok_value;
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

std::optional<seen_event> projector::seen(const scoped_id& id) const {
    std::shared_lock lock(state_mutex_);
    auto it = state_.seen.find(id);
    if (it == state_.seen.end()) return std::nullopt;
    return it->second;
}

projector::prepared projector::prepare(log_record& rec) {
    prepared p;
    const auto refuse = [&](reject_reason why, std::string what) {
        p.refused = why;
        p.refused_why = std::move(what);
        return std::move(p);
    };
    // Another program's record that cannot be an event (event_log.h): no event, skipped.
    if (!rec.foreign.empty()) return refuse(reject_reason::malformed_event, rec.foreign);
    // Built only for a refusal: this runs for every record of a rebuild.
    const auto which = [&] {
        return "record " + std::to_string(rec.at.value) + " of " + options_.log_name;
    };
    // A record filed under another community's key is no event of this log (event_log.h).
    const auto keyed_elsewhere = [&](const verified_event& e) {
        if (!rec.keyed || *rec.keyed == e.body().community) return false;
        p.refused = reject_reason::malformed_event;
        p.refused_why = which() + " is keyed with community " + std::to_string(rec.keyed->value) +
                        " but its event is of community " +
                        std::to_string(e.body().community.value);
        return true;
    };
    if (options_.check == signature_check::verify_unless_cached) {
        // The ingest path verified and decoded these very bytes a moment ago.
        p.bytes_hash = hash_of_bytes(rec.payload);
        if ((p.of_ticket = tickets_->find(p.bytes_hash, rec.payload))) {
            if (keyed_elsewhere(*p.of_ticket)) p.of_ticket.reset();
            return p;
        }
    }
    // A record of this node's own log passed the exact check of its form before it was
    // appended, and its CRC was checked as it was read.
    const bool own_log = options_.check == signature_check::trust_local_log;
    const form_check form = own_log ? form_check::trusted : form_check::exact;
    auto env = stored_envelope::read(std::move(rec.payload), form);
    if (!env) {
        return refuse(reject_reason::malformed_event,
                      which() + " is not a stored envelope: " + env.err().message);
    }
    auto decoded = read_event(std::move(*env), form);
    if (!decoded) {
        return refuse(reject_reason::malformed_event,
                      which() + " has a body that does not decode: " + decoded.err().message);
    }
    if (own_log) {
        p.read.emplace(verified_event::from_own_log(std::move(*decoded)));
    } else {
        cache_misses_.fetch_add(1, std::memory_order_relaxed);
        auto verified = verified_event::verify(std::move(*decoded), keys_);
        if (!verified)
            return refuse(reject_reason::bad_signature,
                          which() + " has a signature that does not verify");
        p.read.emplace(std::move(*verified));
    }
    if (keyed_elsewhere(*p.read)) p.read.reset();
    return p;
}

void projector::prepare_all(std::vector<log_record>& records, std::vector<prepared>& out) {
    out.resize(records.size());
    const std::size_t threads =
        records.size() >= 256 ? std::min(options_.decode_threads, records.size() / 128) : 1;
    auto work = [&](std::size_t t) {
        for (std::size_t i = t; i < records.size(); i += threads) out[i] = prepare(records[i]);
    };
    std::vector<std::thread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work, t);
    work(0);
    for (auto& h : helpers) h.join();
}

result<std::size_t> projector::apply_batch(std::chrono::milliseconds wait) {
    auto records = log_.read(folded_, options_.batch_records_max, wait);
    if (!records) return records.err();
    if (records->empty()) return std::size_t{0};
    std::vector<prepared> ready;
    prepare_all(*records, ready);
    return fold_batch(*records, ready);
}

void projector::notice_members(const event_body& b, const verdict& v, offset at,
                               std::span<const history_entry> history,
                               std::span<const std::pair<community_id, event_id>> matches,
                               std::vector<member_notice>& out) const {
    const std::size_t first = out.size();
    auto add = [&](member_id m) {
        for (std::size_t i = first; i < out.size(); ++i)
            if (out[i].member == m) return;
        out.push_back(member_notice{b.community, m, at, b.id, b.kind(), v.reason});
    };
    for (const auto& h : history) add(h.member);
    if (matches.empty()) return;
    auto c = state_.communities.find(b.community);
    if (c == state_.communities.end()) return;
    for (const auto& [_, id] : matches)
        if (auto m = c->second.matches.find(id); m != c->second.matches.end()) {
            add(m->second.requester);
            add(m->second.helper);
        }
}

result<std::size_t> projector::fold_batch(const std::vector<log_record>& records,
                                          std::vector<prepared>& ready) {
    const offset from = folded_;
    UURWERK_ASSERT(!records.empty() && records.front().at == from, from.value);
    // A checkpoint may name an earlier tree size, whose root is read from the kept nodes: let
    // every earlier batch reach the store first (checkpoints are rare).
    const bool has_checkpoint = std::any_of(ready.begin(), ready.end(), [](const prepared& p) {
        return p.event() && p.event()->body().kind() == event_kind::checkpoint;
    });
    if (has_checkpoint)
        if (auto d = drain_commits(); !d) return d.err();
    commit c{db_.make_batch(), {}, offset{from.value + records.size()}, {}, from, {}};
    const bool noticing = static_cast<bool>(notice_hook_);
    c.decided.reserve(records.size());
    const std::uint64_t skipped_before = skipped_;
    fold_effects& fx = effects_;
    fx.clear();
    matching_effects& mfx = matching_effects_;
    mfx.clear();
    outbox_.clear();
    {
        // Readers wait while the state is being changed: take the lock for a few records at a
        // time, so that a large batch (8,192 records in a catch-up) never holds them off for
        // more than about fold_lock_records x 10 us. Readers may see the batch half folded, as
        // they may see any folded record before its commit: the state is always between events.
        std::unique_lock lock(state_mutex_);
        offset expect = from;
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (i > 0 && i % fold_lock_records == 0) {
                lock.unlock();
                lock.lock();
            }
            const auto& rec = records[i];
            // The log hands out records in order without gaps; anything else is a bug.
            UURWERK_ASSERT(rec.at == expect, rec.at.value, expect.value);
            expect = offset{expect.value + 1};
            auto& p = ready[i];
            const verified_event* ev = p.event();
            if (!ev) {
                // No event: skipped, counted with the batch that applies it, said once.
                c.decided.push_back(applied_record{rec.at, scoped_id{}, verdict{p.refused}});
                ++skipped_;
                std::fprintf(stderr,
                             "uurwerk: skipped a record that is no event (%llu so far): %s\n",
                             static_cast<unsigned long long>(skipped_), p.refused_why.c_str());
                continue;
            }
            const event_body& b = ev->body();
            fold_input in{b,      ev->signer(),    ev->body_digest(),
                          rec.at, rec.appended_at, audit_.get()};
            // The verdict fold, then the matching projection (queues, exposure) of what it
            // decided: both under this lock, both written in this batch.
            const std::size_t matches_from = fx.matches.size();
            const std::size_t history_from = fx.history.size();
            const auto replacing = profile_before_in(state_, b);
            verdict v = fold(state_, in, fx);
            fold_matching(matching_, state_, b, v, std::span(fx.matches).subspan(matches_from),
                          mfx);
            if (noticing)
                notice_members(b, v, rec.at, std::span(fx.history).subspan(history_from),
                               std::span(fx.matches).subspan(matches_from), c.notices);
            outbox_items_of(state_, b, v, rec.at, rec.appended_at, outbox_);
            c.decided.push_back(applied_record{rec.at, scoped_id{b.community, b.id}, v});
            if (const auto* gone = std::get_if<member_left>(&b.payload); gone && v.accepted())
                c.decided.back().left = gone->member;
            if (replacing && v.accepted()) c.decided.back().replaced = replacing;
            if (const auto text = text_commitment_of(b);
                text && !v.accepted() && v.reason != reject_reason::duplicate_event &&
                v.reason != reject_reason::id_reused_with_different_content &&
                v.reason != reject_reason::unknown_community)
                c.decided.back().unkept = applied_record::unkept_text{*text, members_concerned(b)};
            // The oldest ticket waiting for these bytes (there may be none left: it was
            // withdrawn, or an earlier record of the same bytes took it) gets this verdict.
            if (p.of_ticket)
                if (auto t = tickets_->claim(p.bytes_hash, ev->stored()))
                    c.tickets.emplace_back(std::move(t), c.decided.size() - 1);
            if (!state_.communities.contains(b.community)) continue;  // not a leaf of any tree
            const std::uint64_t leaf = audit_->size(b.community);
            audit_->add_leaf(b.community, rec.at, rec.appended_at, v.reason, ev->leaf());
            if (const auto* cp = std::get_if<checkpoint>(&b.payload); cp && v.accepted())
                audit_->add_checkpoint(
                    b.community,
                    checkpoint_record{cp->tree_size, cp->root, cp->verdict_root.value_or(digest{}),
                                      cp->timestamp, rec.at, leaf, b.id, ev->signer()});
        }
    }
    // Only this thread changes the state and the trees, so it may read them without the lock
    // while readers hold theirs: encoding the batch's entities does not keep submitters waiting.
    write_effects(state_, fx, c.batch);
    write_matching_effects(matching_, mfx, c.batch);
    audit_->write_batch(c.batch);
    write_outbox(outbox_, c.batch);
    store::set_applied(c.batch, c.next);
    if (skipped_ != skipped_before) store::set_skipped(c.batch, skipped_);
    folded_ = c.next;
    if (auto e = enqueue_commit(std::move(c)); !e) return e.err();
    return records.size();
}

}  // namespace uurwerk
