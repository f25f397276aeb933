#pragma once
// The projector: reads the log in order and folds each record into the ledger state and the
// store, a batch of records at a time, in ONE store WriteBatch that also records the applied
// offset (state and offset never disagree after a crash).
//
// Every record is checked again after it is read back: its envelope must decode (else the
// verdict is malformed_event) and its signature must verify (else bad_signature), unless the
// ingest path has just verified these very bytes (below).
//
// A record that is no event is skipped, the same way on every node: a foreign record (one that
// another program put on a Kafka topic with a key that is not a community of its partition, or
// an empty or oversized payload: log_record::foreign, kafka_log.h) gets the verdict
// malformed_event, as does a record whose envelope does not decode, and one whose signature
// does not verify gets bad_signature. Such a record is not folded and is no Merkle leaf; the
// applied offset moves past it; it is counted in the store ("skipped", store.h), in the batch
// that applies it, so the count is part of the state digest that nodes compare; and it is said
// once on stderr when it is applied (where it is and why). A record without the broker's
// LogAppendTime, or a gap in the offsets, is not skipped: the log's read fails with bad_record
// and the projector stops (see kafka_log.h for why).
//
// Checking a signature costs ~60 us, so the ingest path hands the projector its verified_event
// (ledger/core/verified_event.h: only the verifier makes one) with the verdict ticket it waits
// on (expect()). A record read back whose bytes equal a waiting ticket's (compared in full) is
// the event that was checked, so the ticket's decoding is taken as it was, and the ticket is
// completed when the record's batch is committed. Any other record costs a decoding and a full
// verification, except in `trust_local_log` mode, used to rebuild from a LocalLog this node
// wrote itself (every record in it was verified before it was appended; the CRC guards the bytes
// since): there only the CRC and Cap'n Proto's canonical form are checked (not that the bytes
// are exactly what encoding the value writes: form_check::trusted, ledger/core/event.h), and
// verified_event::from_own_log says so.
// Whoever does not trust this node verifies every signature again offline, from an export
// (`uurwerk audit verify`, ledger/core/audit.h: verify_export).
//
// Pipeline: a batch is read, then decoded and checked on every core (records are independent),
// then folded in order on one thread, then handed to the store-writer thread, which commits it
// while the next batch is folded; applied() moves when the commit is done, and the submitter
// waiting on that record's verdict ticket (expect()) is woken. catch_up() also reads and
// decodes ahead on a reader thread, so that the fold never waits.
//
// Threading: one apply thread, owned by the projector (start/stop), or catch_up() on the
// caller's thread (never both at once), plus the store-writer thread it owns. Readers call
// read_state() from any thread; it runs their function under a shared lock. wait_applied(),
// verdict_at(), seen(), expect() and a ticket's withdraw() are safe from any thread.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "ledger/core/crypto.h"
#include "ledger/core/rules.h"
#include "ledger/core/verified_event.h"
#include "ledger/log/event_log.h"
#include "projections/audit.h"
#include "projections/matching_fold.h"
#include "projections/outbox.h"
#include "projections/store.h"

namespace uurwerk {

enum class signature_check : std::uint8_t {
    verify_unless_cached,  // live: the ingest path verified it a moment ago
    trust_local_log,       // rebuild from this node's own LocalLog: CRC and canonical form only
};

// Records folded under one hold of the state's exclusive lock (about 10 us each).
inline constexpr std::size_t fold_lock_records = 32;

struct projector_options {
    signature_check check = signature_check::verify_unless_cached;
    std::size_t batch_records_max = 8192;  // larger batches write each member's state once
    std::chrono::milliseconds idle_wait{50};
    // Threads that decode and verify a large batch before it is folded (0 = every core).
    std::size_t decode_threads = 0;
    // Keep the live match queues (always, but in `bench match`'s replay without them).
    queue_upkeep queues = queue_upkeep::kept;
    // Names the log in what the projector says on stderr (a node of several: "partition 2").
    std::string log_name = "the log";
};

// What the projector decided for one log record.
struct applied_record {
    offset at;
    scoped_id id;  // zero for a malformed record
    verdict decided;
    // The member who left with this record (an accepted memberLeft), whose personal data every
    // node then erases (api/node/node.h).
    std::optional<member_id> left = std::nullopt;
    // The profile an accepted profileUpdated replaced (its member, event and commitment), whose
    // document every node then erases: a profile is kept only while it is the member's.
    struct replaced_profile {
        member_id member;
        event_id id;
        digest commitment;
    };
    std::optional<replaced_profile> replaced = std::nullopt;
    // A rejected event's text (its commitment, and the members it was kept for): the ledger
    // never uses it, so every node deletes it. Not for a second copy of a known event nor an id
    // used again (their text is the first event's, under the same key), nor an event of no
    // community (its id is not taken: the same event may come again, accepted).
    struct unkept_text {
        digest commitment;
        std::vector<member_id> concerned;
    };
    std::optional<unkept_text> unkept = std::nullopt;
};

// Called after each batch is durable in the store, from the apply thread, with the records it
// decided. Must be quick.
using applied_hook = std::function<void(const std::vector<applied_record>&)>;

// That member `member` has something new to see, because of the event at `at`: a line of their
// history (their own event with its verdict, also when a delegate signed it for them, or one
// that names them: a claim for them to confirm, a confirmation of theirs, an endorsement), or a
// proposal, acceptance, refusal or end of a match where they are the helper or the requester.
// What a member's live page (api/http, the event stream) is told; it says no more than the
// member's own history and proposals do.
struct member_notice {
    community_id community;
    member_id member;
    offset at;
    event_id id;
    event_kind kind;
    reject_reason reason;  // the event's verdict: none when accepted
    bool operator==(const member_notice&) const = default;
};
// Called after each batch is durable, on the same thread as the applied hook, with the offsets
// the batch covers [from, next) and the notices of its records in log order. Must be quick.
using notice_hook =
    std::function<void(offset from, offset next, const std::vector<member_notice>&)>;

struct ticket_book;  // a projector's waiting tickets (projector.cpp)

// A submitter's wait for the verdict of its own event (see projector::expect), carrying the
// event as the submitter verified it: either waited on (wait()), or made with a callback that
// is called once with the outcome instead. Thread-safe: completed by the projector's writer
// thread or by the log's callback thread, waited on by the submitter. A callback runs on the
// completing thread and must be quick.
class verdict_ticket {
public:
    using callback = std::function<void(result<applied_record>)>;
    verdict_ticket(std::shared_ptr<const verified_event> event, callback done)
        : event_(std::move(event)), done_(std::move(done)) {}

    const verified_event& event() const { return *event_; }

    // The committed record of the event, the append's failure, or nothing after `timeout`.
    // Only for a ticket made without a callback.
    [[nodiscard]] std::optional<result<applied_record>> wait(std::chrono::milliseconds timeout);
    // The first of fail() and complete() decides; later calls do nothing.
    void fail(error e);
    void complete(const applied_record& r);
    // Takes the ticket back from the projector that holds it, if it still does: after a
    // timeout, or when the append failed (a later submit of the same event must not find it
    // first and wait in vain). Any thread, also after the projector is gone.
    void withdraw();

private:
    friend class projector;
    friend struct ticket_book;
    void decide(result<applied_record> outcome);

    std::shared_ptr<const verified_event> event_;
    std::size_t bytes_hash_ = 0;       // of event_->stored(): the ticket book's key
    std::weak_ptr<ticket_book> book_;  // set by projector::expect

    std::mutex mutex_;
    std::condition_variable cv_;
    std::optional<result<applied_record>> outcome_;
    bool decided_ = false;
    callback done_;  // set at construction, or empty
};

class projector {
public:
    // Loads the state from `db` and positions the reader at the store's applied offset.
    [[nodiscard]] static result<std::unique_ptr<projector>> open(event_log& log, store& db,
                                                                 key_cache& keys,
                                                                 projector_options options);
    ~projector();  // stops the apply thread

    // Starts the apply thread: it follows the log until stop().
    void start();
    void stop();

    // Applies everything up to the log's current end on the calling thread; returns how many
    // records it applied. For rebuilds, benchmarks and tests.
    [[nodiscard]] result<std::uint64_t> catch_up();

    // One past the last applied offset.
    offset applied() const { return offset{applied_.load(std::memory_order_acquire)}; }
    // Waits until applied() > at, or the timeout. True when applied.
    bool wait_applied(offset at, std::chrono::milliseconds timeout) const;
    // The verdict of a recently applied record (the last 65536), if still remembered.
    std::optional<applied_record> verdict_at(offset at) const;
    // The first verdict and offset of an event id of a community, if the log has it.
    std::optional<seen_event> seen(const scoped_id& id) const;

    // Registers a wait for the next record whose bytes are `event`'s to be committed, and
    // hands the projector the event as verified, so that reading those bytes back costs no
    // second verification. Call before appending them, so the record cannot be missed. Each
    // such record completes the oldest ticket for its bytes. With `done`, the ticket calls it
    // instead of being waited on. withdraw() takes the ticket back.
    [[nodiscard]] std::shared_ptr<verdict_ticket> expect(
        std::shared_ptr<const verified_event> event, verdict_ticket::callback done = {});

    // Runs `fn` with the ledger state under a shared lock; `fn(ledger, matching)` is also given
    // the matching projection (matching_fold.h: the live match queues and the exposure), read
    // under the same lock, so the two always agree.
    template <typename Fn>
    auto read_state(Fn&& fn) const {
        std::shared_lock lock(state_mutex_);
        if constexpr (std::is_invocable_v<Fn&, const ledger_state&, const matching_state&>)
            return fn(static_cast<const ledger_state&>(state_),
                      static_cast<const matching_state&>(matching_));
        else
            return fn(static_cast<const ledger_state&>(state_));
    }

    // The folded Merkle tree of a community (its size and root), and its latest checkpoint.
    [[nodiscard]] std::optional<audit_trees::head> audit_head(community_id c) const {
        std::shared_lock lock(state_mutex_);
        return audit_->tree_head(c);
    }
    [[nodiscard]] std::optional<checkpoint_record> latest_checkpoint(community_id c) const {
        std::shared_lock lock(state_mutex_);
        return audit_->latest_checkpoint(c);
    }

    // Signatures verified again on read-back because the ingest path had not just verified
    // them (after a restart, or records written by another node).
    std::uint64_t signature_cache_misses() const { return cache_misses_.load(); }

    void set_applied_hook(applied_hook hook) { hook_ = std::move(hook); }
    // Set before start() (and not during catch_up()): the hook is read by the writer thread.
    void set_notice_hook(notice_hook hook) { notice_hook_ = std::move(hook); }
    // The first error that stopped the apply thread, if any (the store failed).
    std::optional<error> failure() const;

    projector(const projector&) = delete;
    projector& operator=(const projector&) = delete;

private:
    projector(event_log& log, store& db, key_cache& keys, projector_options options);
    // A record decoded and checked, ready to fold: the event as a ticket holds it, or as
    // prepare() read it, or neither (refused).
    struct prepared {
        std::shared_ptr<const verified_event> of_ticket;  // the ingest path verified these bytes
        std::optional<verified_event> read;               // prepare() decoded (and verified) them
        std::size_t bytes_hash = 0;                       // with of_ticket: the book's key
        reject_reason refused = reject_reason::none;      // malformed_event or bad_signature
        std::string refused_why{};                        // when refused: where and why, for stderr
        const verified_event* event() const {
            return of_ticket ? of_ticket.get() : read ? &*read : nullptr;
        }
    };
    // A folded batch on its way to the store.
    struct commit {
        store::batch batch;
        std::vector<applied_record> decided;
        offset next;
        // The tickets of its records, with the index of their record in `decided`.
        std::vector<std::pair<std::shared_ptr<verdict_ticket>, std::size_t>> tickets;
        offset from;
        std::vector<member_notice> notices;  // only when a notice hook is set
    };
    [[nodiscard]] result<std::size_t> apply_batch(std::chrono::milliseconds wait);
    // Folds records [folded_, ...) that prepare_all has prepared, and hands them to the writer.
    [[nodiscard]] result<std::size_t> fold_batch(const std::vector<log_record>& records,
                                                 std::vector<prepared>& ready);
    // Decodes and checks a record, taking its payload (fold_batch reads only the offsets and
    // times after).
    prepared prepare(log_record& rec);
    // The notices of one folded record (member_notice): one per member of its history lines and
    // per party of the matches it touched, each member once. Under the state's lock.
    void notice_members(const event_body& b, const verdict& v, offset at,
                        std::span<const history_entry> history,
                        std::span<const std::pair<community_id, event_id>> matches,
                        std::vector<member_notice>& out) const;
    void prepare_all(std::vector<log_record>& records, std::vector<prepared>& out);
    void run();
    void write_loop();
    // Hands a folded batch to the writer; waits while one is already waiting.
    [[nodiscard]] result<void> enqueue_commit(commit c);
    // Waits until every handed batch is committed; the writer's error, if any.
    [[nodiscard]] result<void> drain_commits();

    event_log& log_;
    store& db_;
    key_cache& keys_;
    projector_options options_;
    ledger_state state_;
    matching_state matching_;             // changed with state_, under state_mutex_
    std::unique_ptr<audit_trees> audit_;  // changed with state_, under state_mutex_
    mutable std::shared_mutex state_mutex_;

    std::atomic<std::uint64_t> applied_{0};
    mutable std::mutex applied_mutex_;
    // Submitters wait on their own verdict_ticket; this is for the few who wait for an offset.
    mutable std::condition_variable applied_cv_;
    static constexpr std::size_t recent_max = 1 << 16;
    std::vector<applied_record> recent_;  // ring by offset, under applied_mutex_

    // The tickets waiting. Shared, so that a withdrawal outliving the projector finds it gone
    // instead of dangling.
    std::shared_ptr<ticket_book> tickets_;

    std::atomic<std::uint64_t> cache_misses_{0};

    offset folded_;  // one past the last folded record (ahead of applied_ while committing)
    std::uint64_t skipped_ = 0;  // records folded_ passed that were no event; the fold's thread
    fold_effects effects_;       // of the batch being folded; kept to reuse its vectors' memory
    matching_effects matching_effects_;  // the same for the matching projection
    std::vector<outbox_item> outbox_;    // the outbox items of the batch being folded

    std::mutex commit_mutex_;
    std::condition_variable commit_cv_;
    std::optional<commit> pending_commit_;
    bool committing_ = false;
    bool writer_stopping_ = false;
    std::optional<error> writer_failure_;
    std::thread writer_;

    applied_hook hook_;
    notice_hook notice_hook_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    mutable std::mutex failure_mutex_;
    std::optional<error> failure_;
};

}  // namespace uurwerk
