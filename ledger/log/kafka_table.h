#pragma once
// kafka_table: a key-value table kept in a COMPACTED Kafka topic (cleanup.policy=compact), for
// what is not the log: the personal-data store of a cluster (api/node/node.h) is replicated
// through one, beside the event topic. Each record is one item: its key, and its value, or no
// value (a tombstone) for an erased item. Kafka keeps the last record of each key; compaction
// drops the older ones, and a tombstone itself after `tombstone_retention`.
//
// Writes: an idempotent producer (`acks=all`) to an explicit partition (the writer chooses it:
// the node takes the partition of the item's community, so every record of a community, its
// tombstones included, is in one partition, in order). write() returns once every record of the
// call is on every in-sync replica, or with the first failure.
//
// Reads: one consumer of every partition (librdkafka's simple consumer on a queue, no consumer
// group, nothing committed): start() positions it (each partition at the offset its reader
// stored, or at the start), poll() returns the next records of any partition, each
// partition's in order. Offsets have gaps (compaction); positions() says where each partition
// stands after what poll() returned.
//
// How long an overwritten or erased value stays on a broker's disk (see ops/README.md,
// "Personal data on Kafka"): the cleaner never touches the active segment, so a tombstone
// waits until its segment is rolled (`segment`: at the first append after it is that old), then
// until the cleaner takes the partition (at most `compaction_lag_max` after, once it has rolled,
// or sooner when `dirty_ratio_min` of it is dirty; plus the broker's log.cleaner.backoff.ms);
// the cleaned segment replaces the old files, which are deleted `file_delete_delay` later.
// Because a segment only rolls on an append, a table that wrote a tombstone appends a roll
// marker (key `roll_marker_key`, never returned by poll()) to that partition once `segment` has
// passed (from poll(), so a table must be polled): so the bound holds on a quiet topic too.
//
// Errors: "bad_argument" (options), "log_unavailable" (no broker in time; a write may or may
// not have landed: writing the same item again is harmless), "log_full", "io_error" (fatal
// producer error).
//
// Threading: write() from any thread. start(), poll() and positions() from one thread (the
// reader). Owns its producer and consumer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ledger/log/partition.h"

namespace uurwerk {

// The topic settings that bound how long a value stays after it is overwritten or erased.
// Defaults for a production installation: a text erased is gone from every broker's disk in
// about segment + compaction_lag_max + file_delete_delay (2 h 1 min) plus the cleaner's
// backoff; a tombstone (a key only, no text) stays a day so that a node that was away sees it.
struct table_compaction {
    std::chrono::milliseconds segment{3'600'000};               // segment.ms
    std::chrono::milliseconds compaction_lag_max{3'600'000};    // max.compaction.lag.ms
    double dirty_ratio_min = 0.1;                               // min.cleanable.dirty.ratio
    std::chrono::milliseconds tombstone_retention{86'400'000};  // delete.retention.ms
    std::chrono::milliseconds file_delete_delay{60'000};        // file.delete.delay.ms
};

struct kafka_table_options {
    std::string bootstrap_servers;  // required
    std::string topic;              // required
    std::uint32_t partitions_total = 1;
    // Used only when the topic is created; an existing topic keeps its own.
    std::uint32_t replication_factor = 3;
    std::uint32_t min_insync_replicas = 2;
    table_compaction compaction{};
    std::chrono::milliseconds delivery_timeout{5'000};  // a write not delivered by then fails
    std::chrono::milliseconds open_timeout{30'000};
    std::string client_id = "uurwerk";
    // The connection's settings, as kafka_log_options::security (same names allowed).
    std::vector<std::pair<std::string, std::string>> security{};
};

// The key of the roll markers; not a key a writer may use.
inline constexpr std::string_view roll_marker_key = "\xff/roll";

struct table_write {
    partition_id partition;
    std::string key;                   // 1 byte or more
    std::optional<std::string> value;  // none: a tombstone
};

struct table_record {
    partition_id partition;
    offset at;
    std::string key;
    std::optional<std::string> value;  // none: a tombstone
};

class kafka_table {
public:
    // Connects, creates the topic when missing (compacted, with `compaction`), and waits until
    // each partition has a leader. An existing topic with another partition count:
    // "topic_mismatch".
    [[nodiscard]] static result<std::unique_ptr<kafka_table>> open(
        const kafka_table_options& options);
    ~kafka_table();
    kafka_table(const kafka_table&) = delete;
    kafka_table& operator=(const kafka_table&) = delete;

    // Writes every record and waits for all of them (up to delivery_timeout).
    [[nodiscard]] result<void> write(std::span<const table_write> records);

    // Starts the reader: partition p at `from[p]` (an offset no longer in the partition, or 0:
    // its start). `from` has one position per partition. Once.
    [[nodiscard]] result<void> start(std::span<const offset> from);
    // The next records, at most `records_max`, waiting up to `wait` for the first.
    [[nodiscard]] result<std::vector<table_record>> poll(std::size_t records_max,
                                                         std::chrono::milliseconds wait);
    // Where each partition's reader stands: one past the last record poll() went over.
    [[nodiscard]] std::vector<offset> positions() const;
    // Each partition's high watermark (asked of the brokers, up to `wait`).
    [[nodiscard]] result<std::vector<offset>> ends(std::chrono::milliseconds wait) const;

    std::uint32_t partitions() const;

    struct impl;

private:
    explicit kafka_table(std::unique_ptr<impl> impl);
    std::unique_ptr<impl> impl_;
};

}  // namespace uurwerk
