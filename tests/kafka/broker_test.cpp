// librdkafka 2.0.2 (Debian 12) against the Apache Kafka release that ops/kafka.sh fetches and
// runs: a topic created through the admin API, an idempotent producer with acks=all whose every
// delivery report comes back, and a consumer that reads everything back in order. On three nodes
// the leader of a partition is killed with SIGKILL in the middle and nothing is lost or doubled.
// Real brokers on 127.0.0.1, started and stopped by the tests themselves (kafka_cluster).

#include <librdkafka/rdkafka.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/kafka_cluster.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using uurwerk::testing::kafka_cluster;
using uurwerk::testing::temp_dir;

constexpr int admin_timeout_ms = 30'000;
constexpr int flush_timeout_ms = 60'000;
constexpr auto consume_timeout = 60s;

struct kafka_deleter {
    void operator()(rd_kafka_t* rk) const {
        rd_kafka_consumer_close(rk);  // a no-op for producers and admin clients
        rd_kafka_destroy(rk);
    }
};
using kafka_handle = std::unique_ptr<rd_kafka_t, kafka_deleter>;

// What the producer's callbacks saw. Callbacks run inside rd_kafka_poll()/flush() on the test's
// own thread, so no lock is needed.
struct producer_events {
    int delivered = 0;
    int failed = 0;
    std::string first_failure;
    std::string fatal_error;
    std::map<int, std::vector<std::int64_t>> offsets_by_partition;  // in delivery order
};

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
    char errstr[512];
    BOOST_REQUIRE_MESSAGE(
        rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) == RD_KAFKA_CONF_OK,
        name << "=" << value << ": " << errstr);
}

kafka_handle make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == nullptr) rd_kafka_conf_destroy(conf);  // rd_kafka_new owns it only on success
    BOOST_REQUIRE_MESSAGE(rk != nullptr, "rd_kafka_new: " << errstr);
    return kafka_handle(rk);
}

rd_kafka_conf_t* base_conf(const kafka_cluster& cluster) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", cluster.bootstrap());
    set(conf, "broker.address.family", "v4");
    set(conf, "log_level", "3");  // errors only: a killed broker is expected to be unreachable
    return conf;
}

void create_topic(const kafka_cluster& cluster, const std::string& topic, int partitions,
                  int replication_factor, int min_insync_replicas) {
    kafka_handle admin = make_client(RD_KAFKA_PRODUCER, base_conf(cluster));
    char errstr[512];
    rd_kafka_NewTopic_t* new_topic =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, errstr, sizeof errstr);
    BOOST_REQUIRE_MESSAGE(new_topic != nullptr, errstr);
    BOOST_REQUIRE(rd_kafka_NewTopic_set_config(new_topic, "min.insync.replicas",
                                               std::to_string(min_insync_replicas).c_str()) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(admin.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    BOOST_REQUIRE(rd_kafka_AdminOptions_set_operation_timeout(options, admin_timeout_ms, errstr,
                                                              sizeof errstr) ==
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
    rd_kafka_CreateTopics(admin.get(), &new_topic, 1, options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, admin_timeout_ms + 5'000);
    std::string failure;
    if (event == nullptr) {
        failure = "no CreateTopics result in time";
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = rd_kafka_event_error_string(event);
    } else {
        size_t count = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
        if (count != 1) {
            failure = "CreateTopics answered for " + std::to_string(count) + " topics";
        } else if (rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* why = rd_kafka_topic_result_error_string(results[0]);
            failure = std::string(rd_kafka_err2str(rd_kafka_topic_result_error(results[0]))) +
                      ": " + (why ? why : "");
        }
    }
    if (event != nullptr) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy(new_topic);
    BOOST_REQUIRE_MESSAGE(failure.empty(), "creating topic " << topic << ": " << failure);
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto& events = *static_cast<producer_events*>(opaque);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (events.failed++ == 0) events.first_failure = rd_kafka_err2str(message->err);
        return;
    }
    ++events.delivered;
    events.offsets_by_partition[message->partition].push_back(message->offset);
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto& events = *static_cast<producer_events*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL && events.fatal_error.empty()) {
        char fatal[512];
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        events.fatal_error = std::string(fatal) + " (" + reason + ")";
    }
}

// The settings KafkaLog will use: idempotent, acks=all, every record's delivery reported.
kafka_handle make_producer(const kafka_cluster& cluster, producer_events& events) {
    rd_kafka_conf_t* conf = base_conf(cluster);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "message.timeout.ms", std::to_string(flush_timeout_ms));
    set(conf, "linger.ms", "5");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, &events);
    return make_client(RD_KAFKA_PRODUCER, conf);
}

std::string key_of(int record) {
    return "community-" + std::to_string(record % 3);
}
std::string value_of(int record) {
    return "record-" + std::to_string(record);
}

// Produces records [first, last) with key_of/value_of and waits for every delivery report.
void produce(rd_kafka_t* producer, const std::string& topic, int first, int last,
             producer_events& events) {
    for (int i = first; i < last; ++i) {
        const std::string key = key_of(i), value = value_of(i);
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int attempt = 0; attempt < 1000; ++attempt) {
            err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                    RD_KAFKA_V_KEY(key.data(), key.size()),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
            rd_kafka_poll(producer, 10);  // serve delivery reports, making room
        }
        BOOST_REQUIRE_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR,
                              "produce " << i << ": " << rd_kafka_err2str(err));
        rd_kafka_poll(producer, 0);
    }
    rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, flush_timeout_ms);
    BOOST_REQUIRE_MESSAGE(flushed == RD_KAFKA_RESP_ERR_NO_ERROR,
                          "flush: " << rd_kafka_err2str(flushed) << "; "
                                    << rd_kafka_outq_len(producer) << " records undelivered");
    BOOST_REQUIRE_MESSAGE(events.fatal_error.empty(), "fatal: " << events.fatal_error);
    BOOST_REQUIRE_MESSAGE(events.failed == 0,
                          events.failed << " records failed, first: " << events.first_failure);
}

// Reads `expected` records from every partition of `topic` from the start; returns the values in
// the order they were read, by partition.
std::map<int, std::vector<std::string>> consume_all(const kafka_cluster& cluster,
                                                    const std::string& topic, int partitions,
                                                    int expected) {
    rd_kafka_conf_t* conf = base_conf(cluster);
    set(conf, "group.id", "uurwerk-broker-test");  // librdkafka's assign() needs one; no join
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    kafka_handle consumer = make_client(RD_KAFKA_CONSUMER, conf);
    rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer.get(), assignment);
    rd_kafka_topic_partition_list_destroy(assignment);
    BOOST_REQUIRE_MESSAGE(assigned == RD_KAFKA_RESP_ERR_NO_ERROR,
                          "assign: " << rd_kafka_err2str(assigned));

    std::map<int, std::vector<std::string>> values;
    std::map<int, std::int64_t> next_offset;
    int received = 0;
    const auto deadline = std::chrono::steady_clock::now() + consume_timeout;
    while (received < expected && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
        if (message == nullptr) continue;
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            // Offsets are dense and in order: nothing skipped, nothing read twice.
            auto [it, _] = next_offset.try_emplace(message->partition, 0);
            BOOST_CHECK_EQUAL(message->offset, it->second);
            it->second = message->offset + 1;
            values[message->partition].emplace_back(static_cast<const char*>(message->payload),
                                                    message->len);
            ++received;
        } else {
            BOOST_TEST_MESSAGE("consumer: " << rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
    }
    BOOST_REQUIRE_MESSAGE(received == expected,
                          "read " << received << " of " << expected << " records in time");
    // Nothing beyond what was produced.
    rd_kafka_message_t* extra = rd_kafka_consumer_poll(consumer.get(), 500);
    if (extra != nullptr) {
        BOOST_CHECK_MESSAGE(extra->err != RD_KAFKA_RESP_ERR_NO_ERROR,
                            "an extra record at offset " << extra->offset);
        rd_kafka_message_destroy(extra);
    }
    return values;
}

// The leader of `partition` of `topic`, by node id (ops/kafka.sh's node N has node.id N).
int leader_of(const kafka_cluster& cluster, const std::string& topic, int partition) {
    kafka_handle client = make_client(RD_KAFKA_PRODUCER, base_conf(cluster));
    rd_kafka_topic_t* handle = rd_kafka_topic_new(client.get(), topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(client.get(), 0, handle, &metadata, 10'000);
    int leader = -1;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
        partition < metadata->topics[0].partition_cnt) {
        leader = metadata->topics[0].partitions[partition].leader;
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
    BOOST_REQUIRE_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR, "metadata: " << rd_kafka_err2str(err));
    BOOST_REQUIRE_MESSAGE(leader >= 0 && leader < cluster.brokers(),
                          "no leader for " << topic << "/" << partition);
    return leader;
}

// Every record in [0, count) was read exactly once, and in the order produced within its key
// (all of one key go to one partition).
void check_every_record_once_in_order(const std::map<int, std::vector<std::string>>& values,
                                      int count) {
    std::map<std::string, int> last_by_key;
    std::vector<int> seen(count, 0);
    for (const auto& [partition, list] : values) {
        for (const auto& value : list) {
            BOOST_REQUIRE(value.rfind("record-", 0) == 0);
            int record = std::stoi(value.substr(7));
            BOOST_REQUIRE(record >= 0 && record < count);
            ++seen[record];
            auto [it, fresh] = last_by_key.try_emplace(key_of(record), record);
            if (!fresh) {
                BOOST_CHECK_MESSAGE(it->second < record, "record " << record << " after "
                                                                   << it->second << " in partition "
                                                                   << partition);
                it->second = record;
            }
        }
    }
    for (int i = 0; i < count; ++i) {
        BOOST_CHECK_MESSAGE(seen[i] == 1, "record " << i << " read " << seen[i] << " times");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_broker)

BOOST_AUTO_TEST_CASE(one_broker_takes_1000_idempotent_acks_all_records_and_gives_them_back) {
    temp_dir dir("kafka1");
    kafka_cluster cluster(dir.path / "cluster", 1);
    const std::string topic = "uurwerk-broker-test";
    constexpr int records = 1000;
    create_topic(cluster, topic, 1, 1, 1);

    producer_events events;
    {
        kafka_handle producer = make_producer(cluster, events);
        produce(producer.get(), topic, 0, records, events);
    }
    BOOST_CHECK_EQUAL(events.delivered, records);
    // One partition, one idempotent producer: offsets 0..999 in the order of the reports.
    const auto& offsets = events.offsets_by_partition[0];
    BOOST_REQUIRE_EQUAL(offsets.size(), std::size_t{records});
    for (int i = 0; i < records; ++i) BOOST_CHECK_EQUAL(offsets[i], i);

    auto values = consume_all(cluster, topic, 1, records);
    BOOST_REQUIRE_EQUAL(values[0].size(), std::size_t{records});
    for (int i = 0; i < records; ++i) BOOST_CHECK_EQUAL(values[0][i], value_of(i));
}

BOOST_AUTO_TEST_CASE(three_nodes_lose_nothing_when_a_leader_is_killed_mid_stream) {
    temp_dir dir("kafka3");
    kafka_cluster cluster(dir.path / "cluster", 3);
    const std::string topic = "uurwerk-broker-test";
    constexpr int partitions = 3, half = 500, records = 2 * half;
    create_topic(cluster, topic, partitions, 3, 2);

    producer_events events;
    kafka_handle producer = make_producer(cluster, events);
    produce(producer.get(), topic, 0, half, events);
    BOOST_REQUIRE_EQUAL(events.delivered, half);

    const int victim = leader_of(cluster, topic, 0);
    BOOST_TEST_MESSAGE("killing node " << victim << ", leader of partition 0");
    cluster.kill(victim);
    // Two of three replicas are still in sync: acks=all with min.insync.replicas=2 holds.
    produce(producer.get(), topic, half, records, events);
    BOOST_REQUIRE_EQUAL(events.delivered, records);
    producer.reset();

    check_every_record_once_in_order(consume_all(cluster, topic, partitions, records), records);

    cluster.start(victim);  // it comes back and catches up; the destructor stops all three
    BOOST_CHECK_MESSAGE(cluster.status().find("state=stopped") == std::string::npos,
                        cluster.status());
}

BOOST_AUTO_TEST_SUITE_END()
