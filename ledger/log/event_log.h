#pragma once
// The event log: the only truth. An append-only sequence of records, each a stored envelope
// (see event.h) with the offset and the log's clock at the moment it was appended. Two
// implementations: LocalLog (local_log.h, the embedded default) and KafkaLog (cluster mode).
//
// Threading: append() and append_async() may be called from any thread, concurrently. read()
// may be called from any thread; each reader keeps its own position. All failures are returned
// as values ("log_unavailable", "log_full", "log_closed", "bad_record", "io_error"), none thrown.

#include <chrono>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "ledger/core/event.h"

namespace uurwerk {

struct log_record {
    offset at;            // position in the log
    time_ms appended_at;  // the log's clock when appended: the fold's notion of "now"
    bytes payload;        // a stored envelope, exactly as appended; empty for a foreign record
    // Empty for a record that was appended through an event_log. Otherwise the log holds at
    // `at` a record that another program wrote and that cannot be an event (a KafkaLog record
    // whose key is not a community of its partition, or whose payload is empty or oversized:
    // kafka_log.h): why, naming where it is. It keeps its place (offsets stay dense) and is no
    // event: the projector skips it the same way on every node and counts it (projector.h).
    // A LocalLog never returns one.
    std::string foreign{};
    // The community a KafkaLog record's key names (the producer keys each record with its
    // event's community); none in a LocalLog. The projector refuses a record whose body is of
    // another community: somebody with write access to the topic could otherwise file one
    // community's signed event under another key and partition, and nodes would fold it apart
    // from its community.
    std::optional<community_id> keyed{};
};

// Called once per append, from the log's own thread, when the record is durable (with its
// offset) or has failed. Must be quick and must not call back into the log.
using append_callback = std::function<void(result<offset>)>;

class event_log;

// An append on its way (event_log::announce_append): it ends when released or destroyed,
// which tells the log that the append has been queued or will not come. Move-only; must not
// outlive its log. Threading: used by one thread at a time.
class append_intent {
public:
    append_intent() = default;
    append_intent(append_intent&& o) noexcept : log_(std::exchange(o.log_, nullptr)) {}
    append_intent& operator=(append_intent&& o) noexcept {
        if (this != &o) {
            release();
            log_ = std::exchange(o.log_, nullptr);
        }
        return *this;
    }
    append_intent(const append_intent&) = delete;
    append_intent& operator=(const append_intent&) = delete;
    ~append_intent() { release(); }
    inline void release() noexcept;

private:
    friend class event_log;
    explicit append_intent(event_log* log) : log_(log) {}
    event_log* log_ = nullptr;
};

class event_log {
public:
    virtual ~event_log() = default;

    // Appends `payload` and calls `done` once it is durable. Returns an error at once (and
    // never calls `done`) when the record is too large or the log is full/closed.
    [[nodiscard]] virtual result<void> append_async(bytes payload, append_callback done) = 0;

    // Appends and waits until durable; returns the record's offset.
    [[nodiscard]] virtual result<offset> append(bytes payload);

    // Up to `records_max` records from `from`, waiting up to `wait` for at least one when none
    // is there yet (an empty vector after the wait is not an error).
    [[nodiscard]] virtual result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                                               std::chrono::milliseconds wait) = 0;

    // Like read(), for looking records up where they are (the API's reads of single events,
    // an export): a log may serve these apart from read(), so that a lookup never moves the
    // position of a reader that reads on in order (the projector). By default, read().
    [[nodiscard]] virtual result<std::vector<log_record>> lookup(offset at, std::size_t records_max,
                                                                 std::chrono::milliseconds wait) {
        return read(at, records_max, wait);
    }

    // One past the last durable record.
    [[nodiscard]] virtual offset end() const = 0;
    // Says that an append is on its way (its event is being verified and checked against the
    // state), so that a log that batches its syncs may wait for it rather than sync without
    // it. The caller ends the intent once the append is queued (append_announced) or will not
    // come (release, or let it go). By default nothing waits.
    [[nodiscard]] virtual append_intent announce_append() { return {}; }
    // append_async(), ending `coming` once the record is queued or refused; a log that waits for
    // announced appends ends it with the append, so that the two are seen together.
    [[nodiscard]] virtual result<void> append_announced(bytes payload, append_callback done,
                                                        append_intent coming) {
        auto queued = append_async(std::move(payload), std::move(done));
        coming.release();
        return queued;
    }

protected:
    append_intent intent() { return append_intent(this); }
    // True when `i` is an intent of this log, which it empties without ending: the caller ends
    // it (as intent_ended() would) with what it does next.
    bool disarm(append_intent& i) {
        if (i.log_ != this) return false;
        i.log_ = nullptr;
        return true;
    }
    // An intent of this log ended (released or destroyed); any thread.
    virtual void intent_ended() {}

private:
    friend class append_intent;
};

inline void append_intent::release() noexcept {
    if (log_) std::exchange(log_, nullptr)->intent_ended();
}

}  // namespace uurwerk
