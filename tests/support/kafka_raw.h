#pragma once
// Test support: writes records straight to a Kafka topic with librdkafka, as a program other
// than uurwerk could (a foreign producer): any key, any payload, to an explicit partition.

#include <librdkafka/rdkafka.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace uurwerk::testing {

// Writes one record with `key` and `value` to `partition` of `topic` and waits until the
// broker has it.
inline void produce_raw(const std::string& bootstrap, const std::string& topic,
                        std::int32_t partition, const std::string& key,
                        const std::vector<std::uint8_t>& value) {
    char why[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    BOOST_REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), why,
                                    sizeof why) == RD_KAFKA_CONF_OK);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    BOOST_REQUIRE_MESSAGE(rk != nullptr, why);
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<std::uint8_t*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, 10'000);
    rd_kafka_destroy(rk);
    BOOST_REQUIRE_EQUAL(err, RD_KAFKA_RESP_ERR_NO_ERROR);
    BOOST_REQUIRE_EQUAL(flushed, RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace uurwerk::testing
