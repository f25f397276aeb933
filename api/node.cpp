#include "api/node.h"

#include "ledger/local_log.h"

namespace uurwerk {

log_clock wall_clock() {
    return [] {
        return time_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()};
    };
}

result<std::unique_ptr<node>> node::open(const node_options& options) {
    if (options.kafka) {
        auto log = kafka_log::open(*options.kafka);
        if (!log) return log.err();
        return open_with_log(std::move(*log), options.data_dir / "store", options.apply_timeout,
                             options.catch_up_progress);
    }
    local_log_options lo;
    lo.dir = options.data_dir / "log";
    lo.clock = options.clock;
    auto log = local_log::open(lo);
    if (!log) return log.err();
    return open_with_log(std::move(*log), options.data_dir / "store", options.apply_timeout,
                         options.catch_up_progress);
}

result<std::unique_ptr<node>> node::open_with_log(
    std::unique_ptr<event_log> log, const std::filesystem::path& store_dir,
    std::chrono::milliseconds apply_timeout,
    const std::function<void(offset, offset)>& catch_up_progress) {
    auto n = std::unique_ptr<node>(new node());
    n->apply_timeout_ = apply_timeout;
    n->verifier_ = std::make_unique<verify_pool>(n->keys_, 0, verify_niceness);
    n->log_ = std::move(log);
    auto db = store::open(store_dir);
    if (!db) return db.err();
    n->store_ = std::move(*db);
    auto p = projector::open(*n->log_, *n->store_, n->keys_, projector_options{});
    if (!p) return p.err();
    n->projector_ = std::move(*p);
    // Records appended but not yet applied before a stop are folded now; their signatures are
    // verified again (the cache is empty after a restart).
    if (catch_up_progress) {
        const offset end = n->log_->end();
        auto last = std::chrono::steady_clock::now();
        n->projector_->set_applied_hook([&, end](const std::vector<applied_record>& recs) {
            auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::seconds(1)) return;
            last = now;
            catch_up_progress(offset{recs.back().at.value + 1}, end);
        });
    }
    auto caught = n->projector_->catch_up();
    n->projector_->set_applied_hook({});  // the hook's captures end here
    if (!caught) return caught.err();
    n->projector_->start();
    return n;
}

node::~node() {
    if (projector_) projector_->stop();
}

result<submit_outcome> node::submit(byte_view stored_envelope) {
    if (stored_envelope.size() > envelope_bytes_max)
        return make_error("event_too_large", "a signed event is at most " +
                                                 std::to_string(envelope_bytes_max) + " bytes");
    auto env = decode_envelope(stored_envelope);
    if (!env) return env.err();
    // decode_envelope accepts only canonical bytes: they are what encode_envelope would make.
    return submit_stored(*env, bytes(stored_envelope.begin(), stored_envelope.end()));
}

result<submit_outcome> node::submit(const envelope& e) {
    auto stored = encode_envelope(e);
    if (stored.size() > envelope_bytes_max)
        return make_error("event_too_large",
                          "a signed event is at most " + std::to_string(envelope_bytes_max) +
                              " bytes; this one is " + std::to_string(stored.size()));
    return submit_stored(e, std::move(stored));
}

result<submit_outcome> node::submit_stored(const envelope& e, bytes stored) {
    auto body = decode_body(e.body);
    if (!body) return body.err();
    if (!verifier_->verify(e))
        return make_error("bad_signature",
                          "the signature does not verify for signer " + e.signer.hex() +
                              " over this body (sign \"uurwerk/event/v1\" followed by the body)");

    // Answer a known event with its first verdict, and refuse before the log what the
    // projection plainly cannot accept: one look at the state, under one shared lock.
    const auto body_digest = sha256({e.body});
    const bool founding = body->kind() == event_kind::community_founded;
    auto look = [&] {
        return projector_->read_state(
            [&](const ledger_state& s) -> std::optional<result<submit_outcome>> {
                if (auto first = s.seen.find(body->id);
                    first != s.seen.end() && first->second.body_digest == body_digest)
                    return submit_outcome{body->id, first->second.at, first->second.first, true};
                auto c = s.communities.find(body->community);
                if (c == s.communities.end()) {
                    if (founding) return std::nullopt;
                    return make_error(
                        "unknown_community",
                        "community " + std::to_string(body->community.value) + " does not exist");
                }
                if (!founding && !c->second.keys.contains(e.signer))
                    return make_error("unknown_signer", "the key " + e.signer.hex() +
                                                            " is not registered in community " +
                                                            std::to_string(body->community.value));
                return std::nullopt;
            });
    };
    auto early = look();
    if (early && !*early) {
        // This node's projection may lag the log: in a cluster another node may have taken the
        // write that founded the community or registered the key a moment ago. Refuse only
        // after catching up with the log as it stands now (bounded by the apply timeout).
        const offset end = log_->end();
        if (end > projector_->applied() &&
            projector_->wait_applied(offset{end.value - 1}, apply_timeout_))
            early = look();
    }
    if (early) return std::move(*early);

    // Wait for this event's own verdict: the projector wakes this thread when it has committed
    // the record (which was durable before it could be read), or the log reports a failure.
    const event_id id = body->id;
    auto ticket = projector_->expect(id);
    projector_->note_verified(stored, std::move(*body), e.signer, body_digest);
    auto queued = log_->append_async(std::move(stored), [ticket](result<offset> at) {
        if (!at) ticket->fail(at.err());
    });
    if (!queued) {
        projector_->forget(id, ticket);
        return queued.err();
    }
    auto outcome = ticket->wait(apply_timeout_);
    if (!outcome) {
        projector_->forget(id, ticket);
        return make_error("apply_timeout", "the event " + id.hex() +
                                               " was appended but not applied in time; ask "
                                               "GET /v1/events/" +
                                               id.hex() + " later");
    }
    if (!*outcome) {
        // The append failed: no record will complete this ticket, so take it back (else a later
        // submit of the same event would find it first and wait in vain).
        projector_->forget(id, ticket);
        return outcome->err();
    }
    const applied_record& rec = **outcome;
    if (rec.decided.reason == reject_reason::duplicate_event) {
        auto first = projector_->seen(id);
        UURWERK_ASSERT(first.has_value(), rec.at.value);
        return submit_outcome{id, first->at, first->first, true};
    }
    return submit_outcome{id, rec.at, rec.decided, false};
}

result<log_record> node::record_at(offset at) {
    // A local log answers at once; a Kafka log may have to fetch the record first (with its
    // lookup reader, which leaves the projector's position alone).
    auto records = log_->lookup(at, 1, std::chrono::seconds(5));
    if (!records) return records.err();
    if (records->empty())
        return make_error("not_found", "no record at offset " + std::to_string(at.value));
    return std::move(records->front());
}

}  // namespace uurwerk
