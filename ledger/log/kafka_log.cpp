#include "ledger/log/kafka_log.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace uurwerk {
namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Longer waits in read() are cut to this, so that the deadline cannot overflow.
constexpr milliseconds read_wait_max = std::chrono::hours(24 * 365);
// After purging what its logs left undelivered, how long a producer's destructor waits for
// librdkafka to report the purged records.
constexpr milliseconds purge_wait = milliseconds(2'000);
// How often open() asks again for the new topic's metadata, and read() for a record that is
// not there yet.
constexpr milliseconds retry_pause = milliseconds(100);
// Reconnect quickly once a broker is back (librdkafka's default backs off up to 10 s).
constexpr milliseconds reconnect_backoff_max = milliseconds(1'000);
// librdkafka 2.0.2's bound on queue.buffering.max.messages.
constexpr std::uint64_t librdkafka_queue_messages_max = 10'000'000;

int to_int_ms(milliseconds d) {
    return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, 0x7fffffff));
}

int remaining_ms(clock_type::time_point deadline) {
    return to_int_ms(std::chrono::duration_cast<milliseconds>(deadline - clock_type::now()) +
                     milliseconds(1));
}

std::string describe(rd_kafka_resp_err_t err) {
    return std::string(rd_kafka_err2name(err)) + " (" + rd_kafka_err2str(err) + ")";
}

// What an error from producing or from a delivery report means to the log's callers.
error delivery_error(rd_kafka_resp_err_t err, const std::string& where) {
    const std::string what = "append to " + where + " failed: " + describe(err);
    switch (err) {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return make_error(errc::log_full, what);
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
        case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
        case RD_KAFKA_RESP_ERR__DESTROY:
            return make_error(errc::log_closed, what + "; the log closed before it was delivered");
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
            return make_error(errc::bad_record, what);
        case RD_KAFKA_RESP_ERR__FATAL:
            return make_error(errc::log_unavailable,
                              what +
                                  "; the producer stopped after a fatal error and is being "
                                  "replaced; the event may or may not be in the log: send it "
                                  "again unchanged (a second copy is a duplicate)");
        default:
            // Timed out, no leader, not enough in-sync replicas, no broker: the record may or
            // may not be in the log.
            return make_error(errc::log_unavailable,
                              "the log is unavailable: " + what +
                                  "; the event may or may not be in the log: send it again "
                                  "unchanged (a second copy is a duplicate)");
    }
}

struct conf_deleter {
    void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using conf_handle = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

result<void> set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
    char why[512];
    if (rd_kafka_conf_set(conf, name, value.c_str(), why, sizeof why) != RD_KAFKA_CONF_OK) {
        return make_error(errc::bad_argument,
                          std::string("librdkafka setting ") + name + "=" + value + ": " + why);
    }
    return ok_value;
}

result<void> set_all(rd_kafka_conf_t* conf,
                     const std::vector<std::pair<const char*, std::string>>& settings) {
    for (const auto& [name, value] : settings) {
        if (auto r = set(conf, name, value); !r) return r;
    }
    return ok_value;
}

// The only settings kafka_log_options::security may hold: those of the connection.
bool is_security_setting(const std::string& name) {
    return name == "security.protocol" || name == "enable.ssl.certificate.verification" ||
           name.rfind("ssl.", 0) == 0 || name.rfind("sasl.", 0) == 0;
}

result<void> set_security(rd_kafka_conf_t* conf, const kafka_log_options& options) {
    for (const auto& [name, value] : options.security) {
        if (auto r = set(conf, name.c_str(), value); !r) return r;
    }
    return ok_value;
}

struct admin_options_deleter {
    void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct new_topic_deleter {
    void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct queue_deleter {
    void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
    void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct metadata_deleter {
    void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
struct message_deleter {
    void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

}  // namespace

// ---------------------------------------------------------------------------------------------

// The shared producer. Its logs are attached by partition: a delivery report goes to the log
// of its message's partition (every message is produced to an explicit partition, so the report
// names it, failed or not), and there to the callback of its append id.
struct kafka_producer::impl {
    kafka_log_options options;  // `partition` unused

    // librdkafka's producer. A fatal error (librdkafka 2.0.2's idempotent producer raises one
    // when a broker dies at the wrong moment: "sequence desynchronization") leaves it unable to
    // produce for good, so the delivery-report thread replaces it with a new one of the same
    // configuration (replace_after_fatal). Every use holds handle_mutex shared (hold()); the
    // replacement holds it exclusively.
    mutable std::shared_mutex handle_mutex;
    rd_kafka_t* handle = nullptr;  // owned; destroyed last
    rd_kafka_topic_t* topic = nullptr;
    conf_handle spare_conf;                  // a copy of the configuration, for the replacement
    std::atomic<bool> replacing{false};      // the reports of purged records are not "closed"
    std::atomic<std::uint64_t> replaced{0};  // how many times
    [[nodiscard]] std::shared_lock<std::shared_mutex> hold() const {
        return std::shared_lock(handle_mutex);
    }

    // Append ids, unique across the producer's life: a report of a log that has gone never
    // reaches a later log of the same partition (its ids are all below that log's first).
    std::atomic<std::uint64_t> next_append_id{1};

    // The logs by partition. Held while a report is delivered, so that once detach() returns
    // no report reaches the detached log.
    struct route {
        kafka_log::impl* log = nullptr;
        std::uint64_t first_id = 0;  // the log's appends have ids from this one on
    };
    std::mutex routes_mutex;
    std::vector<route> routes;  // by partition

    // A fatal error stops the producer for every partition it serves.
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    std::string failure;  // set once, before `failed`

    // The last error librdkafka logged (a refused TLS handshake, a failed SASL login), from
    // its own threads: said when open() fails.
    std::mutex logged_mutex;
    std::string logged_error;  // under logged_mutex
    std::string last_logged_error() {
        std::lock_guard lock(logged_mutex);
        return logged_error;
    }

    // The delivery-report thread.
    std::atomic<bool> stopping{false};
    std::thread reports;

    ~impl();
    result<void> create_topic_if_missing(clock_type::time_point deadline);
    result<void> attach(partition_id p, kafka_log::impl* log);
    void detach(partition_id p, const kafka_log::impl* log);
    void route_report(const rd_kafka_message_t& m);
    // Records the producer's fatal error (once); returns its description.
    std::string note_fatal();
    // On the delivery-report thread, once `failed`: fails what the stopped producer holds (its
    // logs answer log_unavailable: send again) and puts a new producer in its place.
    void replace_after_fatal();
};

struct kafka_log::impl {
    // Declared first, destroyed last: the readers and the routes go before the producer.
    std::shared_ptr<kafka_producer> producer;
    kafka_producer::impl* out = nullptr;  // producer's
    kafka_log_options options;
    std::string where;  // "topic/partition", for messages

    // The append side, guarded by mutex.
    std::mutex mutex;
    std::condition_variable delivered;  // signalled whenever `pending` drops
    std::unordered_map<std::uint64_t, append_callback> callbacks;  // by append id
    std::size_t pending = 0;  // accepted appends whose callbacks have not run yet
    bool closing = false;
    // The offset of the last record delivered; reports come in offset order.
    std::int64_t last_delivered = -1;

    // The highest watermark seen: from the broker, or one past a delivered record.
    mutable std::atomic<std::uint64_t> known_end{0};

    // The read side: two simple consumers of the partition, each with its own connection and
    // position. `follower` serves read() (the projector, reading on in order); `lookup` serves
    // lookup() (single records by offset, for the API). Apart, a lookup never moves the
    // follower, and never waits behind its long-polling fetch (a connection has at most one
    // fetch in flight): together, every lookup cost a seek and the follower's fetch wait
    // (about 0.5 s each).
    struct reader {
        const char* role = "";
        rd_kafka_t* consumer = nullptr;  // owned
        rd_kafka_topic_t* topic = nullptr;
        std::mutex mutex;                 // guards what follows; one read at a time
        bool consuming = false;           // rd_kafka_consume_start() was called, not yet stopped
        bool positioned = false;          // consuming, and `next_position` is valid
        std::uint64_t next_position = 0;  // the offset of the next record the consumer gives
    };
    reader follower, lookup;

    ~impl();
    // The partition's low and high watermarks, asked of its leader through the producer.
    rd_kafka_resp_err_t query_end(std::int64_t* low, std::int64_t* high,
                                  clock_type::time_point deadline) const {
        const auto held = out->hold();
        return rd_kafka_query_watermark_offsets(out->handle, options.topic.c_str(),
                                                static_cast<std::int32_t>(options.partition.value),
                                                low, high, std::max(remaining_ms(deadline), 1));
    }
    result<void> wait_for_partition(clock_type::time_point deadline);
    result<void> wait_for_end(clock_type::time_point deadline);
    result<reader*> open_reader(reader& r, const char* role,
                                const std::vector<std::pair<const char*, std::string>>& tuning);
    result<void> seek(reader& r, std::uint64_t at);
    result<std::vector<log_record>> read(reader& r, offset from, std::size_t records_max,
                                         milliseconds wait);
    void close_reader(reader& r);
    void refresh_end(milliseconds timeout) const;
    result<log_record> check(const rd_kafka_message_t& m) const;
    void raise_known_end(std::uint64_t at) const;
    void deliver(const rd_kafka_message_t& m);
};

void kafka_log::impl::close_reader(reader& r) {
    if (r.consuming) {
        rd_kafka_consume_stop(r.topic, static_cast<std::int32_t>(options.partition.value));
    }
    if (r.topic != nullptr) rd_kafka_topic_destroy(r.topic);
    if (r.consumer != nullptr) rd_kafka_destroy(r.consumer);
    r.topic = nullptr;
    r.consumer = nullptr;
    r.consuming = r.positioned = false;
}

kafka_log::impl::~impl() {
    close_reader(lookup);
    close_reader(follower);
}

kafka_producer::impl::~impl() {
    UURWERK_ASSERT(
        std::none_of(routes.begin(), routes.end(), [](const route& r) { return r.log != nullptr; }),
        "a kafka_producer destroyed before one of its logs");
    stopping.store(true, std::memory_order_release);
    if (reports.joinable()) reports.join();
    if (handle == nullptr) return;
    if (rd_kafka_outq_len(handle) > 0) {
        // What the logs left when they closed (they failed it with log_closed): purged, and
        // its reports, served here, reach no log.
        rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(handle, to_int_ms(purge_wait));
    }
    if (topic != nullptr) rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(handle);
}

result<void> kafka_producer::impl::attach(partition_id p, kafka_log::impl* log) {
    std::lock_guard lock(routes_mutex);
    UURWERK_ASSERT(p.value < routes.size(), p.value, routes.size());
    route& r = routes[p.value];
    if (r.log != nullptr) {
        return make_error(errc::bad_argument, "the producer of " + options.topic +
                                                  " already has a log of partition " +
                                                  std::to_string(p.value));
    }
    r.log = log;
    r.first_id = next_append_id.load();
    return ok_value;
}

void kafka_producer::impl::detach(partition_id p, const kafka_log::impl* log) {
    std::lock_guard lock(routes_mutex);
    UURWERK_ASSERT(routes[p.value].log == log, p.value);
    routes[p.value].log = nullptr;
}

void kafka_producer::impl::replace_after_fatal() {
    std::unique_lock lock(handle_mutex);
    replacing.store(true, std::memory_order_release);
    // What the stopped producer still holds fails now: its reports (served by the flush) reach
    // their logs, which answer "may or may not be in the log: send it again".
    const int held = rd_kafka_outq_len(handle);
    rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(handle, to_int_ms(purge_wait));
    std::fprintf(stderr,
                 "uurwerk: the Kafka producer of %s stopped after a fatal error (%s); the %d "
                 "records it still held failed (their events are to be sent again); replacing "
                 "it\n",
                 options.topic.c_str(), failure.c_str(), held);
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(handle);
    topic = nullptr;
    handle = nullptr;
    // The same configuration, with this state as its opaque (a copy is kept for the next time).
    char why[512] = "";
    while (!stopping.load(std::memory_order_acquire)) {
        conf_handle conf(rd_kafka_conf_dup(spare_conf.get()));
        handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why, sizeof why);
        if (handle != nullptr) {
            conf.release();  // rd_kafka_new owns it now
            topic = rd_kafka_topic_new(handle, options.topic.c_str(), nullptr);
            if (topic != nullptr) break;
            rd_kafka_destroy(handle);
            handle = nullptr;
            std::snprintf(why, sizeof why, "%s", describe(rd_kafka_last_error()).c_str());
        }
        // It worked once with this configuration: only a lack of memory or threads stops it.
        std::fprintf(stderr, "uurwerk: cannot make a new Kafka producer yet: %s\n", why);
        std::this_thread::sleep_for(purge_wait);
    }
    {
        std::lock_guard failure_lock(failure_mutex);
        failure.clear();
        failed.store(false, std::memory_order_release);
    }
    replacing.store(false, std::memory_order_release);
    replaced.fetch_add(1, std::memory_order_relaxed);
}

std::string kafka_producer::impl::note_fatal() {
    std::lock_guard lock(failure_mutex);
    if (!failed.load(std::memory_order_relaxed)) {
        char fatal[512] = "";
        const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(handle, fatal, sizeof fatal);
        failure = describe(cause) + ": " + fatal;
        failed.store(true, std::memory_order_release);
    }
    return failure;
}

// On the delivery-report thread (or the destructor's, for purged records).
void kafka_producer::impl::route_report(const rd_kafka_message_t& m) {
    if (m.err == RD_KAFKA_RESP_ERR__FATAL) note_fatal();
    const auto id = reinterpret_cast<std::uintptr_t>(m._private);
    std::lock_guard lock(routes_mutex);
    UURWERK_ASSERT(m.partition >= 0 && static_cast<std::size_t>(m.partition) < routes.size(),
                   m.partition);
    const route& r = routes[static_cast<std::size_t>(m.partition)];
    // A report of a log that has gone: it failed the append with log_closed when it closed.
    if (r.log == nullptr || id < r.first_id) return;
    r.log->deliver(m);
}

void kafka_log::impl::raise_known_end(std::uint64_t at) const {
    std::uint64_t seen = known_end.load(std::memory_order_relaxed);
    while (seen < at && !known_end.compare_exchange_weak(seen, at, std::memory_order_relaxed)) {
    }
}

// On the delivery-report thread, routed by the producer.
void kafka_log::impl::deliver(const rd_kafka_message_t& m) {
    const auto id = reinterpret_cast<std::uintptr_t>(m._private);
    append_callback done;
    {
        std::lock_guard lock(mutex);
        auto node = callbacks.extract(id);
        UURWERK_ASSERT(!node.empty(), "a delivery report for an unknown append", id);
        done = std::move(node.mapped());
        if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            // One idempotent producer, one partition: its records land in the order produced
            // (the producer orders each partition's records, shared or not).
            UURWERK_ASSERT(m.offset > last_delivered, m.offset, last_delivered);
            last_delivered = m.offset;
        }
    }
    if (m.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        UURWERK_ASSERT(m.partition == static_cast<std::int32_t>(options.partition.value),
                       m.partition, options.partition.value);
        UURWERK_ASSERT(m.offset >= 0, m.offset);
        raise_known_end(static_cast<std::uint64_t>(m.offset) + 1);
        done(offset{static_cast<std::uint64_t>(m.offset)});
    } else if (out->replacing.load(std::memory_order_acquire)) {
        // Purged from a producer that stopped after a fatal error: it may have reached the
        // broker before.
        done(delivery_error(RD_KAFKA_RESP_ERR__FATAL, where));
    } else {
        done(delivery_error(m.err, where));
    }
    {
        std::lock_guard lock(mutex);
        UURWERK_ASSERT(pending > 0);
        --pending;
    }
    delivered.notify_all();
}

namespace {
// librdkafka's log lines, printed as its default logger prints them (stderr), the last error
// among them kept by the producer (preferring a failed connection's). Called from librdkafka's
// threads.
void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
    std::fprintf(stderr, "%%%d|%s|%s| %s\n", level, facility, rd_kafka_name(rk), line);
    if (level > 3) return;  // syslog's LOG_ERR and worse only
    auto* state = static_cast<kafka_producer::impl*>(rd_kafka_opaque(rk));
    if (state == nullptr) return;
    // A failed connection (FAIL: the TLS handshake, the SASL login, refused) says the most;
    // a summary ("1/1 brokers are down") only when there is nothing better.
    std::lock_guard lock(state->logged_mutex);
    if (std::string_view(facility) == "FAIL" || state->logged_error.empty())
        state->logged_error = line;
}
}  // namespace

result<void> kafka_producer::impl::create_topic_if_missing(clock_type::time_point deadline) {
    char why[512];
    std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter> new_topic(
        rd_kafka_NewTopic_new(options.topic.c_str(), static_cast<int>(options.partitions_total),
                              static_cast<int>(options.replication_factor), why, sizeof why));
    if (!new_topic) return make_error(errc::bad_argument, "topic " + options.topic + ": " + why);
    const std::vector<std::pair<const char*, std::string>> settings = {
        {"min.insync.replicas", std::to_string(options.min_insync_replicas)},
        // One clock for every reader: the broker's, when it appended the record.
        {"message.timestamp.type", "LogAppendTime"},
        // The log is the only truth: never expire it, never compact it by key.
        {"retention.ms", "-1"},
        {"retention.bytes", "-1"},
        {"cleanup.policy", "delete"},
        // A replica that was not in sync never becomes leader (it would lose acknowledged
        // records).
        {"unclean.leader.election.enable", "false"},
    };
    for (const auto& [name, value] : settings) {
        const rd_kafka_resp_err_t err =
            rd_kafka_NewTopic_set_config(new_topic.get(), name, value.c_str());
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return make_error(errc::bad_argument,
                              std::string("topic setting ") + name + ": " + describe(err));
        }
    }
    std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter> admin(
        rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS));
    const int timeout_ms = remaining_ms(deadline);
    if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), timeout_ms, why, sizeof why) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_AdminOptions_set_operation_timeout(admin.get(), timeout_ms, why, sizeof why) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error(errc::bad_argument, std::string("admin timeouts: ") + why);
    }
    std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue(rd_kafka_queue_new(handle));
    rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
    rd_kafka_CreateTopics(handle, topics, 1, admin.get(), queue.get());
    std::unique_ptr<rd_kafka_event_t, event_deleter> event(
        rd_kafka_queue_poll(queue.get(), remaining_ms(deadline) + 1'000));
    if (!event) {
        return make_error(errc::log_unavailable, "creating topic " + options.topic + " at " +
                                                     options.bootstrap_servers +
                                                     ": no answer in time");
    }
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return make_error(errc::log_unavailable, "creating topic " + options.topic + " at " +
                                                     options.bootstrap_servers + ": " +
                                                     rd_kafka_event_error_string(event.get()));
    }
    std::size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    UURWERK_ASSERT(count == 1, count);
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[0]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        return ok_value;
    }
    const char* detail = rd_kafka_topic_result_error_string(results[0]);
    const std::string message = "creating topic " + options.topic + ": " + describe(err) + ": " +
                                (detail != nullptr ? detail : "");
    switch (err) {
        case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
        case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
            return make_error(errc::bad_argument, message);
        default:
            return make_error(errc::log_unavailable, message);
    }
}

// Waits until the topic is known with the expected partition count and this partition has a
// leader.
result<void> kafka_log::impl::wait_for_partition(clock_type::time_point deadline) {
    std::string last = "no answer";
    while (true) {
        const rd_kafka_metadata_t* raw = nullptr;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        {
            const auto held = out->hold();
            err = rd_kafka_metadata(out->handle, 0, out->topic, &raw,
                                    std::max(remaining_ms(deadline), 1));
        }
        std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter> md(raw);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = describe(err);
        } else if (md->topic_cnt != 1) {
            last = "the broker described " + std::to_string(md->topic_cnt) + " topics";
        } else if (const auto& t = md->topics[0]; t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            last = describe(t.err);
        } else if (t.partition_cnt != static_cast<int>(options.partitions_total)) {
            return make_error(errc::topic_mismatch,
                              "topic " + options.topic + " has " + std::to_string(t.partition_cnt) +
                                  " partitions, not the " +
                                  std::to_string(options.partitions_total) +
                                  " this installation is configured with; the community-to-"
                                  "partition mapping depends on the count, so it never changes");
        } else {
            const auto& p = t.partitions[options.partition.value];
            UURWERK_ASSERT(p.id == static_cast<std::int32_t>(options.partition.value), p.id);
            if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.leader >= 0) return ok_value;
            last = "partition " + std::to_string(p.id) + " has no leader yet (" + describe(p.err) +
                   ")";
        }
        if (clock_type::now() + retry_pause >= deadline) {
            return make_error(errc::log_unavailable,
                              "topic " + where + " at " + options.bootstrap_servers +
                                  " is not ready within " +
                                  std::to_string(options.open_timeout.count()) + " ms: " + last);
        }
        std::this_thread::sleep_for(retry_pause);
    }
}

// Asks the partition's leader for its high watermark until it answers (a new leader may not
// serve the partition yet when the metadata already names it).
result<void> kafka_log::impl::wait_for_end(clock_type::time_point deadline) {
    while (true) {
        std::int64_t low = 0, high = 0;
        const rd_kafka_resp_err_t err = query_end(&low, &high, deadline);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0) {
            known_end.store(static_cast<std::uint64_t>(high));
            return ok_value;
        }
        if (clock_type::now() + retry_pause >= deadline) {
            return make_error(
                errc::log_unavailable,
                "the end of " + where + " at " + options.bootstrap_servers + ": " + describe(err));
        }
        std::this_thread::sleep_for(retry_pause);
    }
}

// Starts `r` fetching at `at` (stopping the fetch under way first: a stop purges what it
// fetched).
result<void> kafka_log::impl::seek(reader& r, std::uint64_t at) {
    const auto p = static_cast<std::int32_t>(options.partition.value);
    r.positioned = false;
    if (r.consuming && rd_kafka_consume_stop(r.topic, p) != 0) {
        return make_error(errc::log_unavailable, std::string("stopping the ") + r.role + " of " +
                                                     where + ": " +
                                                     describe(rd_kafka_last_error()));
    }
    r.consuming = false;
    if (rd_kafka_consume_start(r.topic, p, static_cast<std::int64_t>(at)) != 0) {
        return make_error(errc::log_unavailable, std::string("positioning the ") + r.role + " of " +
                                                     where + " at " + std::to_string(at) + ": " +
                                                     describe(rd_kafka_last_error()));
    }
    r.consuming = true;
    r.positioned = true;
    r.next_position = at;
    return ok_value;
}

// Refreshes known_end from the partition's leader, waiting up to `timeout`.
void kafka_log::impl::refresh_end(milliseconds timeout) const {
    std::int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = query_end(&low, &high, clock_type::now() + timeout);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0) {
        raise_known_end(static_cast<std::uint64_t>(high));
    }
}

// The checks on a record read back (see kafka_log.h). A record without the broker's time is a
// bad_record (the topic's setting was changed: our own events would come so too, and must not
// be skipped); a record that cannot be an event of this partition is a foreign record.
result<log_record> kafka_log::impl::check(const rd_kafka_message_t& m) const {
    const std::string which = "record " + std::to_string(m.offset) + " of " + where;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const std::int64_t ts = rd_kafka_message_timestamp(&m, &type);
    if (type != RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME) {
        return make_error(errc::bad_record,
                          which +
                              " does not carry the broker's LogAppendTime (the topic's "
                              "message.timestamp.type must be LogAppendTime)");
    }
    log_record r{offset{static_cast<std::uint64_t>(m.offset)}, time_ms{ts}, {}};
    const auto community =
        community_of_key(byte_view(static_cast<const std::uint8_t*>(m.key), m.key_len));
    if (!community) {
        r.foreign = which + " has a key of " + std::to_string(m.key_len) +
                    " bytes, not an 8-byte community id";
    } else if (const auto p = partition_of(*community, options.partitions_total);
               p != options.partition) {
        r.foreign = which + " is keyed with community " + std::to_string(community->value) +
                    ", which belongs to partition " + std::to_string(p.value);
    } else if (m.len == 0 || m.len > envelope_bytes_max) {
        r.foreign = which + " has " + std::to_string(m.len) + " bytes, not 1 to " +
                    std::to_string(envelope_bytes_max);
    } else {
        const auto* payload = static_cast<const std::uint8_t*>(m.payload);
        r.payload.assign(payload, payload + m.len);
        r.keyed = *community;
    }
    return r;
}

// ---------------------------------------------------------------------------------------------

result<kafka_log::impl::reader*> kafka_log::impl::open_reader(
    reader& r, const char* role, const std::vector<std::pair<const char*, std::string>>& tuning) {
    const auto bad = [&](const std::string& why) {
        return make_error(errc::bad_argument, std::string("the Kafka ") + role + ": " + why);
    };
    char why[512];
    conf_handle conf(rd_kafka_conf_new());
    auto configured = set_all(
        conf.get(), {
                        {"bootstrap.servers", options.bootstrap_servers},
                        {"client.id", options.client_id},
                        {"enable.partition.eof", "false"},
                        {"check.crcs", "true"},
                        {"allow.auto.create.topics", "false"},
                        {"reconnect.backoff.max.ms", std::to_string(reconnect_backoff_max.count())},
                        {"log.connection.close", "false"},
                    });
    if (!configured) return configured.err();
    if (auto secured = set_security(conf.get(), options); !secured) return secured.err();
    if (auto tuned = set_all(conf.get(), tuning); !tuned) return tuned.err();
    r.role = role;
    r.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), why, sizeof why);
    if (r.consumer == nullptr) return bad(why);
    conf.release();  // rd_kafka_new owns it now
    rd_kafka_topic_conf_t* topic_conf = rd_kafka_topic_conf_new();
    // An offset outside the partition is an error, never a silent jump to either end.
    if (rd_kafka_topic_conf_set(topic_conf, "auto.offset.reset", "error", why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_topic_conf_destroy(topic_conf);
        return bad(std::string("auto.offset.reset: ") + why);
    }
    r.topic = rd_kafka_topic_new(r.consumer, options.topic.c_str(), topic_conf);
    if (r.topic == nullptr)
        return bad("topic " + options.topic + ": " + describe(rd_kafka_last_error()));
    return &r;
}

namespace {

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<kafka_producer::impl*>(opaque)->route_report(*m);
}

// The checks open() makes on its options; `with_partition`: the log's own partition too (a
// producer serves them all).
result<void> check_options(const kafka_log_options& options, bool with_partition) {
    const auto bad = [](const std::string& why) { return make_error(errc::bad_argument, why); };
    if (options.bootstrap_servers.empty()) return bad("kafka_log needs bootstrap servers");
    if (options.topic.empty()) return bad("kafka_log needs a topic");
    if (options.partitions_total == 0 || options.partitions_total > 0x7fffffff) {
        return bad("partitions_total must be at least 1");
    }
    if (with_partition && options.partition.value >= options.partitions_total) {
        return bad("partition " + std::to_string(options.partition.value) + " is not below " +
                   std::to_string(options.partitions_total));
    }
    if (options.replication_factor == 0 || options.min_insync_replicas == 0 ||
        options.min_insync_replicas > options.replication_factor) {
        return bad("min_insync_replicas must be 1 to the replication factor");
    }
    if (options.delivery_timeout <= options.linger || options.delivery_timeout < milliseconds(10)) {
        return bad("delivery_timeout must be at least 10 ms and above linger");
    }
    if (options.pending_appends_max == 0 ||
        options.pending_appends_max > librdkafka_queue_messages_max) {
        return bad("pending_appends_max must be 1 to 10000000 (librdkafka's bound)");
    }
    for (const auto& [name, value] : options.security) {
        if (!is_security_setting(name))
            return bad("the Kafka setting " + name +
                       " is not one of the connection's (security.protocol, ssl.*, sasl.*, "
                       "enable.ssl.certificate.verification)");
    }
    return ok_value;
}

}  // namespace

kafka_producer::kafka_producer(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

kafka_producer::~kafka_producer() = default;

void kafka_producer::simulate_fatal_error(const std::string& why) {
    const auto held = impl_->hold();
    const rd_kafka_resp_err_t err = rd_kafka_test_fatal_error(
        impl_->handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, why.c_str());
    UURWERK_ASSERT(err == RD_KAFKA_RESP_ERR_NO_ERROR, describe(err));
}

std::uint64_t kafka_producer::replacements() const {
    return impl_->replaced.load(std::memory_order_relaxed);
}

result<std::shared_ptr<kafka_producer>> kafka_producer::open(const kafka_log_options& options) {
    if (auto checked = check_options(options, false); !checked) return checked.err();
    const auto deadline = clock_type::now() + options.open_timeout;
    auto state = std::make_unique<impl>();
    state->options = options;
    state->routes.resize(options.partitions_total);
    const std::string delivery_ms = std::to_string(options.delivery_timeout.count());
    // Each partition's log bounds its own appends; librdkafka's queue holds them all.
    const std::size_t queue_max = static_cast<std::size_t>(std::min<std::uint64_t>(
        librdkafka_queue_messages_max,
        std::uint64_t{options.pending_appends_max} * options.partitions_total));
    char why[512];

    // librdkafka's producer, also the admin client and the asker of watermarks and metadata.
    conf_handle conf(rd_kafka_conf_new());
    auto configured = set_all(
        conf.get(), {
                        {"bootstrap.servers", options.bootstrap_servers},
                        {"client.id", options.client_id},
                        {"enable.idempotence", "true"},
                        {"acks", "all"},
                        {"message.timeout.ms", delivery_ms},
                        // A request in flight must not outlive the delivery bound either.
                        {"request.timeout.ms", delivery_ms},
                        {"socket.timeout.ms", delivery_ms},
                        {"linger.ms", std::to_string(options.linger.count())},
                        {"queue.buffering.max.messages", std::to_string(queue_max)},
                        {"allow.auto.create.topics", "false"},
                        {"reconnect.backoff.max.ms", std::to_string(reconnect_backoff_max.count())},
                        {"log.connection.close", "false"},
                    });
    if (!configured) return configured.err();
    if (auto secured = set_security(conf.get(), options); !secured) return secured.err();
    rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
    rd_kafka_conf_set_log_cb(conf.get(), on_log);
    rd_kafka_conf_set_opaque(conf.get(), state.get());
    state->spare_conf.reset(rd_kafka_conf_dup(conf.get()));
    state->handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), why, sizeof why);
    if (state->handle == nullptr) {
        return make_error(errc::bad_argument, std::string("the Kafka producer: ") + why);
    }
    conf.release();  // rd_kafka_new owns it now
    state->topic = rd_kafka_topic_new(state->handle, options.topic.c_str(), nullptr);
    if (state->topic == nullptr) {
        return make_error(errc::bad_argument,
                          "topic " + options.topic + ": " + describe(rd_kafka_last_error()));
    }
    if (auto created = state->create_topic_if_missing(deadline); !created) {
        auto e = created.err();
        if (const auto why = state->last_logged_error(); !why.empty())
            e.message += " (librdkafka's last error: " + why + ")";
        return e;
    }

    impl* raw = state.get();
    state->reports = std::thread([raw] {
        name_this_thread("uw-kafka-dr");
        while (!raw->stopping.load(std::memory_order_acquire)) {
            if (raw->failed.load(std::memory_order_acquire)) {
                raw->replace_after_fatal();
                continue;
            }
            const auto held = raw->hold();
            rd_kafka_poll(raw->handle, 100);
        }
    });
    return std::shared_ptr<kafka_producer>(new kafka_producer(std::move(state)));
}

result<std::unique_ptr<kafka_log>> kafka_log::open(const kafka_log_options& options) {
    if (auto checked = check_options(options, true); !checked) return checked.err();
    // One open_timeout for both.
    const auto deadline = clock_type::now() + options.open_timeout;
    auto producer = kafka_producer::open(options);
    if (!producer) return producer.err();
    auto rest = options;
    rest.open_timeout = std::max(
        milliseconds(1), std::chrono::duration_cast<milliseconds>(deadline - clock_type::now()));
    return open(rest, std::move(*producer));
}

result<std::unique_ptr<kafka_log>> kafka_log::open(const kafka_log_options& options,
                                                   std::shared_ptr<kafka_producer> producer) {
    UURWERK_ASSERT(producer != nullptr, "kafka_log::open needs a producer");
    if (auto checked = check_options(options, true); !checked) return checked.err();
    kafka_producer::impl& out = *producer->impl_;
    if (out.options.bootstrap_servers != options.bootstrap_servers ||
        out.options.topic != options.topic ||
        out.options.partitions_total != options.partitions_total) {
        return make_error(errc::bad_argument,
                          "the producer is for " + out.options.topic + " (" +
                              std::to_string(out.options.partitions_total) + " partitions) at " +
                              out.options.bootstrap_servers + ", not for " + options.topic + " (" +
                              std::to_string(options.partitions_total) + ") at " +
                              options.bootstrap_servers);
    }

    const auto deadline = clock_type::now() + options.open_timeout;
    auto state = std::make_unique<impl>();
    state->producer = std::move(producer);
    state->out = &out;
    state->options = options;
    state->where = options.topic + "/" + std::to_string(options.partition.value);
    if (auto ready = state->wait_for_partition(deadline); !ready) return ready.err();
    if (auto known = state->wait_for_end(deadline); !known) return known.err();

    // The readers: librdkafka's simple consumer on this one partition. They have no consumer
    // group, so they never commit offsets (the projector's store is the truth); a read
    // positions them. The follower keeps librdkafka's defaults (a fetch waits up to 500 ms for
    // data, and returns as soon as there is any); a lookup wants one record now, and little
    // read ahead of a position that may be random.
    if (auto r = state->open_reader(state->follower, "follower", {}); !r) return r.err();
    if (auto r = state->open_reader(state->lookup, "lookup",
                                    {{"fetch.wait.max.ms", "10"},
                                     {"fetch.error.backoff.ms", "50"},
                                     {"queued.min.messages", "1000"}});
        !r)
        return r.err();

    // Last: from here on the producer's reports reach this log.
    if (auto attached = out.attach(options.partition, state.get()); !attached) {
        return attached.err();
    }
    return std::unique_ptr<kafka_log>(new kafka_log(std::move(state)));
}

kafka_log::kafka_log(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

kafka_log::~kafka_log() {
    impl& s = *impl_;
    {
        std::unique_lock lock(s.mutex);
        s.closing = true;
        if (!s.delivered.wait_for(lock, s.options.close_timeout, [&] { return s.pending == 0; })) {
            std::fprintf(stderr,
                         "uurwerk: kafka_log %s: %zu appends not delivered within %lld ms of "
                         "closing; they fail with log_closed\n",
                         s.where.c_str(), s.pending,
                         static_cast<long long>(s.options.close_timeout.count()));
        }
    }
    // No report reaches this log from here on. What is left stays in the (perhaps shared)
    // producer, which purges it when its last log goes: a log cannot purge its own partition
    // alone (librdkafka 2.0.2 purges a whole producer).
    s.out->detach(s.options.partition, &s);
    std::unordered_map<std::uint64_t, append_callback> left;
    {
        std::lock_guard lock(s.mutex);
        left.swap(s.callbacks);
        s.pending = 0;
    }
    for (auto& [id, done] : left) {
        done(make_error(errc::log_closed,
                        "the log " + s.where + " closed before append " + std::to_string(id) +
                            " was reported delivered; it may or may not be in the "
                            "log: send it again unchanged"));
    }
}

result<void> kafka_log::append_async(bytes payload, append_callback done) {
    UURWERK_ASSERT(static_cast<bool>(done), "append_async needs a callback");
    impl& s = *impl_;
    kafka_producer::impl& out = *s.out;
    if (payload.empty()) return make_error(errc::bad_record, "an empty record cannot be appended");
    if (payload.size() > envelope_bytes_max) {
        return make_error(errc::bad_record, "a record of " + std::to_string(payload.size()) +
                                                " bytes is over the limit of " +
                                                std::to_string(envelope_bytes_max));
    }
    auto stored = decode_envelope(payload);
    if (!stored) {
        return make_error(errc::bad_record,
                          "the record is not a stored envelope: " + stored.err().message);
    }
    auto body = decode_body(stored->body);
    if (!body) {
        return make_error(errc::bad_record,
                          "the record's body does not decode: " + body.err().message);
    }
    const community_id community = body->community;
    if (const auto p = partition_of(community, s.options.partitions_total);
        p != s.options.partition) {
        return make_error(errc::bad_record, "community " + std::to_string(community.value) +
                                                " belongs to partition " + std::to_string(p.value) +
                                                ", not to this log's " + s.where);
    }
    const auto stopped = [&](const std::string& failure) {
        return make_error(errc::log_unavailable,
                          "the producer of " + s.options.topic +
                              " (every partition of this node) stopped after a fatal error and "
                              "is being replaced: " +
                              failure + "; send the event again in a moment");
    };

    std::uint64_t id = 0;
    {
        std::lock_guard lock(s.mutex);
        if (s.closing) return make_error(errc::log_closed, "the log " + s.where + " is closing");
        if (out.failed.load(std::memory_order_acquire)) return stopped(out.note_fatal());
        if (s.pending >= s.options.pending_appends_max) {
            return make_error(errc::log_full,
                              std::to_string(s.pending) + " appends are already waiting for Kafka");
        }
        id = out.next_append_id.fetch_add(1);
        s.callbacks.emplace(id, std::move(done));
        ++s.pending;
    }

    const community_key key = key_of(community);
    auto held = out.hold();
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        out.handle, RD_KAFKA_V_RKT(out.topic),
        RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(s.options.partition.value)),
        RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(payload.data(), payload.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return ok_value;

    // Not queued: the callback is never called.
    {
        std::lock_guard lock(s.mutex);
        s.callbacks.erase(id);
        --s.pending;
    }
    s.delivered.notify_all();
    if (err == RD_KAFKA_RESP_ERR__FATAL) return stopped(out.note_fatal());
    held.unlock();
    return delivery_error(err, s.where);
}

result<std::vector<log_record>> kafka_log::read(offset from, std::size_t records_max,
                                                std::chrono::milliseconds wait) {
    return impl_->read(impl_->follower, from, records_max, wait);
}

result<std::vector<log_record>> kafka_log::lookup(offset at, std::size_t records_max,
                                                  std::chrono::milliseconds wait) {
    return impl_->read(impl_->lookup, at, records_max, wait);
}

result<std::vector<log_record>> kafka_log::impl::read(reader& r, offset from,
                                                      std::size_t records_max, milliseconds wait) {
    std::vector<log_record> out;
    if (records_max == 0) return out;
    impl& s = *this;
    std::lock_guard lock(r.mutex);
    const auto deadline = clock_type::now() + std::clamp(wait, milliseconds(0), read_wait_max);
    const auto p = static_cast<std::int32_t>(s.options.partition.value);
    rd_kafka_poll(r.consumer, 0);  // serve its error and log events
    if (!r.positioned || r.next_position != from.value) {
        // Never ask for an offset beyond the end (the broker answers "out of range"): wait
        // until the end reaches it.
        while (from.value > s.known_end.load(std::memory_order_relaxed)) {
            s.refresh_end(std::min(s.options.end_timeout, std::chrono::duration_cast<milliseconds>(
                                                              deadline - clock_type::now())));
            if (from.value <= s.known_end.load(std::memory_order_relaxed)) break;
            const auto left = deadline - clock_type::now();
            if (left <= clock_type::duration::zero()) return out;
            std::this_thread::sleep_for(std::min<clock_type::duration>(left, retry_pause));
        }
        if (auto sought = s.seek(r, from.value); !sought) return sought.err();
    }
    while (out.size() < records_max) {
        // Wait for the first record; take the rest only if they are there already.
        const int timeout_ms = out.empty() ? remaining_ms(deadline) - 1 : 0;
        std::unique_ptr<rd_kafka_message_t, message_deleter> m(
            rd_kafka_consume(r.topic, p, std::max(timeout_ms, 0)));
        if (!m) {
            if (out.empty() && clock_type::now() < deadline) continue;
            break;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
            m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
            // Before the start (deleted), or beyond the end (the end moved back: only an
            // unclean leader election does that).
            r.positioned = false;
            if (!out.empty()) break;
            std::int64_t low = 0, high = 0;
            const rd_kafka_resp_err_t err = s.query_end(&low, &high, deadline);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) break;  // the next read asks again
            return make_error(errc::io_error,
                              "record " + std::to_string(from.value) + " of " + s.where +
                                  " is outside the partition, which holds " + std::to_string(low) +
                                  " to " + std::to_string(high - 1) +
                                  ": was its retention changed, or a record lost?");
        }
        if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
            m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
            m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
            m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
            r.positioned = false;
            if (!out.empty()) break;
            return make_error(errc::log_unavailable,
                              "reading " + s.where + ": " + describe(m->err));
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // brokers away, reconnecting: wait

        UURWERK_ASSERT(m->partition == static_cast<std::int32_t>(s.options.partition.value),
                       m->partition);
        UURWERK_ASSERT(m->offset >= 0, m->offset);
        const auto at = static_cast<std::uint64_t>(m->offset);
        if (at < r.next_position) continue;  // fetched before the last seek
        if (at > r.next_position) {
            r.positioned = false;
            if (!out.empty()) break;
            return make_error(errc::bad_record, "the partition " + s.where + " skips from offset " +
                                                    std::to_string(r.next_position) + " to " +
                                                    std::to_string(at) + " (was it compacted?)");
        }
        auto record = s.check(*m);
        if (!record) {
            r.positioned = false;
            if (!out.empty()) break;
            return record.err();
        }
        out.push_back(std::move(*record));
        ++r.next_position;
    }
    if (!out.empty()) s.raise_known_end(out.back().at.value + 1);
    return out;
}

offset kafka_log::end() const {
    impl_->refresh_end(impl_->options.end_timeout);
    return offset{impl_->known_end.load(std::memory_order_relaxed)};
}

}  // namespace uurwerk
