#pragma once
// Test support: a real Apache Kafka cluster (1 or 3 KRaft nodes on 127.0.0.1), run by
// ops/kafka.sh in a folder of the test's. The constructor starts every node and waits until they
// are ready (or fails the test with the script's output, after stopping what did start); the
// destructor stops every node, so a failing check never leaves a broker behind. A test process
// that aborts or is killed (by an assertion, a crash, CTest's timeout) runs no destructor: for
// that, the script's watchdog (`--owner`) stops the cluster within a second or two of the test
// process's end. Every call runs the script to its end; the script bounds each of its waits.
// One thread at a time.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace uurwerk::testing {

using script_result = command_result;

// Runs `bash ops/kafka.sh ARGS...` from the source tree and waits for it.
inline script_result run_ops_kafka(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"bash", std::string(UURWERK_SOURCE_DIR) + "/ops/kafka.sh"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(std::move(argv));
}

class kafka_cluster {
public:
    // `extra`: more options of `ops/kafka.sh start` (e.g. --tls DIR).
    kafka_cluster(const std::filesystem::path& data_dir, int brokers,
                  std::vector<std::string> extra = {})
        : data_dir_(data_dir), brokers_(brokers) {
        extra.insert(extra.begin(),
                     {"--brokers", std::to_string(brokers), "--owner", std::to_string(::getpid())});
        auto r = run("start", std::move(extra));
        if (r.exit_code != 0) {
            stop_all();  // whatever did start
            BOOST_FAIL("ops/kafka.sh start failed (" << r.exit_code << "):\n" << r.out);
        }
        std::ifstream in(data_dir_ / "bootstrap");
        std::getline(in, bootstrap_);
        BOOST_REQUIRE_MESSAGE(!bootstrap_.empty(), "no bootstrap file in " << data_dir_);
    }
    ~kafka_cluster() { stop_all(); }
    kafka_cluster(const kafka_cluster&) = delete;
    kafka_cluster& operator=(const kafka_cluster&) = delete;

    // "127.0.0.1:P,127.0.0.1:Q,..." for bootstrap.servers.
    const std::string& bootstrap() const { return bootstrap_; }
    int brokers() const { return brokers_; }

    // SIGKILL node `node` (a crash) and wait until it is gone.
    void kill(int node) { require_ok(run("kill", {"--node", std::to_string(node)}), "kill"); }
    // Stop node `node` the orderly way (SIGTERM, as an operator would) and wait until it is gone.
    void stop(int node) { require_ok(run("stop", {"--node", std::to_string(node)}), "stop"); }
    // Start node `node` again and wait until it is ready.
    void start(int node) { require_ok(run("start", {"--node", std::to_string(node)}), "start"); }
    // One line per node: node=N pid=P state=ready|starting|stopped broker=... controller=...
    std::string status() { return run("status", {}).out; }

private:
    script_result run(const std::string& command, std::vector<std::string> args) {
        args.insert(args.begin(), {command, "--data", data_dir_.string()});
        return run_ops_kafka(args);
    }
    void require_ok(const script_result& r, const char* what) {
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "ops/kafka.sh " << what << " failed ("
                                                                << r.exit_code << "):\n"
                                                                << r.out);
    }
    void stop_all() {
        auto r = run("stop", {});
        if (r.exit_code != 0) BOOST_TEST_MESSAGE("ops/kafka.sh stop: " << r.out);
    }

    std::filesystem::path data_dir_;
    int brokers_;
    std::string bootstrap_;
};

}  // namespace uurwerk::testing
