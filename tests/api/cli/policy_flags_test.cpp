// The CLI's policy flags, run as a coordinator would: `uurwerk policy` and `uurwerk found`
// refuse a retention period outside 1 to 3650 days with a usage error (exit code 2) that names
// the flag and its range, before any key file or server is asked; a value in range passes the
// check and the command goes on (here to the key file, which does not exist).
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

using uurwerk::testing::run_command;
using uurwerk::testing::temp_dir;

BOOST_AUTO_TEST_SUITE(policy_flags)

BOOST_AUTO_TEST_CASE(a_retention_period_out_of_range_is_a_usage_error_naming_the_flag) {
    temp_dir dir{"policy-flags"};
    const std::string key = (dir.path / "absent.key").string();
    auto run = [&](const std::string& command, const std::string& days) {
        std::vector<std::string> argv{
            UURWERK_BINARY,     command, "--key", key, "--server", "http://127.0.0.1:1",
            "--retention-days", days};
        if (command == "found") argv.insert(argv.end(), {"--name", "Buurtkring"});
        auto r = run_command(argv);
        BOOST_TEST_MESSAGE(command << " --retention-days " << days << ": " << r.out);
        return r;
    };
    for (const std::string command : {"policy", "found"}) {
        for (const std::string days : {"0", "3651", "4294967296"}) {
            const auto r = run(command, days);
            BOOST_CHECK_EQUAL(r.exit_code, 2);
            BOOST_CHECK_MESSAGE(
                r.out.find("--retention-days must be 1 to 3650") != std::string::npos,
                command << " --retention-days " << days << ": " << r.out);
        }
        // Not a number at all: refused too, as a usage error naming the flag.
        const auto word = run(command, "zwei");
        BOOST_CHECK_EQUAL(word.exit_code, 2);
        BOOST_CHECK_MESSAGE(word.out.find("retention-days") != std::string::npos, word.out);
        // In range (both ends): past the check, the command fails later, on the missing key.
        for (const std::string days : {"1", "3650"}) {
            const auto r = run(command, days);
            BOOST_CHECK_NE(r.exit_code, 0);
            BOOST_CHECK_MESSAGE(r.out.find("--retention-days") == std::string::npos, r.out);
            BOOST_CHECK_MESSAGE(r.out.find("absent.key") != std::string::npos, r.out);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_public_impact_switch_takes_on_or_off_and_nothing_else) {
    temp_dir dir{"policy-flags"};
    const std::string key = (dir.path / "absent.key").string();
    for (const std::string command : {"policy", "found"}) {
        auto run = [&](const std::string& value) {
            std::vector<std::string> argv{
                UURWERK_BINARY,       command,           "--key", key, "--server",
                "http://127.0.0.1:1", "--public-impact", value};
            if (command == "found") argv.insert(argv.end(), {"--name", "Buurtkring"});
            return run_command(argv);
        };
        for (const std::string bad : {"ja", "true", "1", ""}) {
            const auto r = run(bad);
            BOOST_CHECK_EQUAL(r.exit_code, 2);
            BOOST_CHECK_MESSAGE(r.out.find("--public-impact is 'off' or 'on'") != std::string::npos,
                                command << " --public-impact '" << bad << "': " << r.out);
        }
        // Both values pass the check; the command fails later, on the missing key.
        for (const std::string good : {"on", "off"}) {
            const auto r = run(good);
            BOOST_CHECK_NE(r.exit_code, 0);
            BOOST_CHECK_MESSAGE(r.out.find("--public-impact") == std::string::npos, r.out);
            BOOST_CHECK_MESSAGE(r.out.find("absent.key") != std::string::npos, r.out);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
