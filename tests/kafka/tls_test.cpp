// Cluster mode over TLS: a real Kafka broker whose only listener is TLS (ops/kafka.sh --tls,
// PEM files made for the test, tests/support/test_pki.h). A node given the CA (`serve --kafka
// --kafka-ca`) writes through it and folds what it reads back; a client that trusts another CA,
// or speaks plaintext, is refused with a message that says why; and a setting that is not the
// connection's cannot be slipped in through the security options. And with a SASL/PLAIN login
// on top (ops/kafka.sh --sasl-plain): the right password gets in, a wrong one is refused.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "ledger/core/event.h"
#include "ledger/log/kafka_log.h"
#include "tests/support/kafka_cluster.h"
#include "tests/support/test_pki.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;
using namespace std::chrono_literals;

namespace {

// The broker's files for ops/kafka.sh --tls: its key and certificate in one PEM, and the CA.
std::filesystem::path broker_tls_dir(const std::filesystem::path& dir, const test_pki& pki) {
    const auto out = dir / "broker-tls";
    std::filesystem::create_directories(out);
    std::ofstream pem(out / "broker.pem");
    for (const auto& part : {pki.server_key, pki.server_cert}) {
        std::ifstream in(part);
        pem << in.rdbuf();
    }
    std::filesystem::copy_file(pki.ca_cert, out / "ca.pem");
    return out;
}

kafka_log_options options_for(const kafka_cluster& cluster,
                              std::vector<std::pair<std::string, std::string>> security) {
    kafka_log_options o;
    o.bootstrap_servers = cluster.bootstrap();
    o.topic = "uurwerk-tls-test";
    o.replication_factor = 1;
    o.min_insync_replicas = 1;
    o.open_timeout = 8s;
    o.delivery_timeout = 5s;
    o.security = std::move(security);
    return o;
}

// A stored envelope of community 7 (a log checks the form, not the signature).
bytes an_event() {
    event_body body;
    body.id.b.fill(0x07);
    body.community = community_id{7};
    body.author = member_id{1};
    body.seq = sequence{1};
    body.created_at = time_ms{1'700'000'000'000};
    transfer t;
    t.to = member_id{2};
    t.amount = minutes{30};
    body.payload = t;
    envelope e;
    e.body = encode_body(body);
    e.signer.b.fill(0x11);
    e.sig.b.fill(0x22);
    return encode_envelope(e);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_node_writes_and_reads_its_log_over_tls_and_a_wrong_ca_is_refused_clearly) {
    temp_dir dir("kafka-tls");
    // librdkafka 2.0.2 checks a broker's name as a DNS name even when it is an IP address
    // (OpenSSL's X509_VERIFY_PARAM_set1_host): the certificate names 127.0.0.1 both ways.
    const auto pki = make_test_pki(dir.path, "IP:127.0.0.1,DNS:127.0.0.1");
    kafka_cluster cluster(dir.path / "kafka", 1, {"--tls", broker_tls_dir(dir.path, pki).string()});

    // The log itself, over TLS: an append is acknowledged and read back.
    {
        auto log = kafka_log::open(options_for(
            cluster, {{"security.protocol", "ssl"}, {"ssl.ca.location", pki.ca_cert.string()}}));
        BOOST_REQUIRE_MESSAGE(log.ok(), (log.ok() ? "" : log.err().message));
        const bytes payload = an_event();
        auto at = (*log)->append(payload);
        BOOST_REQUIRE_MESSAGE(at.ok(), (at.ok() ? "" : at.err().message));
        auto back = (*log)->read(*at, 1, 5s);
        BOOST_REQUIRE(back.ok());
        BOOST_REQUIRE_EQUAL(back->size(), 1u);
        BOOST_CHECK(back->front().payload == payload);
    }
    // Another CA: the broker's certificate is not trusted, and the error says so.
    auto wrong_ca = kafka_log::open(options_for(
        cluster, {{"security.protocol", "ssl"}, {"ssl.ca.location", pki.other_ca_cert.string()}}));
    BOOST_REQUIRE(!wrong_ca.ok());
    BOOST_CHECK_EQUAL(wrong_ca.err().code, errc::log_unavailable);
    BOOST_CHECK_MESSAGE(
        wrong_ca.err().message.find("certificate verify failed") != std::string::npos,
        wrong_ca.err().message);
    // Plaintext to the TLS listener gets nowhere either.
    auto plain = kafka_log::open(options_for(cluster, {}));
    BOOST_REQUIRE(!plain.ok());
    BOOST_CHECK_EQUAL(plain.err().code, errc::log_unavailable);
    // Only the connection's settings pass: not the producer's acknowledgements.
    auto sneaky = kafka_log::open(options_for(cluster, {{"acks", "0"}}));
    BOOST_REQUIRE(!sneaky.ok());
    BOOST_CHECK_EQUAL(sneaky.err().code, errc::bad_argument);

    // The node through the program: `serve --kafka --kafka-ca`, a founding written through it
    // and folded back from the topic, then read.
    const auto data = dir.path / "node";
    server_process node(
        data, {"--kafka", cluster.bootstrap(), "--kafka-ca", pki.ca_cert.string(),
               "--replication-factor", "1", "--min-insync", "1", "--match-interval", "0"});
    const std::string url = node.url();
    const std::string anna = (dir.path / "anna.key").string();
    auto k = run_uurwerk({"keygen", "--out", anna, "--community", "7", "--member", "1"});
    BOOST_REQUIRE_MESSAGE(k.exit_code == 0, k.out);
    allow_founder_file(data, anna + ".pub");
    auto found = run_uurwerk({"found", "--key", anna, "--name", "Buurtkring", "--server", url});
    BOOST_REQUIRE_MESSAGE(found.exit_code == 0, found.out);
    auto balance = run_uurwerk({"balance", "--key", anna, "--server", url});
    BOOST_REQUIRE_MESSAGE(balance.exit_code == 0, balance.out);
    auto digest = http_call("127.0.0.1", node.port(), "GET", "/v1/digest");
    BOOST_REQUIRE(digest.ok());
    BOOST_CHECK_MESSAGE(digest->body.find("\"applied\":\"1\"") != std::string::npos ||
                            digest->body.find("\"applied\": \"1\"") != std::string::npos,
                        digest->body);

    // The program with the wrong CA stops at start, saying why.
    auto refused =
        run_uurwerk({"serve", "--data", (dir.path / "node2").string(), "--listen", "127.0.0.1:0",
                     "--kafka", cluster.bootstrap(), "--kafka-ca", pki.other_ca_cert.string(),
                     "--replication-factor", "1", "--min-insync", "1"});
    BOOST_CHECK_NE(refused.exit_code, 0);
    BOOST_CHECK_MESSAGE(
        refused.out.find("certificate verify failed") != std::string::npos,
        refused.out.substr(refused.out.size() > 2000 ? refused.out.size() - 2000 : 0));
}

BOOST_AUTO_TEST_CASE(a_node_logs_in_with_sasl_plain_over_tls_and_a_wrong_password_is_refused) {
    temp_dir dir("kafka-sasl");
    const auto pki = make_test_pki(dir.path, "IP:127.0.0.1,DNS:127.0.0.1");
    kafka_cluster cluster(
        dir.path / "kafka", 1,
        {"--tls", broker_tls_dir(dir.path, pki).string(), "--sasl-plain", "uurwerk:s3cret-pw"});
    const auto login = [&](const std::string& password) {
        return options_for(cluster, {{"security.protocol", "sasl_ssl"},
                                     {"ssl.ca.location", pki.ca_cert.string()},
                                     {"sasl.mechanism", "PLAIN"},
                                     {"sasl.username", "uurwerk"},
                                     {"sasl.password", password}});
    };
    auto wrong = kafka_log::open(login("not-the-password"));
    BOOST_REQUIRE(!wrong.ok());
    BOOST_CHECK_EQUAL(wrong.err().code, errc::log_unavailable);
    BOOST_CHECK_MESSAGE(wrong.err().message.find("uthentication") != std::string::npos,
                        wrong.err().message);
    // TLS alone, without the login, gets nowhere either.
    auto anonymous = kafka_log::open(options_for(
        cluster, {{"security.protocol", "ssl"}, {"ssl.ca.location", pki.ca_cert.string()}}));
    BOOST_REQUIRE(!anonymous.ok());
    // The node through the program, its password from a file.
    const auto password_file = dir.path / "kafka-password";
    std::ofstream(password_file) << "s3cret-pw\n";
    const auto data = dir.path / "node";
    server_process node(
        data, {"--kafka", cluster.bootstrap(), "--kafka-ca", pki.ca_cert.string(),
               "--kafka-sasl-mechanism", "PLAIN", "--kafka-sasl-user", "uurwerk",
               "--kafka-sasl-password-file", password_file.string(), "--replication-factor", "1",
               "--min-insync", "1", "--match-interval", "0"});
    const std::string anna = (dir.path / "anna.key").string();
    auto k = run_uurwerk({"keygen", "--out", anna, "--community", "7", "--member", "1"});
    BOOST_REQUIRE_MESSAGE(k.exit_code == 0, k.out);
    allow_founder_file(data, anna + ".pub");
    auto found =
        run_uurwerk({"found", "--key", anna, "--name", "Buurtkring", "--server", node.url()});
    BOOST_REQUIRE_MESSAGE(found.exit_code == 0, found.out);
    auto balance = run_uurwerk({"balance", "--key", anna, "--server", node.url()});
    BOOST_REQUIRE_MESSAGE(balance.exit_code == 0, balance.out);
}
