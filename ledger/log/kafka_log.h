#pragma once
// KafkaLog: the event log in cluster mode, on Apache Kafka through librdkafka.
//
// One kafka_log is ONE PARTITION of the installation's topic: an independent, totally ordered
// log with its own offsets (Kafka's), exactly like a LocalLog. A community's events all go to
// the partition `partition_of(community, partitions_total)` (partition.h), with the community
// as the record key; a node runs one kafka_log (and one projector) per partition it serves.
//
// Writes: an idempotent producer (`enable.idempotence=true`, `acks=all`) to the explicit
// partition. An append is acknowledged (its callback gets the record's Kafka offset) only from
// its delivery report, i.e. once every in-sync replica has it; with `min.insync.replicas` = 2 of
// 3 replicas an acknowledged record survives the loss of any one broker. A payload is checked
// before it is produced: 1 to envelope_bytes_max bytes, an envelope that decodes, of a community
// of this partition; else "bad_record" at once, and nothing is produced.
//
// The producer is a `kafka_producer`, which the kafka_logs of one topic's partitions may share
// (a node does: one producer for all its partitions, not one each): one set of broker
// connections and threads, one delivery-report thread, one idempotent producer id, the topic
// created once. It does not make batches larger: librdkafka 2.0.2 batches per partition and
// sends one partition per produce request (librdkafka issue #1700), shared or not. The
// idempotent producer orders records per partition, so sharing it keeps each partition's order.
//
// Reads: librdkafka's simple consumer on (topic, partition) alone, with no consumer group, so no
// offsets are ever committed (the projector's store is the truth); `read`'s `from` positions it.
// Each record is checked when read. Its offset must follow the last and its timestamp must be
// the broker's LogAppendTime, which becomes `appended_at` (one clock for every reader); else the
// read fails with "bad_record" (records before it are returned): a gap means a compacted or
// damaged topic, and a record without LogAppendTime means the topic's message.timestamp.type
// was changed, which stamps uurwerk's own events so too (the broker stamps every record on a
// LogAppendTime topic, whoever wrote it), so skipping those would drop real events on every
// node; an operator must look. A record whose key is not 8 bytes, or names a community of
// another partition, or whose payload is empty or over envelope_bytes_max bytes, cannot be an
// event uurwerk wrote: it is returned in its place as a foreign record (log_record::foreign says
// why and where; no payload), which the projector skips and counts on every node alike
// (projector.h). Only records below the high watermark (on every in-sync replica) are read;
// `end()` is that watermark.
//
// On open, the topic is created when missing, with `partitions_total` partitions, the
// replication factor, `min.insync.replicas`, `message.timestamp.type=LogAppendTime`, infinite
// retention and `cleanup.policy=delete` (the log is the only truth: Kafka must never expire or
// compact it). An existing topic with another partition count is refused ("topic_mismatch").
//
// Errors: "bad_record" (see above; also a record read back with a gap before it or without
// LogAppendTime),
// "log_full" (more than pending_appends_max appends await their delivery reports),
// "log_unavailable" (no broker took the record within delivery_timeout, or the partition has
// no leader: the outcome of such an append is unknown, the record may still appear; the
// event's id makes a retry a harmless duplicate), "log_closed" (the log is being destroyed),
// "io_error" (the producer hit a fatal error and takes no more appends until the log is
// reopened; the error is the producer's, so every log sharing it fails alike until all of them
// are reopened with a new producer; or a record to be read was deleted from Kafka). open() also
// returns
// "bad_argument" (options out of range), "log_unavailable" (no broker answered within
// open_timeout) and "topic_mismatch".
//
// Threading: see event_log.h. append_async and end() from any thread. read() and lookup() from
// any thread; each has its own consumer (read() the follower, lookup() the lookup reader), and
// calls to each are serialized: a read from another offset than where that consumer's last one
// stopped seeks it (correct, but costs a fetch). Append callbacks run on the producer's
// delivery thread ("uw-kafka-dr", one per producer, shared by its logs: it routes each report to
// its partition's log); they must not open or destroy a log of the same producer. The
// destructor waits up to close_timeout for this log's outstanding deliveries, detaches the log
// from the producer (no callback of it runs after that), then fails the rest with "log_closed"
// from the destroying thread. Their records stay queued in the producer until it is destroyed
// with its last log (it then purges what is left): so a "log_closed" append, like a
// "log_unavailable" one, may or may not reach the partition.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ledger/log/event_log.h"
#include "ledger/log/partition.h"

namespace uurwerk {

struct kafka_log_options {
    std::string bootstrap_servers;         // "host:port,host:port"; required
    std::string topic = "uurwerk-events";  // one topic per installation
    partition_id partition{0};             // the partition this log is; < partitions_total
    std::uint32_t partitions_total = 1;    // the topic's partition count; never changes
    // Used only when the topic is created; an existing topic keeps its own.
    std::uint32_t replication_factor = 3;
    std::uint32_t min_insync_replicas = 2;
    // An append not acknowledged within this time fails with "log_unavailable"
    // (librdkafka's message.timeout.ms; requests and sockets time out within it too).
    std::chrono::milliseconds delivery_timeout{10'000};
    // Bounds connecting, creating the topic and waiting for its leader in open().
    std::chrono::milliseconds open_timeout{30'000};
    // How long the destructor waits for outstanding deliveries.
    std::chrono::milliseconds close_timeout{5'000};
    // How long end() waits for the broker before answering with the last watermark it knew.
    std::chrono::milliseconds end_timeout{2'000};
    // How long the producer waits to batch records (librdkafka's linger.ms). librdkafka 2.0.2's
    // idempotent producer, with its 5 requests in flight taken and more records waiting, spins
    // in poll() until one returns, so a short linger costs CPU; a long one bounds what waiting
    // clients get. 10 ms was kept after trying 5 to 20 ms with `bash ops/bench-kafka.sh` (the
    // figures are in api/bench/benchmarks.md). A lone write waits up to this long before it is
    // sent.
    std::chrono::milliseconds linger{10};
    std::string client_id = "uurwerk";
    // Appends of ONE partition (one kafka_log) accepted but not yet reported delivered; beyond:
    // "log_full". A shared producer's own queue holds this many per partition of the topic
    // (at most 10,000,000 in all, librdkafka's bound; beyond it librdkafka's "queue full" is
    // "log_full" too).
    std::size_t pending_appends_max = uurwerk::pending_appends_max;
    // How to reach the brokers safely: librdkafka's settings of the connection, given to the
    // producer and to every reader as they are: "security.protocol" (plaintext, ssl,
    // sasl_plaintext, sasl_ssl), "ssl.*" (ssl.ca.location, ssl.certificate.location,
    // ssl.key.location, ...), "sasl.*" (sasl.mechanism, sasl.username, sasl.password, ...) and
    // "enable.ssl.certificate.verification". Any other name is refused ("bad_argument"): the
    // log's own settings (acks, idempotence, timeouts) are not to be changed from outside.
    std::vector<std::pair<std::string, std::string>> security{};
};

// The idempotent producer of one topic on one cluster, shared by the kafka_logs of its
// partitions (at most one log per partition at a time). It owns librdkafka's producer (also the
// admin client and the asker of watermarks and metadata) and its delivery-report thread. Opened
// from kafka_log_options: every setting but `partition`, `close_timeout` and `end_timeout` is
// the producer's; a log opened on it must name the same bootstrap servers, topic and partition
// count. open() creates the topic when missing (see above). Lives as long as its last log
// (shared_ptr); destroyed, it purges what its logs left undelivered.
//
// Errors of open(): "bad_argument", "log_unavailable" (no broker within open_timeout; the
// message ends with the last error librdkafka logged, such as a failed TLS handshake).
class kafka_producer {
public:
    [[nodiscard]] static result<std::shared_ptr<kafka_producer>> open(
        const kafka_log_options& options);
    ~kafka_producer();
    kafka_producer(const kafka_producer&) = delete;
    kafka_producer& operator=(const kafka_producer&) = delete;

    // A fatal error (librdkafka 2.0.2's idempotent producer raises one when a broker dies at the
    // wrong moment) stops librdkafka's producer for good. This one then replaces it with a new
    // one of the same configuration, on its delivery-report thread: appends in flight and those
    // made meanwhile fail with log_unavailable (the event may or may not be in the log: send it
    // again unchanged), and appends after that go through the new producer.
    // For tests and drills: raises such a fatal error now (librdkafka's test hook).
    void simulate_fatal_error(const std::string& why);
    // How many times the producer was replaced after a fatal error.
    [[nodiscard]] std::uint64_t replacements() const;

    struct impl;

private:
    friend class kafka_log;
    explicit kafka_producer(std::unique_ptr<impl> impl);
    std::unique_ptr<impl> impl_;
};

class kafka_log final : public event_log {
public:
    // Opens partition `options.partition` with a producer of its own.
    [[nodiscard]] static result<std::unique_ptr<kafka_log>> open(const kafka_log_options& options);
    // Opens it on `producer`, shared with the topic's other partitions. "bad_argument" when the
    // producer is of another cluster, topic or partition count, or already has a log of this
    // partition.
    [[nodiscard]] static result<std::unique_ptr<kafka_log>> open(
        const kafka_log_options& options, std::shared_ptr<kafka_producer> producer);
    ~kafka_log() override;
    kafka_log(const kafka_log&) = delete;
    kafka_log& operator=(const kafka_log&) = delete;

    [[nodiscard]] result<void> append_async(bytes payload, append_callback done) override;
    [[nodiscard]] result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                                       std::chrono::milliseconds wait) override;
    // Served by a second consumer with its own connection and position (see lookup in
    // event_log.h): lookups in offset order cost one fetch per batch, a random one a fetch.
    [[nodiscard]] result<std::vector<log_record>> lookup(offset at, std::size_t records_max,
                                                         std::chrono::milliseconds wait) override;
    // The high watermark, asked of the partition's leader (waiting up to end_timeout); when no
    // broker answers, the highest watermark this log has seen.
    [[nodiscard]] offset end() const override;

    struct impl;

private:
    explicit kafka_log(std::unique_ptr<impl> impl);
    std::unique_ptr<impl> impl_;
};

}  // namespace uurwerk
