#pragma once
// LocalLog: the embedded, durable event log on local disk.
//
// Format (ledger/FORMAT.md, section 6, documents it for readers of the files): segment files
// `log-<first offset, 20 digits>.seg` in one folder; each record is
//   u32 magic | u32 payload length | u64 offset | i64 appended_at_ms | u32 crc32c | payload
// (little-endian), where the CRC covers length, offset, time and payload.
//
// Durability: an append is acknowledged (its callback runs, append() returns) only after the
// bytes are fdatasync'ed. One writer thread takes every append queued since its last sync and
// writes them with one write and one sync (group commit): concurrent appenders share a sync.
// A sync costs this machine's CPU ~80 us of kernel work however few records it covers, so when
// appenders are busy (the last sync covered more than one record) and appends are on their way
// (announce_append: an event being verified), the writer waits for them to share its next sync
// (as Kafka's linger.ms, PostgreSQL's commit_delay): until none is on its way any more,
// `group_commit_records` are queued or `group_commit_linger` has passed. A little latency for
// fewer syncs while records keep coming; a lone appender, or one nobody follows, never waits.
//
// Recovery: open() scans the segments and checks every record (magic, length, offset, CRC).
// A crash can tear only the end of the last segment (a segment is synced whole before the next
// one starts), so a bad record is a torn tail only when it is in the last segment and no record
// that checks comes after it in that file (every later byte position is tried): then the
// segment is cut at the last good record (and says so on stderr), so a torn record is never
// read. Any other bad record (in an earlier segment, or followed by a good record) is damage to
// acknowledged records: open() returns "corrupt_log", naming the segment file, the byte
// position, the record's expected offset and what did not check, and changes nothing (no byte
// cut, no file deleted). Every record is checked again when it is read back.
//
// A failed write or sync stops the log ("io_error" for every later append, until reopened),
// except for a full disk (ENOSPC, EDQUOT): then the segment is cut back to its last synced
// length and synced, the batch fails with "disk_full", and the next batch is tried afresh, so
// the log writes again once space is freed. A failed sync is never retried as if it succeeded.
//
// Errors of open(): "corrupt_log" (above), "io_error" (the disk, or a segment file missing or
// misnamed), "log_unavailable" (the folder is open in another log, perhaps another process).
//
// Threading: see event_log.h. The writer thread is owned by the LocalLog and joined by its
// destructor, which first finishes what is queued.

#include <filesystem>
#include <functional>
#include <memory>

#include "ledger/log/event_log.h"

namespace uurwerk {

// The log's clock, passed in (tests use a fixed one). Returns ms since the Unix epoch.
using log_clock = std::function<time_ms()>;

struct local_log_options {
    std::filesystem::path dir;                   // created if missing
    std::size_t segment_bytes_max = 256u << 20;  // roll to a new segment beyond this
    // Appends accepted but not yet called back (queued or being written); beyond: "log_full".
    std::size_t pending_appends_max = uurwerk::pending_appends_max;
    log_clock clock;  // required
    // Group commit: while appenders are busy and appends are announced, wait until none is
    // announced any more, up to this long, for this many records.
    std::chrono::microseconds group_commit_linger{2000};
    std::size_t group_commit_records = 96;
    // Called on the writer thread before each group's records are written to the segment, so
    // that what they depend on is durable before any of their bytes can reach the disk (the
    // node's personal-data store: a text is written unsynced and made durable here, once per
    // group, before the event that commits to it). A failure fails the group as a failed sync
    // does, with nothing of it in the file. Empty: nothing.
    std::function<result<void>()> before_sync{};
    // Fault injection for tests: when > 0, the Nth sync (1-based) and all later ones fail
    // with "io_error", as a full or failing disk would.
    std::uint64_t fail_sync_from = 0;
};

class local_log final : public event_log {
public:
    [[nodiscard]] static result<std::unique_ptr<local_log>> open(const local_log_options& options);
    ~local_log() override;

    [[nodiscard]] result<void> append_async(bytes payload, append_callback done) override;
    [[nodiscard]] result<void> append_announced(bytes payload, append_callback done,
                                                append_intent coming) override;
    [[nodiscard]] result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                                       std::chrono::milliseconds wait) override;
    [[nodiscard]] offset end() const override;
    [[nodiscard]] append_intent announce_append() override;

    // How many bytes the recovery scan cut from a torn tail when this log was opened.
    std::uint64_t truncated_bytes_at_open() const;
    // How many data syncs (fdatasync of appended records) have succeeded since open; one sync
    // covers every record of a group commit. For tests and metrics. Any thread.
    std::uint64_t syncs() const;
    // Appends announced (announce_append) whose intents have not ended. Any thread.
    std::size_t appends_coming() const;

    struct impl;

private:
    explicit local_log(std::unique_ptr<impl> impl);
    void intent_ended() override;
    enum class intent_end : std::uint8_t { none, with_append };
    [[nodiscard]] result<void> queue_append(bytes payload, append_callback done, intent_end ends);
    std::unique_ptr<impl> impl_;
};

// An online copy of the LocalLog in `from` (which a running node may be appending to) into the
// new folder `to`: the segment files are copied as they are on disk, in order (every segment
// but the last was complete before the next one started), and the copy is then opened as a log,
// which checks every record and cuts the tail of a record that was being written while it was
// copied: the copy is a prefix of the log, cut at a record boundary, as after a crash. Nothing
// of `from` is changed or locked. Errors: "bad_argument" (`to` exists), "not_found" (no
// segment in `from`), "io_error", "disk_full", and "corrupt_log" when the copy holds damage
// that a write in progress cannot explain (damage in `from`: see open()).
// A record copied while it was written may be one the node then refused (its disk full), so a
// restored copy can hold an event whose writer was told it failed: a valid, signed event.
struct log_copy {
    std::uint64_t records = 0;    // the copy holds offsets [0, records)
    std::uint64_t bytes = 0;      // of segment files, after the cut
    std::uint64_t cut_bytes = 0;  // of a record being written, cut from the last segment
    std::uint64_t segments = 0;
};
[[nodiscard]] result<log_copy> copy_local_log(const std::filesystem::path& from,
                                              const std::filesystem::path& to);

}  // namespace uurwerk
