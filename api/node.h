#pragma once
// A uurwerk node: the log, the projection store, the projector and the ingest path, wired
// together. Knows nothing of HTTP: the HTTP server, the in-process benchmark and the tests all
// drive a node through submit() and its read functions.
//
// Ingest (submit): bound the size, decode the envelope, verify the signature (on the node's
// verify pool, one thread per core at a lower CPU priority: api/verify_pool.h), refuse what is
// plainly invalid before it reaches the log (an unknown community or signer, once caught up with
// the log; a known id), append (durable, group commit), then wait until the projector has applied
// the record and answer with its verdict.
//
// Threading: submit() and every read function may be called from any number of threads. The
// node owns its log, store and projector; they live as long as the node.

#include <filesystem>
#include <memory>

#include "api/verify_pool.h"
#include "ledger/crypto.h"
#include "ledger/event_log.h"
#include "ledger/kafka_log.h"
#include "ledger/local_log.h"
#include "projections/projector.h"
#include "projections/state_codec.h"
#include "projections/store.h"

namespace uurwerk {

// How much lower the ingest path's signature checks run than the rest of the node (nice).
inline constexpr int verify_niceness = 5;

// The machine's clock as the log's clock (ms since the Unix epoch): what main() wires in.
[[nodiscard]] log_clock wall_clock();

struct node_options {
    std::filesystem::path data_dir;                   // log/ and store/ below it
    log_clock clock;                                  // the log's clock
    std::chrono::milliseconds apply_timeout{10'000};  // how long submit waits for the verdict
    // Called about once a second while open() applies a long log tail: (applied, log end).
    std::function<void(offset, offset)> catch_up_progress = {};
    // Cluster mode: the log is this topic on these Kafka brokers instead of data_dir/log.
    // (For now one partition: every node folds the whole topic.)
    std::optional<kafka_log_options> kafka = std::nullopt;
};

// The answer to a submitted event.
struct submit_outcome {
    event_id id;
    offset at;               // where the event (first) stands in the log
    verdict decided;         // its verdict (the first one, for a duplicate)
    bool duplicate = false;  // the same event was already in the log; nothing was appended
};

class node {
public:
    // Opens (or creates) the node's data, catches the projections up with the log, and starts
    // the projector thread.
    [[nodiscard]] static result<std::unique_ptr<node>> open(const node_options& options);
    // Wraps an existing log (for tests with a fake log, and Kafka later).
    [[nodiscard]] static result<std::unique_ptr<node>> open_with_log(
        std::unique_ptr<event_log> log, const std::filesystem::path& store_dir,
        std::chrono::milliseconds apply_timeout,
        const std::function<void(offset, offset)>& catch_up_progress = {});
    ~node();

    // Errors: "bad_envelope"/"bad_event" (malformed), "event_too_large", "bad_signature",
    // "unknown_community", "unknown_signer" (refused before the log), "log_full",
    // "io_error"/"log_unavailable" (the log failed), "apply_timeout" (appended, but not applied
    // in time; the verdict will still come).
    [[nodiscard]] result<submit_outcome> submit(byte_view stored_envelope);
    // Same, from the three parts (what the JSON API receives).
    [[nodiscard]] result<submit_outcome> submit(const envelope& e);

    // The stored envelope at `at`.
    [[nodiscard]] result<log_record> record_at(offset at);

    event_log& log() { return *log_; }
    store& projections() { return *store_; }
    projector& folder() { return *projector_; }
    key_cache& keys() { return keys_; }

    node(const node&) = delete;
    node& operator=(const node&) = delete;

private:
    node() = default;
    // submit() with the envelope's stored (canonical) bytes at hand.
    [[nodiscard]] result<submit_outcome> submit_stored(const envelope& e, bytes stored);
    key_cache keys_;
    std::unique_ptr<event_log> log_;
    std::unique_ptr<store> store_;
    std::unique_ptr<projector> projector_;
    std::unique_ptr<verify_pool> verifier_;  // the ingest path's signature checks
    std::chrono::milliseconds apply_timeout_{10'000};
};

}  // namespace uurwerk
