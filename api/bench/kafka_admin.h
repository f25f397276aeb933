#pragma once
// What a Kafka cluster says about itself, and the one administrative act uurwerk needs beside
// creating its topic (kafka_log.h does that): deleting a topic it made for a benchmark.
// Used by `uurwerk bench ingest --kafka`, by the fault tests (which broker leads the partition to
// kill) and by operators' tools. Each call makes its own short-lived librdkafka client; safe
// from any thread. Errors: "bad_argument" (an empty bootstrap list or topic), "log_unavailable"
// (no broker answered within the timeout), "not_found" (the topic does not exist).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/core/base.h"

namespace uurwerk {

struct kafka_partition_view {
    std::int32_t partition = 0;
    std::int32_t leader = -1;  // the leading broker's node.id; -1 while it has none
    std::vector<std::int32_t> replicas;
    std::vector<std::int32_t> in_sync;  // the ISR, as the metadata tells it
};

struct kafka_cluster_view {
    std::vector<std::int32_t> brokers;  // node.ids of the brokers the metadata lists (alive)
    std::vector<kafka_partition_view> partitions;  // of the topic asked about; by partition
};

// The brokers of the cluster at `bootstrap_servers` and, when `topic` is not empty, the
// partitions of `topic` with their leaders and in-sync replicas.
[[nodiscard]] result<kafka_cluster_view> describe_kafka(const std::string& bootstrap_servers,
                                                        const std::string& topic,
                                                        std::chrono::milliseconds timeout);

// Deletes `topic` and every record in it. Only for topics made for a measurement or a test: the
// installation's topic is the only truth and is never deleted by uurwerk.
[[nodiscard]] result<void> delete_kafka_topic(const std::string& bootstrap_servers,
                                              const std::string& topic,
                                              std::chrono::milliseconds timeout);

}  // namespace uurwerk
