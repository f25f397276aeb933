#pragma once
// A uurwerk node: the log, the projection store, the projector and the ingest path, wired
// together. Knows nothing of HTTP: the HTTP server, the in-process benchmark and the tests all
// drive a node through submit() and its read functions.
//
// Ingest (submit): bound the size, decode the body, verify the signature (on the caller's
// thread: callers run on every core), refuse what is plainly invalid before it reaches the log (an
// unknown community or signer, once caught up with the log; a known id), append (durable, group
// commit), then wait until the projector has applied the record and answer with its verdict.
// The envelope arrives in its stored form (ledger/core/event.h: stored_envelope, encoded once
// by whoever made it, or read from bytes), and those bytes are appended as they are; the event
// as verified goes to the projector with the verdict ticket (ledger/core/verified_event.h), so
// the projector need not verify it again when it reads the record back.
//
// Personal data (AVG). An event's free text is not in the log: its body carries a commitment
// (ledger/core/personal.h), and the text travels beside the envelope. admit() checks the two
// agree before anything is written ("personal_data_mismatch"), and keeps the text in the
// personal-data store (projections/personal_store.h, the folder `personal` beside `store`),
// synced, before the event is appended. If the append then fails the text stays, unreferenced,
// under the event's id and commitment: harmless, and overwritten if the event is sent again.
//
// In a cluster the personal-data store is replicated through a compacted Kafka topic beside the
// event topic (`TOPIC-personal`, as many partitions; ledger/log/kafka_table.h): every item the
// store keeps or erases (personal_store.h: its sink) is written there, keyed by the store's own
// key, in the partition of its community, and delivered (acks=all) before the event is
// appended; an erasure is a tombstone for every key of the member, written before the local
// delete. Every node, the writer too, follows the topic on a thread of its own ("uw-personal")
// into its own personal/ store, checking each item (a text against its commitment) before it
// keeps it: a refused item is logged and counted (personal_items_refused), never served. A text
// written through another node is there once this node's reader has reached it (usually within
// a second; personal_text_of answers none before). Each node still erases a member who left
// when it applies the memberLeft (idempotent: nothing left, nothing written).
//
// Partitions. A node serves every partition of its log: one partition for a LocalLog, P for a
// Kafka topic of P partitions (`node_options::kafka->partitions_total`). A community's events
// all go to the partition `partition_of(community, P)` (ledger/log/partition.h), so each community
// is totally ordered within one partition. Each partition has its own event_log, its own store
// and its own projector, i.e. its own ledger_state, folded from that partition's records alone:
// of state, nothing is shared between partitions (the signature cache and, on Kafka, the
// producer are shared, but decide nothing).
// So however a node interleaves its partitions, each partition's state, verdicts and digest
// are a function of that partition's log, and nodes agree. Partition p's store is the folder
// `store` for p = 0 (a one-partition node keeps the layout it always had) and `store-p` for the
// others; each commits its state with its own applied offset in ONE WriteBatch (see
// projections/projector.h), so a restart resumes each partition exactly where its state stands.
// Offsets are per partition: an offset means nothing without its partition (submit_outcome,
// find_event and the API name both). An event id is remembered per community (ledger_state's
// `seen`, by scoped_id): the same id in two communities is two events. On Kafka, the
// partitions' logs share one producer (ledger/log/kafka_log.h: one set of broker connections; its
// fatal error stops every partition's writes, "io_error" until the node is reopened; each log
// bounds its own appends in flight, pending_appends_max per partition).
//
// Threading: submit() and every read function may be called from any number of threads. The
// node owns its logs, stores and projectors; they live as long as the node.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "api/node/interval_thread.h"
#include "api/node/member_feed.h"
#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "ledger/core/profile.h"
#include "ledger/log/event_log.h"
#include "ledger/log/kafka_log.h"
#include "ledger/log/kafka_table.h"
#include "ledger/log/local_log.h"
#include "ledger/log/partition.h"
#include "projections/personal_store.h"
#include "projections/projector.h"
#include "projections/query.h"
#include "projections/state_codec.h"
#include "projections/store.h"

namespace uurwerk {

// The store folder of partition `p` of a node whose partition 0 has `store_dir`.
[[nodiscard]] std::filesystem::path store_dir_of(const std::filesystem::path& store_dir,
                                                 partition_id p);

// Opens a node's projection store in `dir` and verifies its checksums (the whole store is read:
// damage is found at start, not by a later read). Damage is "store_corrupt" with what was found
// and what to run: the log is the truth, so `uurwerk rebuild --data <the folder holding dir>`
// rebuilds the store from it (or, on Kafka, moving `dir` aside makes the node fold the topic
// again). Other errors as store::open.
[[nodiscard]] result<std::unique_ptr<store>> open_checked_store(const std::filesystem::path& dir);

// The machine's clock as the log's clock (ms since the Unix epoch): what main() wires in.
[[nodiscard]] log_clock wall_clock();

struct node_options {
    std::filesystem::path data_dir;                   // log/, store/ and personal/ below it
    log_clock clock;                                  // the log's clock
    std::chrono::milliseconds apply_timeout{10'000};  // how long submit waits for the verdict
    // Called about once a second while open() applies a long log tail: (applied, log end).
    std::function<void(offset, offset)> catch_up_progress = {};
    // Cluster mode: the log is this topic on these Kafka brokers instead of data_dir/log. The
    // node serves every partition of it (partitions_total; `partition` is ignored).
    std::optional<kafka_log_options> kafka = std::nullopt;
    // Whether `founder` may found a community (api/node/founders.h: the operator's consent), asked
    // before the log for every founding event; an error refuses it. Empty: anyone may (tests and
    // benchmarks in a folder of their own). Called from submitting threads.
    std::function<result<void>(const public_key& founder)> founding_gate = {};
    // Cluster mode: how long the personal-data topic keeps an erased value (kafka_table.h;
    // used when the node creates the topic).
    table_compaction personal_compaction{};
    // How often the node deletes the texts past their community's retention period
    // (sweep_retention), besides once in open(); 0: only in open() and when called.
    std::chrono::milliseconds retention_sweep_interval{std::chrono::hours(1)};
};

// The answer to a submitted event.
struct submit_outcome {
    event_id id;
    partition_id partition;  // the partition of the event's community
    offset at;               // where the event (first) stands in that partition
    verdict decided;         // its verdict (the first one, for a duplicate)
    bool duplicate = false;  // the same event was already in the log; nothing was appended
};

class node {
public:
    // Opens (or creates) the node's data, catches the projections up with the log, and starts
    // the projector thread. In cluster mode the data folder records the topic and partition
    // count it was folded from (`DIR/cluster`, written after the first open); started on
    // another topic or partition count, or on a folder that holds an embedded log, open()
    // refuses with "data_mismatch" before it connects.
    [[nodiscard]] static result<std::unique_ptr<node>> open(const node_options& options);
    // Wraps an existing log (for tests with a fake log).
    [[nodiscard]] static result<std::unique_ptr<node>> open_with_log(
        std::unique_ptr<event_log> log, const std::filesystem::path& store_dir,
        std::chrono::milliseconds apply_timeout,
        const std::function<void(offset, offset)>& catch_up_progress = {});
    // Wraps existing logs, logs[p] being partition p (at least one): partition p's store is
    // store_dir_of(store_dir, p). The personal-data store is `personal` beside `store_dir`.
    // `catch_up_progress` gets (applied, end) summed over them. With `personal_topic`, the
    // personal-data store is replicated through it (see above).
    [[nodiscard]] static result<std::unique_ptr<node>> open_with_logs(
        std::vector<std::unique_ptr<event_log>> logs, const std::filesystem::path& store_dir,
        std::chrono::milliseconds apply_timeout,
        const std::function<void(offset, offset)>& catch_up_progress = {},
        std::unique_ptr<kafka_table> personal_topic = nullptr);
    ~node();

    // Errors: "bad_envelope"/"bad_event" (malformed), "event_too_large", "bad_signature",
    // "unknown_community", "unknown_signer", "signer_revoked", "member_suspended",
    // "invitation_unknown", "invitation_used", "invitation_expired" (a key the community does
    // not know redeeming an invitation: projections/query.h, before_the_log) and what the
    // founding gate answers (refused before the log), "log_full",
    // "io_error"/"log_unavailable" (the log failed), "apply_timeout" (appended, but not applied
    // in time; the verdict will still come).
    // "personal_data_mismatch": the personal text sent (or not sent) with the event does not
    // match the commitment in its body (refused before anything is written).
    [[nodiscard]] result<submit_outcome> submit(byte_view stored);
    // submit() without waiting: `done` is called exactly once with what submit() would answer
    // (but never "apply_timeout": no timeout applies). It is called on the calling thread when
    // the answer is known before the log (malformed, bad signature, refused, a known event, the
    // log full), else on the projector's writer thread once the verdict is committed, on the
    // log's thread if the append fails, or with "stopped" if the node closes first. It runs on
    // the node's threads, so it must be quick. Verification runs on the calling thread, as in
    // submit(); a caller keeps its own bound on the events it has in flight.
    using submit_callback = std::function<void(result<submit_outcome>)>;
    void submit_async(byte_view stored, submit_callback done);
    void submit_async(stored_envelope e, submit_callback done);
    void submit_async(stored_envelope e, std::optional<personal_text> personal,
                      submit_callback done);
    // How long submit() waits for a verdict, and its "apply_timeout" error for event `id`: what
    // a caller of submit_async() that keeps its own timeout answers.
    std::chrono::milliseconds apply_timeout() const { return apply_timeout_; }
    [[nodiscard]] static error apply_timed_out(const scoped_id& id);
    // Same, from an envelope already in its stored form (what the JSON API decodes to, and
    // what the node's own signers make).
    [[nodiscard]] result<submit_outcome> submit(stored_envelope e);
    // With the personal text the event's body commits to (none: it commits to none).
    [[nodiscard]] result<submit_outcome> submit(stored_envelope e,
                                                std::optional<personal_text> personal);

    // The text event `id` of community `c` committed to, from the personal-data store: none
    // when the event committed to none, or its text was erased or (in a cluster) was written
    // through another node. Errors: "store_error".
    [[nodiscard]] result<std::optional<std::string>> personal_text_of(
        community_id c, const event_id& id, const text_commitment& commitment) const;
    personal_store& personal() { return *personal_; }

    // What each member has new to see, as the projectors apply it (api/node/member_feed.h): the
    // live pages' event streams listen here.
    member_feed& feed() { return *feed_; }

    // The retention period (AVG; ledger/core/retention.h): deletes from the personal-data store
    // every text of a closed post or a settled claim that is due at `now` under its community's
    // policy, as every partition's state has them (texts_due), in one write with one flush and
    // compaction (personal_store::erase_texts: physically gone; in a cluster their tombstones go
    // through the topic first, as a member's erasure's do). Reads then answer no text, as for an
    // erased one. Idempotent; returns how many texts it deleted, and logs it when any. open()
    // runs it once with the log's clock (an error fails the open, as an erasure's does), then
    // every node_options::retention_sweep_interval on a thread of its own ("uw-retention"):
    // not on a projector's writer thread, which a compaction would hold up; the store takes
    // writes from any thread. It also makes physically gone the texts of rejected events, which
    // the projector's hook deletes (not compacts) as they are decided
    // (personal_store::delete_unkept). Calls are serialized. Errors: "store_error", the topic's.
    [[nodiscard]] result<std::size_t> sweep_retention(time_ms now);
    // Cluster mode: items read from the personal-data topic that were refused (a text that does
    // not match its commitment, a malformed key), since the node opened.
    std::uint64_t personal_items_refused() const { return personal_refused_.load(); }

    // Waits until this node has applied community `c`'s partition of the log as it stands now,
    // at most `wait` (and the log's own bound on asking for its end: with Kafka, a broker round
    // trip of at most end_timeout): a read that follows a write taken by another node of a
    // cluster then sees it. False when the time ran out.
    bool catch_up_with_log(community_id c, std::chrono::milliseconds wait);

    // The stored envelope at `at` of partition `p`, or of community `c`'s partition.
    [[nodiscard]] result<log_record> record_at(partition_id p, offset at);
    [[nodiscard]] result<log_record> record_at(community_id c, offset at) {
        return record_at(partition_of(c), at);
    }

    // Where an event id of community `c` stands, if the log has it.
    struct found_event {
        partition_id partition;
        seen_event first;
    };
    [[nodiscard]] std::optional<found_event> find_event(const scoped_id& id) const;

    // The digest of every partition's projections (each one snapshot), and how many records
    // each has applied.
    struct partition_digest {
        offset applied;
        digest state;
        std::uint64_t skipped = 0;  // applied records that were no event (projector.h)
    };
    struct state_digests {
        std::vector<partition_digest> partitions;  // by partition
        std::uint64_t applied_total = 0;           // the sum of their applied offsets
        std::uint64_t skipped_total = 0;           // the sum of their skipped records
        digest combined;                           // combine_partition_digests of theirs
    };
    [[nodiscard]] result<state_digests> state_digest() const;

    // How far each partition's projector is (for health and metrics). Asks each log for its
    // end: with Kafka, a broker round trip per partition (bounded by its end_timeout).
    struct partition_progress {
        offset log_end;
        offset applied;
    };
    struct progress_report {
        std::vector<partition_progress> partitions;  // by partition
        std::uint64_t log_end_total = 0;
        std::uint64_t applied_total = 0;
        std::size_t communities = 0;
        std::optional<error> failure;  // the first partition's projector failure, if any
    };
    [[nodiscard]] progress_report progress() const;

    std::uint32_t partitions() const { return static_cast<std::uint32_t>(parts_.size()); }
    // Every community of every partition where `node_key` is announced (projections/query.h).
    [[nodiscard]] std::vector<query::announced_in> communities_announcing(
        const public_key& node_key) const;
    partition_id partition_of(community_id c) const {
        return uurwerk::partition_of(c, partitions());
    }
    event_log& log(partition_id p) { return *part(p).log; }
    store& projections(partition_id p) { return *part(p).db; }
    projector& folder(partition_id p) { return *part(p).folder; }
    const projector& folder(partition_id p) const { return *part(p).folder; }
    // Of community `c`'s partition.
    event_log& log(community_id c) { return log(partition_of(c)); }
    store& projections(community_id c) { return projections(partition_of(c)); }
    projector& folder(community_id c) { return folder(partition_of(c)); }
    key_cache& keys() { return keys_; }

    node(const node&) = delete;
    node& operator=(const node&) = delete;

private:
    node() = default;
    // An event that passed the checks before the log, ready to append.
    struct admitted_event {
        scoped_id id;
        partition_id partition;
        std::shared_ptr<const verified_event> event;
        append_intent coming;  // announced to the log before verifying; ended by enqueue
    };
    // The personal-data topic's reader: applies what it reads to personal_ until closing_.
    void follow_personal_topic();
    // Erases the personal data of every member who left, as `folder`'s state has them.
    [[nodiscard]] result<void> erase_left_members(const projector& folder);
    // Deletes the texts of no accepted event in the log (personal_store::delete_orphans), and
    // says so on stderr when there were any; not on a cluster node's folder, an empty log or
    // one with records skipped as no event (it says why). The embedded node, when it opens:
    // nothing is on its way to the log yet. The retention sweep, next, makes them gone.
    [[nodiscard]] result<void> delete_orphan_texts(const std::filesystem::path& data_dir);
    // Sweeps once with `o.clock` and starts the retention thread (open(); nothing without a
    // clock).
    [[nodiscard]] result<void> start_retention(const node_options& o);
    // The checks before the log (bound the size, decode the body, verify, look at the state):
    // the answer when they give one, else the event to append.
    [[nodiscard]] std::variant<result<submit_outcome>, admitted_event> admit(
        stored_envelope e, std::optional<personal_text> personal);
    // Registers the event's ticket (calling `done`, if any) and queues its append.
    [[nodiscard]] result<std::shared_ptr<verdict_ticket>> enqueue(admitted_event& a,
                                                                  verdict_ticket::callback done);
    // The answer for a committed record of event `id` (its first verdict for a duplicate).
    [[nodiscard]] submit_outcome outcome_of(partition_id partition, const scoped_id& id,
                                            const applied_record& rec) const;
    // One partition of the log and what is folded from it (destroyed folder first).
    struct partition_part {
        std::unique_ptr<event_log> log;
        std::unique_ptr<store> db;
        std::unique_ptr<projector> folder;
    };
    partition_part& part(partition_id p) {
        UURWERK_ASSERT(p.value < parts_.size(), p.value, parts_.size());
        return parts_[p.value];
    }
    const partition_part& part(partition_id p) const {
        UURWERK_ASSERT(p.value < parts_.size(), p.value, parts_.size());
        return parts_[p.value];
    }
    key_cache keys_;  // shared by every partition's projector and the ingest path
    std::function<result<void>(const public_key&)> founding_gate_;  // set by open(), then read
    // The log's clock, for what the node judges before the log (an invitation's expiry): set by
    // open(), then read; the machine's clock for a node opened on a log of a test's.
    log_clock clock_ = wall_clock();
    // Cluster mode: the personal-data topic (personal_'s sink writes to it), and its reader.
    std::unique_ptr<kafka_table> personal_topic_;
    std::vector<partition_part> parts_;
    std::unique_ptr<personal_store> personal_;
    std::unique_ptr<member_feed> feed_;  // made before the projectors start; outlives them
    // How a submitted text is made durable before its event: synced at once (a cluster: the
    // text also goes to the replication topic first), or by the embedded log's writer before
    // each group's records are written (node::open wires local_log_options::before_sync).
    text_durability text_durability_ = text_durability::synced_now;
    std::atomic<bool> closing_{false};
    std::atomic<std::uint64_t> personal_refused_{0};
    std::thread personal_reader_;
    std::chrono::milliseconds apply_timeout_{10'000};
    std::mutex sweep_mutex_;  // one retention sweep at a time
    std::unique_ptr<interval_thread> retention_ticker_;
};

// Member `m`'s profile (ledger/core/profile.h) from the node's personal-data store; none when
// they set none, or it was erased. Errors: store_error (a stored document that no longer
// parses: a damaged store). Any thread.
[[nodiscard]] result<std::optional<member_profile>> profile_of(node& n, community_id c,
                                                               const query::member_row& m);

}  // namespace uurwerk
