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
#include <vector>

#include "ledger/event.h"

namespace uurwerk {

struct log_record {
    offset at;            // position in the log
    time_ms appended_at;  // the log's clock when appended: the fold's notion of "now"
    bytes payload;        // a stored envelope, exactly as appended
};

// Called once per append, from the log's own thread, when the record is durable (with its
// offset) or has failed. Must be quick and must not call back into the log.
using append_callback = std::function<void(result<offset>)>;

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
};

}  // namespace uurwerk
