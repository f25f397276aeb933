#include "api/bench/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>

namespace uurwerk {
namespace {

struct client_deleter {
    void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
using client_handle = std::unique_ptr<rd_kafka_t, client_deleter>;

int to_int_ms(std::chrono::milliseconds d) {
    return static_cast<int>(std::clamp<std::int64_t>(d.count(), 1, 0x7fffffff));
}

// A producer handle used only for metadata and admin requests (it never produces).
result<client_handle> admin_client(const std::string& bootstrap_servers,
                                   std::chrono::milliseconds timeout) {
    if (bootstrap_servers.empty()) return make_error(errc::bad_argument, "no bootstrap servers");
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char why[512];
    const std::string timeout_ms = std::to_string(std::max(to_int_ms(timeout), 10));
    for (const auto& [name, value] :
         {std::pair<const char*, std::string>{"bootstrap.servers", bootstrap_servers},
          {"client.id", "uurwerk-admin"},
          {"socket.timeout.ms", timeout_ms},
          {"log.connection.close", "false"}}) {
        if (rd_kafka_conf_set(conf, name, value.c_str(), why, sizeof why) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return make_error(errc::bad_argument, std::string(name) + ": " + why);
        }
    }
    rd_kafka_t* k = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (k == nullptr) {
        rd_kafka_conf_destroy(conf);
        return make_error(errc::bad_argument, std::string("a Kafka client: ") + why);
    }
    return client_handle(k);
}

}  // namespace

result<kafka_cluster_view> describe_kafka(const std::string& bootstrap_servers,
                                          const std::string& topic,
                                          std::chrono::milliseconds timeout) {
    auto client = admin_client(bootstrap_servers, timeout);
    if (!client) return client.err();
    rd_kafka_topic_t* t =
        topic.empty() ? nullptr : rd_kafka_topic_new(client->get(), topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(client->get(), t == nullptr ? 1 : 0, t, &md, to_int_ms(timeout));
    if (t != nullptr) rd_kafka_topic_destroy(t);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error(errc::log_unavailable,
                          "the metadata of " + bootstrap_servers + ": " + rd_kafka_err2str(err));
    }
    std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> owned(
        md, rd_kafka_metadata_destroy);
    kafka_cluster_view view;
    for (int i = 0; i < md->broker_cnt; ++i) view.brokers.push_back(md->brokers[i].id);
    std::sort(view.brokers.begin(), view.brokers.end());
    if (topic.empty()) return view;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& mt = md->topics[i];
        if (topic != mt.topic) continue;
        if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(mt.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                  ? errc::not_found
                                  : errc::log_unavailable,
                              "topic " + topic + ": " + rd_kafka_err2str(mt.err));
        }
        for (int p = 0; p < mt.partition_cnt; ++p) {
            const auto& mp = mt.partitions[p];
            kafka_partition_view pv;
            pv.partition = mp.id;
            pv.leader = mp.leader;
            pv.replicas.assign(mp.replicas, mp.replicas + mp.replica_cnt);
            pv.in_sync.assign(mp.isrs, mp.isrs + mp.isr_cnt);
            view.partitions.push_back(std::move(pv));
        }
        std::sort(view.partitions.begin(), view.partitions.end(),
                  [](const auto& a, const auto& b) { return a.partition < b.partition; });
        return view;
    }
    return make_error(errc::not_found, "the cluster does not describe topic " + topic);
}

result<void> delete_kafka_topic(const std::string& bootstrap_servers, const std::string& topic,
                                std::chrono::milliseconds timeout) {
    if (topic.empty()) return make_error(errc::bad_argument, "no topic to delete");
    auto client = admin_client(bootstrap_servers, timeout);
    if (!client) return client.err();
    rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(client->get(), RD_KAFKA_ADMIN_OP_DELETETOPICS);
    char why[512];
    rd_kafka_AdminOptions_set_operation_timeout(options, to_int_ms(timeout), why, sizeof why);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(client->get());
    rd_kafka_DeleteTopics(client->get(), &del, 1, options, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, to_int_ms(timeout) + 1'000);
    result<void> outcome = ok_value;
    if (event == nullptr) {
        outcome =
            make_error(errc::log_unavailable, "deleting topic " + topic + ": no answer in time");
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        outcome = make_error(errc::log_unavailable,
                             "deleting topic " + topic + ": " + rd_kafka_event_error_string(event));
    } else {
        std::size_t count = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
        const rd_kafka_resp_err_t err =
            count == 1 ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            outcome = make_error(errc::not_found, "no topic " + topic);
        } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            outcome = make_error(errc::log_unavailable,
                                 "deleting topic " + topic + ": " + rd_kafka_err2str(err));
        }
    }
    if (event != nullptr) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_DeleteTopic_destroy(del);
    return outcome;
}

}  // namespace uurwerk
