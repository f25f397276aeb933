// The architecture, checked: every #include of the project's modules against the table of
// allowed arrows in ops/layers.txt. A module may include its own headers, those of the modules
// its line names (which must stand above it, so the arrows cannot close a circle), and, of the
// guarded outside libraries (Boost, OpenSSL, Cap'n Proto, KJ, RocksDB, librdkafka, nlohmann/json,
// libcurl), only the header prefixes its line names. Every source file must sit in a module, and
// every module has a README.md. The checker reads a tree given as a folder, so the tests below also
// run it on small made-up trees to show that a wrong include fails.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

struct module_rule {
    std::string name;                  // "ledger/core"
    std::set<std::string> uses;        // project modules it may include
    std::vector<std::string> outside;  // header prefixes of guarded libraries
};

const std::vector<std::string> guarded_prefixes = {"boost/",   "openssl/",    "capnp/",    "kj/",
                                                   "rocksdb/", "librdkafka/", "nlohmann/", "curl/"};
// The top-level folders whose sources form modules (schemas/ is generated from .capnp files).
const std::vector<std::string> source_roots = {"ledger", "projections", "matching", "api"};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

// Reads the table; problems (a module used before its line, a malformed line) go to `problems`.
std::vector<module_rule> read_layers(const fs::path& file, std::vector<std::string>& problems) {
    std::ifstream in(file);
    if (!in) {
        problems.push_back("cannot read " + file.string());
        return {};
    }
    std::vector<module_rule> rules;
    std::set<std::string> seen;
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (line.empty() || line[0] == '#' || trim(line).empty()) continue;
        std::vector<std::string> fields;
        std::istringstream f(line);
        for (std::string field; std::getline(f, field, '|');) fields.push_back(trim(field));
        if (fields.size() < 3) {
            problems.push_back(file.string() + ":" + std::to_string(line_no) +
                               ": expected 'module | uses | outside headers | links'");
            continue;
        }
        module_rule r{fields[0], {}, words(fields[2])};
        for (const auto& u : words(fields[1])) {
            if (!seen.count(u))
                problems.push_back(file.string() + ":" + std::to_string(line_no) + ": " + r.name +
                                   " uses " + u + ", which is not on a line above it");
            r.uses.insert(u);
        }
        seen.insert(r.name);
        rules.push_back(std::move(r));
    }
    return rules;
}

// The module a project path belongs to: the longest module name that is a folder prefix of it.
const module_rule* module_of(const std::vector<module_rule>& rules, const std::string& path) {
    const module_rule* best = nullptr;
    for (const auto& r : rules) {
        const std::string prefix = r.name + "/";
        if (path.compare(0, prefix.size(), prefix) == 0 &&
            path.find('/', prefix.size()) == std::string::npos &&
            (!best || r.name.size() > best->name.size()))
            best = &r;
    }
    return best;
}

// Every crossing of the table in the tree at `root`, one line each ("file:line: why").
std::vector<std::string> check_tree(const fs::path& root) {
    std::vector<std::string> problems;
    const auto rules = read_layers(root / "ops/layers.txt", problems);
    const std::regex include_re(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
    std::vector<fs::path> files;
    for (const auto& top : source_roots) {
        if (!fs::exists(root / top)) continue;
        for (const auto& e : fs::recursive_directory_iterator(root / top)) {
            const auto ext = e.path().extension();
            if (e.is_regular_file() && (ext == ".h" || ext == ".cpp")) files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& r : rules) {
        if (r.name != "schemas" && !fs::exists(root / r.name / "README.md"))
            problems.push_back(r.name + ": no README.md saying what the module is for");
    }
    for (const auto& file : files) {
        const std::string rel = fs::relative(file, root).generic_string();
        const module_rule* own = module_of(rules, rel);
        if (!own) {
            problems.push_back(rel + ": not in any module of ops/layers.txt");
            continue;
        }
        std::ifstream in(file);
        int line_no = 0;
        for (std::string line; std::getline(in, line);) {
            ++line_no;
            std::smatch m;
            if (!std::regex_search(line, m, include_re)) continue;
            const std::string target = m[2];
            const std::string where = rel + ":" + std::to_string(line_no) + ": ";
            if (m[1] == "\"") {
                const module_rule* other = module_of(rules, target);
                if (!other) {
                    problems.push_back(where + own->name + " includes " + target +
                                       ", which is in no module it may use");
                } else if (other != own && !own->uses.count(other->name)) {
                    problems.push_back(where + own->name + " may not include " + other->name +
                                       " (" + target + "); ops/layers.txt says what it may use");
                }
                continue;
            }
            const bool guarded = std::any_of(
                guarded_prefixes.begin(), guarded_prefixes.end(),
                [&](const std::string& p) { return target.compare(0, p.size(), p) == 0; });
            if (!guarded) continue;
            const bool allowed = std::any_of(
                own->outside.begin(), own->outside.end(),
                [&](const std::string& p) { return target.compare(0, p.size(), p) == 0; });
            if (!allowed)
                problems.push_back(where + own->name + " may not include <" + target +
                                   ">; only the modules ops/layers.txt names for it may");
        }
    }
    return problems;
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A small tree in the shape of the project: a pure core, a log above it, an HTTP module on top.
void small_tree(const fs::path& root) {
    write(root / "ops/layers.txt",
          "# comment\n"
          "schemas     |                        | capnp/ |\n"
          "ledger/core | schemas                | openssl/ |\n"
          "ledger/log  | ledger/core            | librdkafka/ |\n"
          "api/http    | ledger/core ledger/log | boost/beast/ |\n");
    for (const auto* m : {"ledger/core", "ledger/log", "api/http"})
        write(root / m / "README.md", "what it is for\n");
    write(root / "ledger/core/event.h", "#pragma once\n#include <string>\n");
    write(root / "ledger/core/crypto.cpp",
          "#include \"ledger/core/event.h\"\n#include <openssl/evp.h>\n");
    write(root / "ledger/log/kafka_log.cpp",
          "#include \"ledger/core/event.h\"\n#include <librdkafka/rdkafka.h>\n");
    write(root / "api/http/server.cpp",
          "#include \"ledger/log/kafka_log.h\"\n#include <boost/beast/http.hpp>\n");
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_project_keeps_to_its_layers) {
    const auto problems = check_tree(UURWERK_SOURCE_DIR);
    for (const auto& p : problems) BOOST_TEST_MESSAGE(p);
    BOOST_TEST(problems.empty(), problems.size() << " crossing(s) of ops/layers.txt; first: "
                                                 << (problems.empty() ? "" : problems.front()));
}

BOOST_AUTO_TEST_CASE(the_project_has_modules_and_includes_to_check) {
    // Guards against a checker that passes because it reads nothing.
    std::vector<std::string> problems;
    const auto rules = read_layers(fs::path(UURWERK_SOURCE_DIR) / "ops/layers.txt", problems);
    BOOST_TEST(problems.empty());
    BOOST_TEST(rules.size() >= 10u);
    BOOST_TEST(module_of(rules, "ledger/core/rules.h") != nullptr);
    BOOST_TEST(module_of(rules, "ledger/core/rules.h")->name == "ledger/core");
    BOOST_TEST(module_of(rules, "api/http/routes.cpp")->name == "api/http");
    BOOST_TEST(module_of(rules, "api/routes.cpp") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_tree_that_keeps_to_its_layers_passes) {
    const uurwerk::testing::temp_dir dir;
    small_tree(dir.path);
    const auto problems = check_tree(dir.path);
    for (const auto& p : problems) BOOST_TEST_MESSAGE(p);
    BOOST_TEST(problems.empty());
}

BOOST_AUTO_TEST_CASE(the_core_including_a_module_above_it_fails) {
    const uurwerk::testing::temp_dir dir;
    small_tree(dir.path);
    write(dir.path / "ledger/core/rules.cpp", "#include \"api/http/server.h\"\n");
    const auto problems = check_tree(dir.path);
    BOOST_TEST(mentions(problems, "ledger/core/rules.cpp:1: ledger/core may not include api/http"));
}

BOOST_AUTO_TEST_CASE(beast_or_rocksdb_outside_their_modules_fails) {
    const uurwerk::testing::temp_dir dir;
    small_tree(dir.path);
    write(dir.path / "ledger/log/local_log.cpp",
          "#include <vector>\n#include <boost/beast/http.hpp>\n#include <rocksdb/db.h>\n");
    const auto problems = check_tree(dir.path);
    BOOST_TEST(mentions(problems, "local_log.cpp:2: ledger/log may not include <boost/beast/"));
    BOOST_TEST(mentions(problems, "local_log.cpp:3: ledger/log may not include <rocksdb/db.h>"));
    BOOST_TEST(problems.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_file_outside_every_module_or_a_test_header_fails) {
    const uurwerk::testing::temp_dir dir;
    small_tree(dir.path);
    write(dir.path / "api/loose.cpp", "int x;\n");
    write(dir.path / "ledger/core/merkle.cpp", "#include \"tests/support/fake.h\"\n");
    const auto problems = check_tree(dir.path);
    BOOST_TEST(mentions(problems, "api/loose.cpp: not in any module"));
    BOOST_TEST(mentions(problems, "merkle.cpp:1: ledger/core includes tests/support/fake.h"));
}

BOOST_AUTO_TEST_CASE(an_arrow_up_the_table_or_a_module_without_readme_fails) {
    const uurwerk::testing::temp_dir dir;
    small_tree(dir.path);
    // ledger/core naming ledger/log, which stands below it, would close a circle.
    write(dir.path / "ops/layers.txt",
          "schemas     |                        | capnp/ |\n"
          "ledger/core | schemas ledger/log     | openssl/ |\n"
          "ledger/log  | ledger/core            | librdkafka/ |\n"
          "api/http    | ledger/core ledger/log | boost/beast/ |\n");
    fs::remove(dir.path / "api/http/README.md");
    const auto problems = check_tree(dir.path);
    BOOST_TEST(mentions(problems, "ledger/core uses ledger/log, which is not on a line above it"));
    BOOST_TEST(mentions(problems, "api/http: no README.md"));
}
