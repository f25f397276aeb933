#include "ledger/log/kafka_table.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace uurwerk {
namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds retry_pause{100};
// A roll marker is appended this long after `segment` has passed since the tombstone, so that
// the segment that holds the tombstone is old enough to roll.
constexpr milliseconds roll_margin{1'000};

int to_int_ms(milliseconds d) {
    return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, 0x7fffffff));
}

int remaining_ms(clock_type::time_point deadline) {
    return std::max(
        1, to_int_ms(std::chrono::duration_cast<milliseconds>(deadline - clock_type::now())));
}

std::string describe(rd_kafka_resp_err_t err) {
    return std::string(rd_kafka_err2name(err)) + " (" + rd_kafka_err2str(err) + ")";
}

bool is_security_setting(const std::string& name) {
    return name == "security.protocol" || name == "enable.ssl.certificate.verification" ||
           name.rfind("ssl.", 0) == 0 || name.rfind("sasl.", 0) == 0;
}

result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    char why[512];
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), why, sizeof why) != RD_KAFKA_CONF_OK)
        return make_error(errc::bad_argument,
                          "librdkafka setting " + name + "=" + value + ": " + why);
    return ok_value;
}

result<void> set_all(rd_kafka_conf_t* conf,
                     const std::vector<std::pair<std::string, std::string>>& settings) {
    for (const auto& [name, value] : settings)
        if (auto r = set(conf, name, value); !r) return r;
    return ok_value;
}

// One write() call's records: how many await their delivery report, and the first failure.
struct write_wait {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left = 0;
    rd_kafka_resp_err_t first = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// Serves delivery reports on whichever thread polls the producer. A roll marker has no waiter.
void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* w = static_cast<write_wait*>(m->_private);
    if (w == nullptr) return;
    {
        std::lock_guard lock(w->mutex);
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && w->first == RD_KAFKA_RESP_ERR_NO_ERROR)
            w->first = m->err;
        --w->left;
    }
    w->done.notify_all();
}

error write_error(rd_kafka_resp_err_t err, const std::string& topic) {
    const std::string what = "writing to " + topic + ": " + describe(err);
    switch (err) {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return make_error(errc::log_full, what);
        case RD_KAFKA_RESP_ERR__FATAL:
            return make_error(errc::io_error, what);
        default:
            return make_error(errc::log_unavailable,
                              what + "; the record may or may not be in the topic");
    }
}

}  // namespace

struct kafka_table::impl {
    kafka_table_options options;
    rd_kafka_t* producer = nullptr;  // owned
    rd_kafka_topic_t* out = nullptr;
    rd_kafka_t* consumer = nullptr;  // owned
    rd_kafka_topic_t* in = nullptr;
    rd_kafka_queue_t* queue = nullptr;
    bool started = false;
    std::vector<offset> next;  // by partition; the reader's

    // When a roll marker is due, by partition (none: not due).
    std::mutex roll_mutex;
    std::vector<std::optional<clock_type::time_point>> roll_due;

    ~impl() {
        if (started)
            for (std::uint32_t p = 0; p < options.partitions_total; ++p)
                rd_kafka_consume_stop(in, static_cast<std::int32_t>(p));
        if (queue != nullptr) rd_kafka_queue_destroy(queue);
        if (in != nullptr) rd_kafka_topic_destroy(in);
        if (consumer != nullptr) rd_kafka_destroy(consumer);
        if (producer != nullptr) rd_kafka_flush(producer, 2'000);
        if (out != nullptr) rd_kafka_topic_destroy(out);
        if (producer != nullptr) rd_kafka_destroy(producer);
    }

    std::vector<std::pair<std::string, std::string>> connection() const {
        std::vector<std::pair<std::string, std::string>> s = {
            {"bootstrap.servers", options.bootstrap_servers},
            {"client.id", options.client_id},
            {"allow.auto.create.topics", "false"},
            {"reconnect.backoff.max.ms", "1000"},
            {"log.connection.close", "false"},
        };
        s.insert(s.end(), options.security.begin(), options.security.end());
        return s;
    }
    result<void> create_topic(clock_type::time_point deadline);
    result<void> wait_for_leaders(clock_type::time_point deadline);
    void produce_due_markers();
};

result<void> kafka_table::impl::create_topic(clock_type::time_point deadline) {
    char why[512];
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(options.topic.c_str(), static_cast<int>(options.partitions_total),
                              static_cast<int>(options.replication_factor), why, sizeof why);
    if (t == nullptr) return make_error(errc::bad_argument, "topic " + options.topic + ": " + why);
    const auto& c = options.compaction;
    const auto ms = [](milliseconds d) { return std::to_string(d.count()); };
    const std::vector<std::pair<const char*, std::string>> settings = {
        {"cleanup.policy", "compact"},
        {"min.insync.replicas", std::to_string(options.min_insync_replicas)},
        {"unclean.leader.election.enable", "false"},
        {"segment.ms", ms(c.segment)},
        {"max.compaction.lag.ms", ms(c.compaction_lag_max)},
        {"min.cleanable.dirty.ratio", std::to_string(c.dirty_ratio_min)},
        {"delete.retention.ms", ms(c.tombstone_retention)},
        {"file.delete.delay.ms", ms(c.file_delete_delay)},
    };
    for (const auto& [name, value] : settings) {
        if (auto err = rd_kafka_NewTopic_set_config(t, name, value.c_str());
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_NewTopic_destroy(t);
            return make_error(errc::bad_argument,
                              std::string("topic setting ") + name + ": " + describe(err));
        }
    }
    rd_kafka_AdminOptions_t* admin =
        rd_kafka_AdminOptions_new(producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(admin, remaining_ms(deadline), why, sizeof why);
    rd_kafka_AdminOptions_set_request_timeout(admin, remaining_ms(deadline), why, sizeof why);
    rd_kafka_queue_t* q = rd_kafka_queue_new(producer);
    rd_kafka_CreateTopics(producer, &t, 1, admin, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, remaining_ms(deadline) + 1'000);
    result<void> out = ok_value;
    if (ev == nullptr) {
        out = make_error(errc::log_unavailable, "creating topic " + options.topic + " at " +
                                                    options.bootstrap_servers + ": no answer");
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out = make_error(errc::log_unavailable, "creating topic " + options.topic + ": " +
                                                    rd_kafka_event_error_string(ev));
    } else {
        std::size_t n = 0;
        const rd_kafka_topic_result_t** r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        UURWERK_ASSERT(n == 1, n);
        const auto err = rd_kafka_topic_result_error(r[0]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            const char* detail = rd_kafka_topic_result_error_string(r[0]);
            out = make_error(err == RD_KAFKA_RESP_ERR_INVALID_CONFIG ? errc::bad_argument
                                                                     : errc::log_unavailable,
                             "creating topic " + options.topic + ": " + describe(err) + ": " +
                                 (detail != nullptr ? detail : ""));
        }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(admin);
    rd_kafka_NewTopic_destroy(t);
    return out;
}

result<void> kafka_table::impl::wait_for_leaders(clock_type::time_point deadline) {
    std::string last = "no answer";
    while (true) {
        const rd_kafka_metadata_t* md = nullptr;
        const auto err = rd_kafka_metadata(producer, 0, out, &md, remaining_ms(deadline));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = describe(err);
        } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = md->topic_cnt == 1 ? describe(md->topics[0].err) : "no such topic";
        } else if (md->topics[0].partition_cnt != static_cast<int>(options.partitions_total)) {
            const int had = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
            return make_error(errc::topic_mismatch, "topic " + options.topic + " has " +
                                                        std::to_string(had) + " partitions, not " +
                                                        std::to_string(options.partitions_total));
        } else {
            const auto& t = md->topics[0];
            const bool led = std::all_of(t.partitions, t.partitions + t.partition_cnt,
                                         [](const auto& p) { return p.leader >= 0; });
            if (led) {
                rd_kafka_metadata_destroy(md);
                return ok_value;
            }
            last = "a partition has no leader yet";
        }
        if (md != nullptr) rd_kafka_metadata_destroy(md);
        if (clock_type::now() + retry_pause >= deadline)
            return make_error(errc::log_unavailable, "topic " + options.topic + " at " +
                                                         options.bootstrap_servers +
                                                         " is not ready: " + last);
        std::this_thread::sleep_for(retry_pause);
    }
}

void kafka_table::impl::produce_due_markers() {
    const auto now = clock_type::now();
    std::vector<std::uint32_t> due;
    {
        std::lock_guard lock(roll_mutex);
        for (std::uint32_t p = 0; p < roll_due.size(); ++p)
            if (roll_due[p] && *roll_due[p] <= now) {
                due.push_back(p);
                roll_due[p].reset();
            }
    }
    static constexpr std::string_view marker = "roll";
    for (const std::uint32_t p : due) {
        // Best effort: a marker that fails only delays the compaction to the next append.
        const auto err = rd_kafka_producev(
            producer, RD_KAFKA_V_RKT(out), RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(p)),
            RD_KAFKA_V_KEY(roll_marker_key.data(), roll_marker_key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(marker.data()), marker.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(nullptr), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            std::fprintf(stderr, "uurwerk: roll marker for %s/%u: %s\n", options.topic.c_str(), p,
                         describe(err).c_str());
    }
    rd_kafka_poll(producer, 0);
}

kafka_table::kafka_table(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}
kafka_table::~kafka_table() = default;

result<std::unique_ptr<kafka_table>> kafka_table::open(const kafka_table_options& options) {
    const auto bad = [](const std::string& why) { return make_error(errc::bad_argument, why); };
    if (options.bootstrap_servers.empty() || options.topic.empty())
        return bad("kafka_table needs bootstrap servers and a topic");
    if (options.partitions_total == 0 || options.partitions_total > 0x7fffffff)
        return bad("partitions_total must be at least 1");
    if (options.replication_factor == 0 || options.min_insync_replicas == 0 ||
        options.min_insync_replicas > options.replication_factor)
        return bad("min_insync_replicas must be 1 to the replication factor");
    if (options.delivery_timeout < milliseconds(10)) return bad("delivery_timeout below 10 ms");
    for (const auto& [name, value] : options.security)
        if (!is_security_setting(name)) return bad("the Kafka setting " + name + " is not allowed");
    const auto deadline = clock_type::now() + options.open_timeout;
    auto s = std::make_unique<impl>();
    s->options = options;
    s->next.assign(options.partitions_total, offset{0});
    s->roll_due.resize(options.partitions_total);
    char why[512];

    rd_kafka_conf_t* pc = rd_kafka_conf_new();
    auto pset = set_all(pc, s->connection());
    if (pset)
        pset = set_all(pc,
                       {
                           {"enable.idempotence", "true"},
                           {"acks", "all"},
                           {"linger.ms", "5"},
                           {"message.timeout.ms", std::to_string(options.delivery_timeout.count())},
                           {"request.timeout.ms", std::to_string(options.delivery_timeout.count())},
                       });
    if (!pset) {
        rd_kafka_conf_destroy(pc);
        return pset.err();
    }
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    s->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, why, sizeof why);
    if (s->producer == nullptr) {
        rd_kafka_conf_destroy(pc);
        return bad(std::string("the Kafka producer of the table: ") + why);
    }
    s->out = rd_kafka_topic_new(s->producer, options.topic.c_str(), nullptr);
    if (auto created = s->create_topic(deadline); !created) return created.err();
    if (auto ready = s->wait_for_leaders(deadline); !ready) return ready.err();

    rd_kafka_conf_t* cc = rd_kafka_conf_new();
    auto cset = set_all(cc, s->connection());
    // A fetch waits at most 100 ms for new records (librdkafka's default is 500): a text
    // written through another node is readable here soon after its event.
    if (cset)
        cset = set_all(cc, {{"enable.partition.eof", "false"},
                            {"check.crcs", "true"},
                            {"fetch.wait.max.ms", "100"}});
    if (!cset) {
        rd_kafka_conf_destroy(cc);
        return cset.err();
    }
    s->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, why, sizeof why);
    if (s->consumer == nullptr) {
        rd_kafka_conf_destroy(cc);
        return bad(std::string("the Kafka consumer of the table: ") + why);
    }
    rd_kafka_topic_conf_t* tc = rd_kafka_topic_conf_new();
    // A position compaction or deletion has passed starts at the partition's start: every
    // record of the table from there is read (it is a table, not a log: gaps are expected).
    if (rd_kafka_topic_conf_set(tc, "auto.offset.reset", "earliest", why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_topic_conf_destroy(tc);
        return bad(why);
    }
    s->in = rd_kafka_topic_new(s->consumer, options.topic.c_str(), tc);
    s->queue = rd_kafka_queue_new(s->consumer);
    return std::unique_ptr<kafka_table>(new kafka_table(std::move(s)));
}

std::uint32_t kafka_table::partitions() const {
    return impl_->options.partitions_total;
}

result<void> kafka_table::write(std::span<const table_write> records) {
    impl& s = *impl_;
    write_wait w;
    rd_kafka_resp_err_t refused = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::vector<std::uint32_t> tombstoned;
    for (const auto& r : records) {
        UURWERK_ASSERT(r.partition.value < s.options.partitions_total, r.partition.value);
        UURWERK_ASSERT(!r.key.empty() && r.key != roll_marker_key);
        {
            std::lock_guard lock(w.mutex);
            ++w.left;
        }
        void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
        const std::size_t value_bytes = r.value ? r.value->size() : 0;
        const auto err = rd_kafka_producev(
            s.producer, RD_KAFKA_V_RKT(s.out),
            RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(r.partition.value)),
            RD_KAFKA_V_KEY(r.key.data(), r.key.size()), RD_KAFKA_V_VALUE(value, value_bytes),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&w), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::lock_guard lock(w.mutex);
            --w.left;
            refused = err;
            break;
        }
        if (!r.value) tombstoned.push_back(r.partition.value);
    }
    // Every queued record gets its report within message.timeout.ms (librdkafka's promise), so
    // this wait is bounded; `w` must outlive every report of it.
    while (true) {
        {
            std::unique_lock lock(w.mutex);
            if (w.left == 0) break;
        }
        rd_kafka_poll(s.producer, 20);
    }
    if (!tombstoned.empty()) {
        const auto due = clock_type::now() + s.options.compaction.segment + roll_margin;
        std::lock_guard lock(s.roll_mutex);
        for (const auto p : tombstoned) s.roll_due[p] = std::max(s.roll_due[p].value_or(due), due);
    }
    if (refused != RD_KAFKA_RESP_ERR_NO_ERROR) return write_error(refused, s.options.topic);
    if (w.first != RD_KAFKA_RESP_ERR_NO_ERROR) return write_error(w.first, s.options.topic);
    return ok_value;
}

result<void> kafka_table::start(std::span<const offset> from) {
    impl& s = *impl_;
    UURWERK_ASSERT(!s.started);
    UURWERK_ASSERT(from.size() == s.options.partitions_total, from.size());
    for (std::uint32_t p = 0; p < s.options.partitions_total; ++p) {
        const std::int64_t at = from[p].value == 0 ? RD_KAFKA_OFFSET_BEGINNING
                                                   : static_cast<std::int64_t>(from[p].value);
        if (rd_kafka_consume_start_queue(s.in, static_cast<std::int32_t>(p), at, s.queue) != 0)
            return make_error(errc::log_unavailable, "starting to read " + s.options.topic + "/" +
                                                         std::to_string(p) + ": " +
                                                         describe(rd_kafka_last_error()));
        s.next[p] = from[p];
    }
    s.started = true;
    return ok_value;
}

result<std::vector<table_record>> kafka_table::poll(std::size_t records_max,
                                                    std::chrono::milliseconds wait) {
    impl& s = *impl_;
    UURWERK_ASSERT(s.started);
    s.produce_due_markers();
    std::vector<table_record> out;
    std::vector<rd_kafka_message_t*> got(std::max<std::size_t>(records_max, 1));
    const ssize_t n =
        rd_kafka_consume_batch_queue(s.queue, to_int_ms(wait), got.data(), got.size());
    if (n < 0)
        return make_error(errc::log_unavailable,
                          "reading " + s.options.topic + ": " + describe(rd_kafka_last_error()));
    std::optional<error> failed;
    for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = got[static_cast<std::size_t>(i)];
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->partition >= 0 &&
            static_cast<std::uint32_t>(m->partition) < s.options.partitions_total &&
            m->offset >= 0) {
            const auto p = static_cast<std::uint32_t>(m->partition);
            // Refetched after a reconnection: already returned.
            if (static_cast<std::uint64_t>(m->offset) >= s.next[p].value) {
                s.next[p] = offset{static_cast<std::uint64_t>(m->offset) + 1};
                std::string key(static_cast<const char*>(m->key), m->key_len);
                if (key != roll_marker_key) {
                    table_record r{partition_id{p}, offset{static_cast<std::uint64_t>(m->offset)},
                                   std::move(key), std::nullopt};
                    if (m->payload != nullptr)
                        r.value.emplace(static_cast<const char*>(m->payload), m->len);
                    out.push_back(std::move(r));
                }
            }
        } else if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                   m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                   m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
            if (!failed)
                failed = make_error(errc::log_unavailable,
                                    "reading " + s.options.topic + ": " + describe(m->err));
        }
        // Other errors (brokers away, reconnecting): librdkafka goes on by itself.
        rd_kafka_message_destroy(m);
    }
    if (out.empty() && failed) return *failed;
    return out;
}

std::vector<offset> kafka_table::positions() const {
    return impl_->next;
}

result<std::vector<offset>> kafka_table::ends(std::chrono::milliseconds wait) const {
    const impl& s = *impl_;
    std::vector<offset> out;
    for (std::uint32_t p = 0; p < s.options.partitions_total; ++p) {
        std::int64_t low = 0, high = 0;
        const auto err = rd_kafka_query_watermark_offsets(s.producer, s.options.topic.c_str(),
                                                          static_cast<std::int32_t>(p), &low, &high,
                                                          std::max(1, to_int_ms(wait)));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            return make_error(errc::log_unavailable, "the end of " + s.options.topic + "/" +
                                                         std::to_string(p) + ": " + describe(err));
        out.push_back(offset{static_cast<std::uint64_t>(std::max<std::int64_t>(high, 0))});
    }
    return out;
}

}  // namespace uurwerk
