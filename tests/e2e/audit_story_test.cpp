// An auditor's story against the real program: a coordinator announces the node's key, the node
// signs checkpoints, a client checks an inclusion proof and a consistency proof against them
// without trusting the server, and the auditor exports the community's log and verifies it
// offline; a tampered export and an untrusted key are refused with where and why.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "api/node/certificates.h"
#include "api/node/key_file.h"
#include "ledger/core/audit.h"
#include "tests/support/envelopes.h"
#include "tests/support/folder_bytes.h"
#include "tests/support/test_keys.h"
#include "tests/support/uurwerk_program.h"

using namespace uurwerk;
using namespace uurwerk::testing;

namespace {

struct audited_town : served_town {
    audited_town() : served_town("audit") {}
    // Anna founds the town and admits Cor; both have key files.
    void found_with_anna_and_cor() {
        ok({"keygen", "--out", path("anna.key"), "--community", "7", "--member", "1"});
        ok({"keygen", "--out", path("cor.key"), "--community", "7", "--member", "2"});
        ok({"found", "--key", path("anna.key"), "--name", "Buurtkring"});
        ok({"admit", "--key", path("anna.key"), "--member", "2", "--member-public-key",
            path("cor.key") + ".pub"});
    }
    // ...Anna lets the node sign, Cor claims `minutes` twice and Anna confirms both, and the
    // node signs a checkpoint (of 7 leaves), kept in `kept`.
    void two_hours_confirmed_and_a_kept_checkpoint(const std::string& minutes,
                                                   const std::string& kept) {
        found_with_anna_and_cor();
        ok({"announce-node", "--key", path("anna.key")});
        for (int i = 0; i < 2; ++i) {
            auto c = after(
                ok({"claim", "--key", path("cor.key"), "--receiver", "1", "--minutes", minutes}),
                "claim id: ");
            ok({"confirm", "--key", path("anna.key"), "--claim", c});
        }
        ok({"audit", "checkpoint", "--community", "7", "--out", kept});
    }
};

digest digest_of(const json_value* v) {
    BOOST_REQUIRE(v != nullptr);
    auto b = fixed_from_hex<digest_bytes>(v->as_string().value_or(""), "digest");
    BOOST_REQUIRE(b.ok());
    return digest{*b};
}

std::uint64_t number_of(const json_value* v) {
    BOOST_REQUIRE(v != nullptr);
    auto n = parse_decimal(v->as_string().value_or(""));
    BOOST_REQUIRE(n.has_value());
    return *n;
}

// Checks a checkpoint JSON by its signature, as a client that trusts only `node_key` would;
// returns its (size, root) as signed.
std::pair<std::uint64_t, digest> checked_checkpoint(const json_value& cp, const public_key& node) {
    auto body = from_base64(cp.at("body_base64")->as_string().value());
    BOOST_REQUIRE(body.ok());
    auto sig = fixed_from_hex<signature_bytes>(cp.at("signature")->as_string().value(), "sig");
    BOOST_REQUIRE(sig.ok());
    key_cache keys;
    BOOST_REQUIRE(keys.verify_envelope(envelope{*body, node, signature{*sig}}));
    auto b = decode_body(*body);
    BOOST_REQUIRE(b.ok());
    const auto& c = std::get<checkpoint>(b->payload);
    BOOST_CHECK_EQUAL(c.tree_size, number_of(cp.at("tree_size")));
    BOOST_CHECK(c.root == digest_of(cp.at("root")));
    return {c.tree_size, c.root};
}

}  // namespace

BOOST_AUTO_TEST_CASE(checkpoints_proofs_and_an_offline_audit_through_the_program) {
    audited_town t;
    t.found_with_anna_and_cor();

    // Before the coordinator announces the node's key, the node may not sign for the town.
    auto refused = t.uw({"audit", "checkpoint", "--community", "7"});
    BOOST_CHECK_EQUAL(refused.exit_code, 1);
    BOOST_CHECK(refused.out.find("announce-node") != std::string::npos);
    t.ok({"announce-node", "--key", t.path("anna.key")});
    auto node_hex = t.get("/v1/node").string_at("node_key").value();
    const public_key node{*fixed_from_hex<public_key_bytes>(node_hex, "node key")};

    std::vector<std::string> claims;
    for (int i = 0; i < 3; ++i) {
        auto c = t.ok({"claim", "--key", t.path("cor.key"), "--receiver", "1", "--minutes", "45"});
        claims.push_back(after(c, "claim id: "));
        t.ok({"confirm", "--key", t.path("anna.key"), "--claim", claims.back()});
    }
    auto first = t.ok({"audit", "checkpoint", "--community", "7"});
    BOOST_CHECK(first.find("signed: checkpoint of 9 events") != std::string::npos);
    // Nothing new since: the same checkpoint, not a new one that only counts itself.
    BOOST_CHECK(t.ok({"audit", "checkpoint", "--community", "7"}).find("unchanged") !=
                std::string::npos);
    auto early = t.get("/v1/communities/7/checkpoints/latest");
    auto [early_size, early_root] = checked_checkpoint(early.root(), node);
    BOOST_CHECK_EQUAL(early_size, 9u);

    t.ok({"transfer", "--key", t.path("cor.key"), "--to", "1", "--minutes", "10"});
    t.ok({"audit", "checkpoint", "--community", "7"});
    auto latest = t.get("/v1/communities/7/checkpoints/latest");
    auto [size, root] = checked_checkpoint(latest.root(), node);
    BOOST_CHECK_EQUAL(size, 11u);

    // An inclusion proof of the first claim against the latest checkpoint, checked here.
    auto proof = t.get("/v1/communities/7/events/" + claims[0] + "/proof");
    auto body = from_base64(proof.string_at("body_base64").value());
    auto sig = fixed_from_hex<signature_bytes>(proof.string_at("signature").value(), "sig");
    auto signer = fixed_from_hex<public_key_bytes>(proof.string_at("signer").value(), "key");
    BOOST_REQUIRE(body.ok() && sig.ok() && signer.ok());
    const auto stored = encode_envelope(envelope{*body, public_key{*signer}, signature{*sig}});
    std::vector<digest> path;
    for (const auto& p : *proof.root().at("audit_path")->as_array()) path.push_back(digest_of(&p));
    const auto leaf = number_of(proof.root().at("leaf_index"));
    BOOST_CHECK(merkle_verify_inclusion(merkle_leaf_hash(stored), leaf, size, path, root));
    BOOST_CHECK(!merkle_verify_inclusion(merkle_leaf_hash(stored), leaf + 1, size, path, root));
    // And that the ledger accepted it, when it was logged: its verdict leaf, proved in the
    // verdict tree whose root the same checkpoint signs.
    const auto* verdict = proof.root().at("verdict");
    BOOST_REQUIRE(verdict != nullptr);
    BOOST_CHECK_EQUAL(verdict->at("code")->as_string().value_or("?"), "0");
    const auto vleaf = verdict_leaf_hash(
        leaf, reject_reason::none, offset{number_of(verdict->at("offset"))},
        time_ms{static_cast<std::int64_t>(number_of(verdict->at("appended_at_ms")))});
    BOOST_CHECK(vleaf == digest_of(verdict->at("leaf_hash")));
    std::vector<digest> vpath;
    for (const auto& p : *verdict->at("audit_path")->as_array()) vpath.push_back(digest_of(&p));
    const auto signed_body = decode_body(*from_base64(latest.string_at("body_base64").value()));
    BOOST_REQUIRE(signed_body.ok());
    const auto verdict_root = std::get<checkpoint>(signed_body->payload).verdict_root;
    BOOST_REQUIRE(verdict_root.has_value());
    BOOST_CHECK(merkle_verify_inclusion(vleaf, leaf, size, vpath, *verdict_root));
    // The same proof by leaf index.
    const auto by_index_doc = t.get("/v1/communities/7/leaves/" + std::to_string(leaf) + "/proof");
    const auto& by_index = by_index_doc.root();
    BOOST_CHECK(digest_of(by_index.at("verdict")->at("leaf_hash")) == vleaf);
    BOOST_CHECK(digest_of(by_index.at("leaf_hash")) == merkle_leaf_hash(stored));
    t.get("/v1/communities/7/leaves/99/proof", 404);
    // Against an older tree size, and not against one that does not hold it yet.
    t.get("/v1/communities/7/events/" + claims[0] + "/proof?tree_size=9");
    t.get("/v1/communities/7/events/" + claims[0] + "/proof?tree_size=2", 409);
    // Past the tree: a 409 with its code (it was a 500 before one table gave each code a status).
    auto past = t.get("/v1/communities/7/events/" + claims[0] + "/proof?tree_size=99", 409);
    BOOST_CHECK_EQUAL(past.root().at("error")->at("code")->as_string().value_or(""), "beyond_tree");

    // The later tree extends the earlier one.
    auto consistency = t.get("/v1/communities/7/consistency?first=9&second=11");
    std::vector<digest> cpath;
    for (const auto& p : *consistency.root().at("proof")->as_array())
        cpath.push_back(digest_of(&p));
    BOOST_CHECK(merkle_verify_consistency(9, 11, early_root, root, cpath));
    t.get("/v1/communities/7/consistency?first=9&second=99", 409);
    t.get("/v1/communities/7/consistency?first=0&second=9", 400);
    t.get("/v1/communities/7/consistency?first=9&second=2", 400);
    auto leaves = t.get("/v1/communities/7/leaves?from=2&limit=3");
    BOOST_CHECK_EQUAL(leaves.root().at("leaves")->as_array()->size(), 3u);

    // The auditor, whom the coordinator appoints (a key of no member), exports and verifies
    // offline with the node key they trust.
    const auto file = t.path("town.uwa");
    t.ok({"keygen", "--out", t.key("auditor"), "--community", "7"});
    auto before =
        t.uw({"audit", "export", "--community", "7", "--key", t.key("auditor"), "--out", file});
    BOOST_CHECK_EQUAL(before.exit_code, 1);
    BOOST_CHECK_MESSAGE(before.out.find("not the key of a current auditor") != std::string::npos,
                        before.out);
    // Only a coordinator appoints, for 1 to 365 days.
    const std::vector<std::string> appoint = {"appoint-auditor", "--auditor-public-key",
                                              t.key("auditor") + ".pub"};
    auto by_member = appoint;
    by_member.insert(by_member.end(), {"--key", t.key("cor"), "--days", "30"});
    auto refused_member = t.uw(by_member);
    BOOST_CHECK_EQUAL(refused_member.exit_code, 1);
    BOOST_CHECK_MESSAGE(refused_member.out.find("not_coordinator") != std::string::npos,
                        refused_member.out);
    auto too_long = appoint;
    too_long.insert(too_long.end(), {"--key", t.key("anna"), "--days", "366"});
    BOOST_CHECK_EQUAL(t.uw(too_long).exit_code, 2);
    auto appointed = appoint;
    appointed.insert(appointed.end(), {"--key", t.key("anna"), "--days", "30"});
    t.ok(appointed);
    t.ok({"audit", "checkpoint", "--community", "7"});  // the node signs for them too
    t.ok({"audit", "export", "--community", "7", "--key", t.key("auditor"), "--out", file});
    // An auditor reads no member's data.
    auto balance =
        t.uw({"balance", "--community", "7", "--member", "2", "--key", t.key("auditor")});
    BOOST_CHECK_EQUAL(balance.exit_code, 1);
    BOOST_CHECK_MESSAGE(balance.out.find("forbidden") != std::string::npos, balance.out);
    auto verified = t.ok({"audit", "verify", file, "--trust", node_hex, "--balances"});
    BOOST_CHECK(verified.find("OK:") != std::string::npos);
    BOOST_CHECK(verified.find("3 checkpoints verified") != std::string::npos);
    BOOST_CHECK(verified.find("135 minutes of help confirmed") != std::string::npos);

    // A key they do not trust, a changed byte, a missing file: exit 1 and say what and where.
    auto stranger = t.uw({"audit", "verify", file, "--trust", std::string(64, 'a')});
    BOOST_CHECK_EQUAL(stranger.exit_code, 1);
    BOOST_CHECK(stranger.out.find("not a trusted node key") != std::string::npos);
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(export_header_bytes + export_record_header_bytes + 40);
        char c;
        f.read(&c, 1);
        f.seekp(export_header_bytes + export_record_header_bytes + 40);
        c ^= 0x20;
        f.write(&c, 1);
    }
    auto tampered = t.uw({"audit", "verify", file, "--trust", node_hex});
    BOOST_CHECK_EQUAL(tampered.exit_code, 1);
    BOOST_CHECK(tampered.out.find("record 0") != std::string::npos);
    BOOST_CHECK_EQUAL(t.uw({"audit", "verify", t.path("none.uwa"), "--trust", node_hex}).exit_code,
                      1);
    BOOST_CHECK_EQUAL(t.uw({"audit", "verify", file}).exit_code, 2);  // no trusted key given
    BOOST_CHECK_EQUAL(t.uw({"audit", "frobnicate"}).exit_code, 2);

    // The coordinator ends the appointment: the auditor reads no more.
    auto ended = appoint;
    ended.insert(ended.end(), {"--key", t.key("anna"), "--end"});
    t.ok(ended);
    auto after_end = t.uw({"audit", "export", "--community", "7", "--key", t.key("auditor"),
                           "--out", t.path("late.uwa")});
    BOOST_CHECK_EQUAL(after_end.exit_code, 1);
    BOOST_CHECK_MESSAGE(after_end.out.find("not the key of a current auditor") != std::string::npos,
                        after_end.out);

    // After a restart the node serves the same tree and checkpoint.
    const auto latest_root =
        digest_of(t.get("/v1/communities/7/checkpoints/latest").root().at("root"));
    const auto tree_size = number_of(t.get("/v1/communities/7/tree").root().at("tree_size"));
    BOOST_CHECK_EQUAL(tree_size, 16u);  // 12, the two appointments, a checkpoint, the end
    t.server.stop(SIGTERM);
    t.server.start();
    auto again = t.get("/v1/communities/7/checkpoints/latest");
    BOOST_CHECK(digest_of(again.root().at("root")) == latest_root);
    BOOST_CHECK_EQUAL(number_of(t.get("/v1/communities/7/tree").root().at("tree_size")), tree_size);
}

namespace {

// Runs one of the independent Python checkers (tests/e2e/verify_certificate.py or
// verify_export.py) on `file` with `args`; its exit code and output.
command_result python_check(const std::string& script, const std::string& file,
                            const std::string& args, const std::string& out_file) {
    const std::string cmd = "/usr/bin/python3 " UURWERK_SOURCE_DIR "/tests/e2e/" + script + " " +
                            file + " " + args + " > " + out_file + " 2>&1";
    const int status = std::system(cmd.c_str());
    command_result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    std::ifstream in(out_file);
    r.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

command_result python_verify(const std::string& file, const std::string& trust,
                             const std::string& out_file) {
    return python_check("verify_certificate.py", file, "--trust " + trust, out_file);
}

// Both verifiers refuse the certificate in `file`, each saying `why`.
void refused_by_both(audited_town& t, const std::string& file, const std::string& node,
                     const std::string& why) {
    auto here = t.uw({"audit", "verify-certificate", file, "--trust", node});
    BOOST_CHECK_EQUAL(here.exit_code, 1);
    BOOST_CHECK_MESSAGE(here.out.find(why) != std::string::npos, file + ": " + here.out);
    auto py = python_verify(file, node, file + ".py.out");
    BOOST_CHECK_EQUAL(py.exit_code, 1);
    BOOST_CHECK_MESSAGE(py.out.find(why) != std::string::npos, file + ": " + py.out);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_hour_certificate_is_checked_offline_here_and_by_a_python_verifier) {
    audited_town t;
    for (auto [who, id] : {std::pair{"anna", "1"}, {"cor", "2"}, {"bep", "3"}, {"daan", "4"}})
        t.ok({"keygen", "--out", t.path(std::string(who) + ".key"), "--community", "7", "--member",
              id});
    t.ok({"found", "--key", t.path("anna.key"), "--name", "Buurtkring"});
    for (auto [who, id] : {std::pair{"cor", "2"}, {"bep", "3"}, {"daan", "4"}})
        t.ok({"admit", "--key", t.path("anna.key"), "--member", id, "--member-public-key",
              (t.path(std::string(who) + ".key")) + ".pub"});
    t.ok({"announce-node", "--key", t.path("anna.key")});
    // Bep lets her neighbour Daan confirm hours for her.
    t.ok({"delegate", "--key", t.path("bep.key"), "--to", "4", "--kinds", "hoursConfirmed"});
    auto c1 =
        after(t.ok({"claim", "--key", t.path("cor.key"), "--receiver", "1", "--minutes", "60"}),
              "claim id: ");
    t.ok({"confirm", "--key", t.path("anna.key"), "--claim", c1});
    auto c2 =
        after(t.ok({"claim", "--key", t.path("cor.key"), "--receiver", "3", "--minutes", "30"}),
              "claim id: ");
    t.ok({"confirm", "--key", t.path("daan.key"), "--for", "3", "--claim", c2});
    t.ok({"claim", "--key", t.path("cor.key"), "--receiver", "1", "--minutes", "15"});  // pending

    // No checkpoint yet: nothing to prove against.
    auto early = t.uw({"audit", "certificate", "--key", t.key("anna"), "--community", "7",
                       "--member", "2", "--out", t.path("early.json")});
    BOOST_CHECK_EQUAL(early.exit_code, 1);
    BOOST_CHECK(early.out.find("no checkpoint") != std::string::npos);
    t.ok({"audit", "checkpoint", "--community", "7"});

    const auto cert = t.path("cor.json");
    auto made = t.ok({"audit", "certificate", "--key", t.key("anna"), "--community", "7",
                      "--member", "2", "--out", cert});
    BOOST_CHECK(made.find("2 confirmed claims, 90 minutes") != std::string::npos);
    const auto node = t.get("/v1/node").string_at("node_key").value();
    auto ok = t.ok({"audit", "verify-certificate", cert, "--trust", node});
    BOOST_CHECK(ok.find("gave 90 minutes") != std::string::npos);
    auto py = python_verify(cert, node, t.path("py.out"));
    BOOST_CHECK_MESSAGE(py.exit_code == 0, py.out);
    BOOST_CHECK(py.out.find("gave 90 minutes") != std::string::npos);

    // The countersignature of the delegated confirmation replaced by the claimant's own: both
    // verifiers refuse, and say which claim's confirmation.
    auto parsed = certificate_from_json(slurp(cert));
    BOOST_REQUIRE(parsed.ok());
    auto forged = *parsed;
    auto& confirmation = forged.claims.at(1).confirmation;
    auto env = decode_envelope(confirmation.envelope);
    BOOST_REQUIRE(env.ok());
    auto cor = read_key_file(t.path("cor.key"));
    BOOST_REQUIRE(cor.ok());
    auto cor_key = signing_key::from_seed(cor->seed);
    BOOST_REQUIRE(cor_key.ok());
    env->sig = cor_key->sign_event_body(env->body);
    env->signer = cor_key->public_bytes();
    confirmation.envelope = encode_envelope(*env);
    const auto forged_path = t.path("forged.json");
    std::ofstream(forged_path) << certificate_to_json(forged);
    auto refused = t.uw({"audit", "verify-certificate", forged_path, "--trust", node});
    BOOST_CHECK_EQUAL(refused.exit_code, 1);
    BOOST_CHECK(refused.out.find("claim 1's confirmation") != std::string::npos);
    auto py_refused = python_verify(forged_path, node, t.path("py2.out"));
    BOOST_CHECK_EQUAL(py_refused.exit_code, 1);
    BOOST_CHECK(py_refused.out.find("claim 1's confirmation") != std::string::npos);

    // A changed total, and a node key the reader does not trust.
    auto inflated = *parsed;
    inflated.stated_total = minutes{900};
    std::ofstream(t.path("inflated.json")) << certificate_to_json(inflated);
    BOOST_CHECK_EQUAL(python_verify(t.path("inflated.json"), node, t.path("py3.out")).exit_code, 1);
    BOOST_CHECK_EQUAL(
        t.uw({"audit", "verify-certificate", t.path("inflated.json"), "--trust", node}).exit_code,
        1);
    auto stranger = python_verify(cert, std::string(64, 'b'), t.path("py4.out"));
    BOOST_CHECK_EQUAL(stranger.exit_code, 1);
    BOOST_CHECK(stranger.out.find("not a trusted node key") != std::string::npos);

    // One real 60-minute claim listed ten times, stating 600 minutes: each event counts once.
    auto repeated = *parsed;
    repeated.claims.assign(10, parsed->claims.at(0));
    repeated.stated_total = minutes{600};
    std::ofstream(t.path("repeated.json")) << certificate_to_json(repeated);
    refused_by_both(t, t.path("repeated.json"), node, "twice");

    // A certificate of format 1 (no verdict proofs) is refused by both, saying why.
    std::string old = slurp(cert);
    old.replace(old.find("uurwerk-hour-certificate/3"), 26, "uurwerk-hour-certificate/1");
    std::ofstream(t.path("old.json")) << old;
    refused_by_both(t, t.path("old.json"), node, "old format");
}

BOOST_AUTO_TEST_CASE(a_cut_retimed_or_forged_export_is_refused_here_and_by_a_python_checker) {
    audited_town t;
    const auto kept = t.path("kept.json");
    t.two_hours_confirmed_and_a_kept_checkpoint("90", kept);
    const auto node = t.get("/v1/node").string_at("node_key").value();
    const auto file = t.path("town.uwa");
    t.ok({"audit", "export", "--community", "7", "--key", t.key("anna"), "--out", file});
    auto verify = [&](const std::string& f, std::vector<std::string> more) {
        std::vector<std::string> args{"audit", "verify", f, "--trust", node};
        args.insert(args.end(), more.begin(), more.end());
        return t.uw(args);
    };
    auto py = [&](const std::string& f, const std::string& more) {
        return python_check("verify_export.py", f, "--trust " + node + " " + more,
                            t.path("pyx.out"));
    };
    auto sound = verify(file, {"--expect-file", kept});
    BOOST_CHECK_MESSAGE(sound.exit_code == 0, sound.out);
    const auto kept_doc = json_doc::parse(slurp(kept));
    BOOST_REQUIRE(kept_doc.ok());
    const std::string expect =
        kept_doc->string_at("tree_size").value() + ":" + kept_doc->string_at("root").value();
    auto py_sound = py(file, "--expect " + expect);
    BOOST_CHECK_MESSAGE(py_sound.exit_code == 0, py_sound.out);

    // One record's log time moved by a millisecond (the rules would give the same verdicts): the
    // checkpoint's verdict root signed the true one.
    const std::string whole = slurp(file);
    {
        std::string retimed = whole;
        const std::size_t time_at = export_header_bytes + 8;  // record 0's log time, last byte
        retimed[time_at + 7] = static_cast<char>(retimed[time_at + 7] ^ 0x01);
        std::ofstream(t.path("retimed.uwa"), std::ios::binary) << retimed;
        auto moved = verify(t.path("retimed.uwa"), {});
        BOOST_CHECK_EQUAL(moved.exit_code, 1);
        BOOST_CHECK_MESSAGE(moved.out.find("not what the node signed") != std::string::npos,
                            moved.out);
        auto py_moved = py(t.path("retimed.uwa"), "");
        BOOST_CHECK_EQUAL(py_moved.exit_code, 1);
        BOOST_CHECK_MESSAGE(py_moved.out.find("not what the node signed") != std::string::npos,
                            py_moved.out);
    }

    // The same log time moved, and the export cut before the checkpoint that signed it: with
    // the tail allowed, its events still reach the kept checkpoint's root, but not its verdict
    // root (--expect-file, or --expect SIZE:ROOT:VERDICTROOT by hand, and the Python checker).
    {
        std::size_t end = export_header_bytes;
        for (int i = 0; i < 7; ++i) {
            std::uint32_t n = 0;
            for (int k = 0; k < 4; ++k)
                n = n << 8 |
                    static_cast<std::uint8_t>(whole[end + 18 + static_cast<std::size_t>(k)]);
            end += export_record_header_bytes + n;
        }
        std::string retimed = whole.substr(0, end);
        const std::size_t time_at = export_header_bytes + 8;
        retimed[time_at + 7] = static_cast<char>(retimed[time_at + 7] ^ 0x01);
        const auto file_retimed = t.path("cut_retimed.uwa");
        std::ofstream(file_retimed, std::ios::binary) << retimed;
        const std::string full_expect = expect + ":" + kept_doc->string_at("verdict_root").value();
        for (const auto& how : {std::vector<std::string>{"--expect-file", kept},
                                std::vector<std::string>{"--expect", full_expect}}) {
            auto args = how;
            args.push_back("--allow-unverified-tail");
            auto moved = verify(file_retimed, args);
            BOOST_CHECK_EQUAL(moved.exit_code, 1);
            BOOST_CHECK_MESSAGE(moved.out.find("not the verdict root") != std::string::npos,
                                moved.out);
        }
        auto py_moved = py(file_retimed, "--expect " + full_expect + " --allow-unverified-tail");
        BOOST_CHECK_EQUAL(py_moved.exit_code, 1);
        BOOST_CHECK_MESSAGE(py_moved.out.find("not the verdict root") != std::string::npos,
                            py_moved.out);
        // Unaltered, the cut export reaches it (its records unverified, allowed).
        std::ofstream(t.path("cut7.uwa"), std::ios::binary) << whole.substr(0, end);
        auto reached =
            verify(t.path("cut7.uwa"), {"--expect", full_expect, "--allow-unverified-tail"});
        BOOST_CHECK_MESSAGE(reached.exit_code == 0, reached.out);
        auto py_reached =
            py(t.path("cut7.uwa"), "--expect " + full_expect + " --allow-unverified-tail");
        BOOST_CHECK_MESSAGE(py_reached.exit_code == 0, py_reached.out);
    }

    // An export of the old format is refused by both, saying so.
    std::ofstream(t.path("old.uwa"), std::ios::binary) << "UWAUDIT1" + whole.substr(8);
    auto old = verify(t.path("old.uwa"), {});
    BOOST_CHECK_EQUAL(old.exit_code, 1);
    BOOST_CHECK_MESSAGE(old.out.find("old format UWAUDIT1") != std::string::npos, old.out);
    auto py_old = py(t.path("old.uwa"), "");
    BOOST_CHECK_EQUAL(py_old.exit_code, 1);
    BOOST_CHECK_MESSAGE(py_old.out.find("old format UWAUDIT1") != std::string::npos, py_old.out);

    // Cut at a record boundary before the checkpoint: fine alone, short of what was kept.
    std::size_t pos = export_header_bytes;
    for (int i = 0; i < 4; ++i) {
        std::uint32_t n = 0;
        for (int k = 0; k < 4; ++k)
            n = n << 8 | static_cast<std::uint8_t>(whole[pos + 18 + static_cast<std::size_t>(k)]);
        pos += export_record_header_bytes + n;
    }
    const auto cut = t.path("cut.uwa");
    std::ofstream(cut, std::ios::binary) << whole.substr(0, pos);
    auto short_one = verify(cut, {"--expect-file", kept});
    BOOST_CHECK_EQUAL(short_one.exit_code, 1);
    BOOST_CHECK_MESSAGE(short_one.out.find("cut short") != std::string::npos, short_one.out);
    auto by_hand = verify(cut, {"--expect", expect, "--allow-unverified-tail"});
    BOOST_CHECK_EQUAL(by_hand.exit_code, 1);
    auto py_short = py(cut, "--expect " + expect + " --allow-unverified-tail");
    BOOST_CHECK_EQUAL(py_short.exit_code, 1);
    BOOST_CHECK_MESSAGE(py_short.out.find("cut short") != std::string::npos, py_short.out);

    // Cor signs a transfer of 100 minutes to Anna and never submits it; appended after the
    // last checkpoint and marked accepted, it is not counted as verified.
    auto cor = read_key_file(t.path("cor.key"));
    BOOST_REQUIRE(cor.ok());
    auto cor_key = signing_key::from_seed(cor->seed);
    BOOST_REQUIRE(cor_key.ok());
    event_id id;
    id.b.fill(0xab);
    const auto forged_env = encode_envelope(cor_key->seal(
        event_body{id, community_id{7}, member_id{2}, sequence{1000}, time_ms{1}, std::nullopt,
                   transfer{member_id{1}, minutes{100}, std::nullopt}}));
    std::string forged = whole;
    append_export_record(forged, export_record{offset{999}, time_ms{1'800'000'000'000},
                                               reject_reason::none, forged_env});
    const auto forged_file = t.path("forged.uwa");
    std::ofstream(forged_file, std::ios::binary) << forged;
    auto tail = verify(forged_file, {"--balances"});
    BOOST_CHECK_EQUAL(tail.exit_code, 1);
    BOOST_CHECK_MESSAGE(tail.out.find("beyond the last trusted checkpoint") != std::string::npos,
                        tail.out);
    auto py_tail = py(forged_file, "");
    BOOST_CHECK_EQUAL(py_tail.exit_code, 1);
    BOOST_CHECK_MESSAGE(py_tail.out.find("beyond the last trusted checkpoint") != std::string::npos,
                        py_tail.out);
    // Allowed, it is reported apart, and the figures it changed are marked.
    auto allowed = verify(forged_file, {"--balances", "--allow-unverified-tail"});
    BOOST_CHECK_MESSAGE(allowed.exit_code == 0, allowed.out);
    BOOST_CHECK(allowed.out.find("UNVERIFIED TAIL: 1 events") != std::string::npos);
    BOOST_CHECK(allowed.out.find(" *\n") != std::string::npos);
    BOOST_CHECK_EQUAL(py(forged_file, "--allow-unverified-tail").exit_code, 0);
}

BOOST_AUTO_TEST_CASE(a_member_cannot_take_the_ids_of_the_nodes_checkpoints_ahead) {
    // The attack: the id of a checkpoint used to follow from public facts (community, tree size,
    // node key), so a member could sign events under the ids of the next checkpoints, and every
    // one of them became a repeat: no checkpoint, no certificate, an audit without an end.
    audited_town t;
    t.found_with_anna_and_cor();
    t.ok({"announce-node", "--key", t.path("anna.key")});
    const public_key node{*fixed_from_hex<public_key_bytes>(
        t.get("/v1/node").string_at("node_key").value(), "node key")};
    for (std::uint64_t size = 3; size < 23; ++size)
        t.ok({"offer", "--key", t.path("cor.key"), "--category", "lifts", "--id",
              checkpoint_event_id(community_id{7}, size + 1, node).hex()});
    auto signed_now = t.ok({"audit", "checkpoint", "--community", "7"});
    BOOST_CHECK_MESSAGE(signed_now.find("signed: checkpoint of 23 events") != std::string::npos,
                        signed_now);
}

BOOST_AUTO_TEST_CASE(a_node_that_forks_its_log_is_caught_by_a_kept_checkpoint) {
    audited_town t;
    const auto kept = t.path("kept.json");
    t.two_hours_confirmed_and_a_kept_checkpoint("20", kept);  // 7 leaves
    const auto node_a = t.get("/v1/node").string_at("node_key").value();

    // The honest node goes on; its later log extends what the auditor kept.
    t.ok({"transfer", "--key", t.path("cor.key"), "--to", "1", "--minutes", "5"});
    t.ok({"audit", "checkpoint", "--community", "7"});
    auto honest = t.ok({"audit", "consistency", "--old", kept, "--trust", node_a});
    BOOST_CHECK(honest.find("extends your checkpoint of 7 leaves") != std::string::npos);
    // The verified latest is kept for next time, and serves as the next --old.
    const auto kept_next = t.path("kept-next.json");
    t.ok({"audit", "consistency", "--old", kept, "--trust", node_a, "--out", kept_next});
    BOOST_CHECK(t.ok({"audit", "consistency", "--old", kept_next, "--trust", node_a})
                    .find("extends your checkpoint of 9 leaves") != std::string::npos);

    // A second node that shares the first five events and then tells another story.
    server_process forked{t.dir.path / "forked"};
    allow_founder_file(t.dir.path / "forked", t.path("anna.key.pub"));
    auto first = t.get("/v1/communities/7/leaves?from=0&limit=5");
    for (const auto& l : *first.root().at("leaves")->as_array()) {
        const std::string body = "{\"body\": \"" + l.at("body_base64")->as_string().value() +
                                 "\", \"signer\": \"" + l.at("signer")->as_string().value() +
                                 "\", \"signature\": \"" + l.at("signature")->as_string().value() +
                                 "\"}";
        auto r = http_call("127.0.0.1", forked.port(), "POST", "/v1/events", body);
        BOOST_REQUIRE(r.ok() && r->status == 200);
    }
    auto on_fork = [&](std::vector<std::string> args) {
        args.push_back("--server");
        args.push_back(forked.url());
        auto r = run_uurwerk(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == 0, args[0] + " failed: " + r.out);
        return r.out;
    };
    on_fork({"announce-node", "--key", t.path("anna.key")});
    on_fork({"transfer", "--key", t.path("cor.key"), "--to", "1", "--minutes", "50"});
    on_fork({"transfer", "--key", t.path("cor.key"), "--to", "1", "--minutes", "50"});
    on_fork({"audit", "checkpoint", "--community", "7"});
    auto node_b = http_call("127.0.0.1", forked.port(), "GET", "/v1/node", "");
    BOOST_REQUIRE(node_b.ok());
    const auto key_b = json_doc::parse(node_b->body)->string_at("node_key").value();

    auto caught = run_uurwerk({"audit", "consistency", "--old", kept, "--trust",
                               node_a + "," + key_b, "--server", forked.url()});
    BOOST_CHECK_EQUAL(caught.exit_code, 1);
    BOOST_CHECK_MESSAGE(
        caught.out.find("does not extend your checkpoint of 7 leaves") != std::string::npos,
        caught.out);
    // Trusting only the first node, the second node's checkpoint is refused outright.
    auto untrusted = run_uurwerk(
        {"audit", "consistency", "--old", kept, "--trust", node_a, "--server", forked.url()});
    BOOST_CHECK_EQUAL(untrusted.exit_code, 1);
    BOOST_CHECK(untrusted.out.find("not a trusted node key") != std::string::npos);
}

namespace {

signing_key key_of_file(const std::string& path) {
    auto f = read_key_file(path);
    BOOST_REQUIRE(f.ok());
    auto k = signing_key::from_seed(f->seed);
    BOOST_REQUIRE(k.ok());
    return std::move(*k);
}

// Signs `body` with `key` and submits it as any client could: the ledger's reason ("none" when
// it accepted the event; a rejected event is in the log all the same).
std::string submit(audited_town& t, const signing_key& key, const event_body& body) {
    const auto env = key.seal(body);
    auto r = http_call("127.0.0.1", t.server.port(), "POST", "/v1/events", envelope_json(env));
    BOOST_REQUIRE(r.ok());
    auto doc = json_doc::parse(r->body);
    BOOST_REQUIRE(doc.ok());
    return doc->string_at("reason").value_or("?");
}

// An event as a certificate lists it, from a proof route (against the latest checkpoint): of
// event `id`, or of leaf `index`.
proved_event proved_by_route(audited_town& t, const std::string& target) {
    auto p = t.get(target);
    auto body = from_base64(p.string_at("body_base64").value());
    auto sig = fixed_from_hex<signature_bytes>(p.string_at("signature").value(), "sig");
    auto signer = fixed_from_hex<public_key_bytes>(p.string_at("signer").value(), "key");
    BOOST_REQUIRE(body.ok() && sig.ok() && signer.ok());
    proved_event out;
    out.leaf_index = number_of(p.root().at("leaf_index"));
    out.envelope = encode_envelope(envelope{*body, public_key{*signer}, signature{*sig}});
    for (const auto& h : *p.root().at("audit_path")->as_array())
        out.audit_path.push_back(digest_of(&h));
    // Its verdict leaf as the route proves it (a forger can only copy it).
    const auto* verdict = p.root().at("verdict");
    out.at = offset{number_of(verdict->at("offset"))};
    out.appended_at = time_ms{static_cast<std::int64_t>(number_of(verdict->at("appended_at_ms")))};
    for (const auto& h : *verdict->at("audit_path")->as_array())
        out.verdict_path.push_back(digest_of(&h));
    return out;
}

proved_event proved_by_route(audited_town& t, const event_id& id) {
    return proved_by_route(t, "/v1/communities/7/events/" + id.hex() + "/proof");
}

event_body body_of(community_id c, member_id author, std::uint64_t seq, event_payload payload,
                   std::optional<member_id> on_behalf_of = std::nullopt) {
    return event_body{random_event_id(), c, author, sequence{seq}, time_ms{1}, on_behalf_of,
                      std::move(payload)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(events_the_ledger_rejected_prove_no_hours) {
    audited_town t;
    t.found_with_anna_and_cor();
    t.ok({"keygen", "--out", t.path("bep.key"), "--community", "7", "--member", "3"});
    t.ok({"admit", "--key", t.path("anna.key"), "--member", "3", "--member-public-key",
          t.path("bep.key.pub")});
    t.ok({"announce-node", "--key", t.path("anna.key")});
    // One real claim of 90 minutes, confirmed by Anna.
    auto real =
        after(t.ok({"claim", "--key", t.path("cor.key"), "--receiver", "1", "--minutes", "90"}),
              "claim id: ");
    t.ok({"confirm", "--key", t.path("anna.key"), "--claim", real});

    // Cor alone: a second key K2 on his own account, then with K2 a keyAdded that binds K2 to
    // Anna (a coordinator) "for" her: rejected, yet a leaf.
    const community_id town{7};
    const auto cor = key_of_file(t.path("cor.key"));
    const auto bep = key_of_file(t.path("bep.key"));
    const auto k2 = uurwerk::testing::key_filled_with(0x42);
    const auto add_k2 =
        body_of(town, member_id{2}, 1000, key_added{member_id{2}, k2.public_bytes()});
    BOOST_REQUIRE_EQUAL(submit(t, cor, add_k2), "none");
    const auto k2_as_anna =
        body_of(town, member_id{2}, 1, key_added{member_id{1}, k2.public_bytes()}, member_id{1});
    BOOST_CHECK_NE(submit(t, k2, k2_as_anna), "none");
    // A pending claim of 1,440 minutes, a rejected one of 10,080; K2 signs both confirmations
    // as Anna: both rejected.
    const auto pending =
        body_of(town, member_id{2}, 1001,
                hours_claimed{member_id{1}, minutes{1440}, std::nullopt, std::nullopt});
    BOOST_REQUIRE_EQUAL(submit(t, cor, pending), "none");
    const auto too_much =
        body_of(town, member_id{2}, 1002,
                hours_claimed{member_id{1}, minutes{10080}, std::nullopt, std::nullopt});
    BOOST_CHECK_EQUAL(submit(t, cor, too_much), "amount_over_policy");
    const auto confirm_pending = body_of(town, member_id{1}, 2, hours_confirmed{pending.id});
    const auto confirm_too_much = body_of(town, member_id{1}, 3, hours_confirmed{too_much.id});
    BOOST_CHECK_NE(submit(t, k2, confirm_pending), "none");
    BOOST_CHECK_NE(submit(t, k2, confirm_too_much), "none");
    // Cor and Bep together: a claim of 5,000 minutes from Bep (rejected) that Bep confirms
    // (rejected too).
    const auto big =
        body_of(town, member_id{2}, 1003,
                hours_claimed{member_id{3}, minutes{5000}, std::nullopt, std::nullopt});
    BOOST_CHECK_NE(submit(t, cor, big), "none");
    const auto bep_confirms = body_of(town, member_id{3}, 1000, hours_confirmed{big.id});
    BOOST_CHECK_NE(submit(t, bep, bep_confirms), "none");
    // The id of the pending claim used again for other content: rejected, a leaf, and its id
    // names the first event, so only its leaf index can address it.
    const auto reused_at = number_of(t.get("/v1/communities/7/tree").root().at("tree_size"));
    auto reused = pending;
    std::get<hours_claimed>(reused.payload).amount = minutes{1};
    reused.seq = sequence{1010};
    BOOST_CHECK_EQUAL(submit(t, cor, reused), "id_reused_with_different_content");
    // A real claim of 30 minutes, confirmed, then reversed by Anna before the checkpoint.
    const auto anna = key_of_file(t.path("anna.key"));
    const auto undone =
        body_of(town, member_id{2}, 1004,
                hours_claimed{member_id{1}, minutes{30}, std::nullopt, std::nullopt});
    BOOST_REQUIRE_EQUAL(submit(t, cor, undone), "none");
    const auto undone_confirmed = body_of(town, member_id{1}, 1000, hours_confirmed{undone.id});
    BOOST_REQUIRE_EQUAL(submit(t, anna, undone_confirmed), "none");
    BOOST_REQUIRE_EQUAL(
        submit(t, anna, body_of(town, member_id{1}, 1001, reversal{undone.id, std::nullopt})),
        "none");
    t.ok({"audit", "checkpoint", "--community", "7"});

    const auto node = t.get("/v1/node").string_at("node_key").value();
    const auto cert = t.path("cor.json");
    t.ok({"audit", "certificate", "--key", t.key("anna"), "--community", "7", "--member", "2",
          "--out", cert});
    BOOST_CHECK(
        t.ok({"audit", "verify-certificate", cert, "--trust", node}).find("gave 90 minutes") !=
        std::string::npos);
    auto genuine = certificate_from_json(slurp(cert));
    BOOST_REQUIRE(genuine.ok());
    BOOST_CHECK_EQUAL(genuine->stated_total.value, 90);  // the reversed claim left out
    {
        auto by_index = t.get("/v1/communities/7/leaves/" + std::to_string(reused_at) + "/proof");
        BOOST_CHECK_EQUAL(by_index.root().at("verdict")->at("reason")->as_string().value_or(""),
                          "id_reused_with_different_content");
        BOOST_CHECK_EQUAL(by_index.root().at("verdict")->at("code")->as_string().value_or(""), "9");
        auto by_id = t.get("/v1/communities/7/events/" + pending.id.hex() + "/proof");
        BOOST_CHECK_NE(number_of(by_id.root().at("leaf_index")), reused_at);
        // As a certificate's event it proves nothing: it was not accepted.
        auto bad = *genuine;
        bad.bindings.push_back(
            proved_by_route(t, "/v1/communities/7/leaves/" + std::to_string(reused_at) + "/proof"));
        BOOST_CHECK_EQUAL(
            verify_certificate(bad,
                               {public_key{*fixed_from_hex<public_key_bytes>(node, "node key")}})
                .ok,
            false);
    }
    // Put back in by hand, the reversed claim verifies: a certificate cannot show a later
    // reversal (ledger/FORMAT.md, "What it proves, and what it does not"); only the export can.
    auto with_reversed = *genuine;
    with_reversed.claims.push_back(
        {proved_by_route(t, undone.id), proved_by_route(t, undone_confirmed.id)});
    with_reversed.stated_total = minutes{120};
    std::ofstream(t.path("reversed.json")) << certificate_to_json(with_reversed);
    BOOST_CHECK_EQUAL(
        t.uw({"audit", "verify-certificate", t.path("reversed.json"), "--trust", node}).exit_code,
        0);

    // The forgeries, built from the proof routes as anyone could.
    auto alone = *genuine;
    alone.bindings.push_back(proved_by_route(t, add_k2.id));
    alone.bindings.push_back(proved_by_route(t, k2_as_anna.id));
    alone.claims.push_back(
        {proved_by_route(t, pending.id), proved_by_route(t, confirm_pending.id)});
    alone.claims.push_back(
        {proved_by_route(t, too_much.id), proved_by_route(t, confirm_too_much.id)});
    alone.stated_total = minutes{90 + 1440 + 10080};
    auto pair = *genuine;
    pair.bindings.push_back(proved_by_route(t, "/v1/communities/7/leaves/2/proof"));  // Bep's
    pair.claims.push_back({proved_by_route(t, big.id), proved_by_route(t, bep_confirms.id)});
    pair.stated_total = minutes{90 + 5000};
    for (const auto& [name, forged] : {std::pair{"alone", alone}, {"pair", pair}}) {
        const auto path = t.path(std::string(name) + ".json");
        std::ofstream(path) << certificate_to_json(forged);
        refused_by_both(t, path, node, "not shown accepted");
    }
}

// Hours a member with no key gave through a proxy, and hours of a member admitted by a
// coordinator who was herself admitted without a key: the node's certificates hold the events
// they rest on (the proxy; the coordinator's admission), and both verifiers accept them.
BOOST_AUTO_TEST_CASE(a_certificate_of_hours_given_through_a_proxy_verifies) {
    audited_town t;
    for (auto [who, id] :
         {std::pair{"anna", "1"}, {"bep", "3"}, {"daan", "4"}, {"fenna", "6"}, {"gijs", "7"}})
        t.ok({"keygen", "--out", t.path(std::string(who) + ".key"), "--community", "7", "--member",
              id});
    t.ok({"found", "--key", t.path("anna.key"), "--name", "Buurtkring"});
    for (auto [who, id] : {std::pair{"bep", "3"}, {"daan", "4"}})
        t.ok({"admit", "--key", t.path("anna.key"), "--member", id, "--member-public-key",
              t.path(std::string(who) + ".key.pub")});
    // Xavier (5) has no device; Anna records that Daan claims hours for him.
    t.ok({"admit", "--key", t.path("anna.key"), "--member", "5", "--no-key"});
    t.ok({"announce-node", "--key", t.path("anna.key")});
    t.ok({"delegate", "--key", t.path("anna.key"), "--to", "4", "--kinds", "hoursClaimed",
          "--proxy-for", "5"});
    auto c1 = after(t.ok({"claim", "--key", t.path("daan.key"), "--for", "5", "--receiver", "3",
                          "--minutes", "60"}),
                    "claim id: ");
    t.ok({"confirm", "--key", t.path("bep.key"), "--claim", c1});
    // Anna ends the proxy: Daan's next claim for Xavier is refused.
    const community_id town{7};
    const auto anna = key_of_file(t.path("anna.key"));
    BOOST_REQUIRE_EQUAL(
        submit(t, anna,
               body_of(town, member_id{1}, 1000, delegation_revoked{member_id{4}, member_id{5}})),
        "none");
    BOOST_CHECK_NE(t.uw({"claim", "--key", t.path("daan.key"), "--for", "5", "--receiver", "3",
                         "--minutes", "30"})
                       .exit_code,
                   0);
    // Fenna, a coordinator admitted without a key, gets one from Anna and admits Gijs, who
    // helps Bep.
    t.ok({"admit", "--key", t.path("anna.key"), "--member", "6", "--no-key", "--coordinator"});
    BOOST_REQUIRE_EQUAL(
        submit(t, anna,
               body_of(town, member_id{1}, 2000,
                       key_added{member_id{6}, key_of_file(t.path("fenna.key")).public_bytes()})),
        "none");
    t.ok({"admit", "--key", t.path("fenna.key"), "--member", "7", "--member-public-key",
          t.path("gijs.key.pub")});
    auto c2 =
        after(t.ok({"claim", "--key", t.path("gijs.key"), "--receiver", "3", "--minutes", "45"}),
              "claim id: ");
    t.ok({"confirm", "--key", t.path("bep.key"), "--claim", c2});
    t.ok({"audit", "checkpoint", "--community", "7"});

    const auto node = t.get("/v1/node").string_at("node_key").value();
    for (auto [member, minutes] : {std::pair{"5", "60"}, {"7", "45"}}) {
        const auto cert = t.path(std::string("m") + member + ".json");
        t.ok({"audit", "certificate", "--key", t.key("anna"), "--community", "7", "--member",
              member, "--out", cert});
        auto here = t.uw({"audit", "verify-certificate", cert, "--trust", node});
        BOOST_CHECK_MESSAGE(here.exit_code == 0 && here.out.find(std::string("gave ") + minutes +
                                                                 " minutes") != std::string::npos,
                            here.out);
        auto py = python_verify(cert, node, cert + ".py.out");
        BOOST_CHECK_MESSAGE(py.exit_code == 0, py.out);
    }
}

// Selective disclosure through the program: a certificate holds no note's text unless its
// member asks with --reveal-notes; then both verifiers check the text against the claim's
// commitment and show it. Nobody else (another member, or no session) gets the notes, and a
// note erased with the member it is about cannot be revealed any more; the certificate without
// it, and the community's export, still verify.
BOOST_AUTO_TEST_CASE(a_certificate_shows_a_note_only_when_its_member_reveals_it) {
    audited_town t;
    for (auto [who, id] : {std::pair{"anna", "1"}, {"cor", "2"}, {"bep", "3"}, {"daan", "4"}})
        t.ok({"keygen", "--out", t.path(std::string(who) + ".key"), "--community", "7", "--member",
              id});
    t.ok({"found", "--key", t.path("anna.key"), "--name", "Buurtkring"});
    for (auto [who, id] : {std::pair{"cor", "2"}, {"bep", "3"}, {"daan", "4"}})
        t.ok({"admit", "--key", t.path("anna.key"), "--member", id, "--member-public-key",
              (t.path(std::string(who) + ".key")) + ".pub"});
    t.ok({"announce-node", "--key", t.path("anna.key")});
    const std::string note = "Boodschappen voor mevrouw Jansen, Dorpsstraat 12";
    auto c1 = after(t.ok({"claim", "--key", t.key("cor"), "--receiver", "3", "--minutes", "60",
                          "--note", note}),
                    "claim id: ");
    t.ok({"confirm", "--key", t.key("bep"), "--claim", c1});
    auto c2 = after(t.ok({"claim", "--key", t.key("cor"), "--receiver", "1", "--minutes", "30"}),
                    "claim id: ");
    t.ok({"confirm", "--key", t.key("anna"), "--claim", c2});
    t.ok({"audit", "checkpoint", "--community", "7"});
    const auto node = t.get("/v1/node").string_at("node_key").value();

    // By default: no text at all, and it verifies on the commitments.
    const auto plain = t.path("plain.json");
    auto made = t.ok({"audit", "certificate", "--key", t.key("cor"), "--community", "7", "--member",
                      "2", "--out", plain});
    BOOST_CHECK_MESSAGE(made.find("2 confirmed claims, 90 minutes") != std::string::npos &&
                            made.find("no notes revealed") != std::string::npos,
                        made);
    const auto plain_text = slurp(plain);
    BOOST_CHECK(plain_text.find("Dorpsstraat") == std::string::npos);
    BOOST_CHECK(plain_text.find("\"note\"") == std::string::npos);
    BOOST_CHECK(t.ok({"audit", "verify-certificate", plain, "--trust", node}).find("'s note") ==
                std::string::npos);
    BOOST_CHECK_EQUAL(python_verify(plain, node, t.path("plain.py.out")).exit_code, 0);

    // Cor reveals his notes: the text is there, and both verifiers check it and show it.
    const auto noted = t.path("noted.json");
    made = t.ok({"audit", "certificate", "--key", t.key("cor"), "--community", "7", "--member", "2",
                 "--reveal-notes", "--out", noted});
    BOOST_CHECK_MESSAGE(made.find("1 notes revealed") != std::string::npos, made);
    const auto noted_text = slurp(noted);
    BOOST_CHECK(noted_text.find(note) != std::string::npos);
    const std::string shown = "claim 0's note (revealed, matches its commitment): " + note;
    auto here = t.ok({"audit", "verify-certificate", noted, "--trust", node});
    BOOST_CHECK_MESSAGE(here.find(shown) != std::string::npos, here);
    auto py = python_verify(noted, node, t.path("noted.py.out"));
    BOOST_CHECK_MESSAGE(py.exit_code == 0 && py.out.find(shown) != std::string::npos, py.out);

    // The text changed in the file: forged, say both, naming the claim.
    auto forged = noted_text;
    forged.replace(forged.find("Dorpsstraat 12"), 14, "Dorpsstraat 21");
    std::ofstream(t.path("forged-note.json")) << forged;
    refused_by_both(t, t.path("forged-note.json"), node,
                    "claim 0: its revealed note (salt and text) does not match");

    // Daan, another member, may not have Cor's certificate, notes or not; nor may a reader
    // without a session.
    auto daan = t.uw({"audit", "certificate", "--key", t.key("daan"), "--community", "7",
                      "--member", "2", "--reveal-notes", "--out", t.path("daan.json")});
    BOOST_CHECK_NE(daan.exit_code, 0);
    BOOST_CHECK_MESSAGE(daan.out.find("forbidden") != std::string::npos, daan.out);
    BOOST_CHECK(!std::filesystem::exists(t.path("daan.json")));
    t.reader = t.key("daan");
    auto refused = t.get("/v1/communities/7/members/2/certificate?reveal_notes=true", 403);
    BOOST_CHECK(refused.root().at("error")->at("code")->as_string() == "forbidden");
    BOOST_CHECK(refused.root().at("claims") == nullptr);
    t.reader = "";
    t.get("/v1/communities/7/members/2/certificate?reveal_notes=true", 401);
    t.reader = t.key("cor");
    t.get("/v1/communities/7/members/2/certificate?reveal_notes=yes", 400);

    // Bep, whom the note is about, settles (Cor confirms an hour she gave him) and leaves: the
    // note is erased with her data, and can no longer be revealed; the certificate without it
    // still verifies.
    auto back = after(t.ok({"claim", "--key", t.key("bep"), "--receiver", "2", "--minutes", "60"}),
                      "claim id: ");
    t.ok({"confirm", "--key", t.key("cor"), "--claim", back});
    t.ok({"leave", "--key", t.key("bep"), "--member", "3"});
    command_result gone;
    for (int i = 0; i < 500; ++i) {  // erasure follows the memberLeft's application
        gone = t.uw({"audit", "certificate", "--key", t.key("cor"), "--community", "7", "--member",
                     "2", "--reveal-notes", "--out", t.path("gone.json")});
        if (gone.exit_code != 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_CHECK_NE(gone.exit_code, 0);
    BOOST_CHECK_MESSAGE(gone.out.find("note_unavailable") != std::string::npos &&
                            gone.out.find("claim " + c1) != std::string::npos,
                        gone.out);
    const auto after_leaving = t.path("after.json");
    t.ok({"audit", "certificate", "--key", t.key("cor"), "--community", "7", "--member", "2",
          "--out", after_leaving});
    BOOST_CHECK(t.ok({"audit", "verify-certificate", after_leaving, "--trust", node})
                    .find("gave 90 minutes") != std::string::npos);

    // The auditor works on the commitments too: the export, after the erasure, holds no note and
    // passes both checkers against a checkpoint signed after Bep left.
    t.ok({"audit", "checkpoint", "--community", "7"});
    const auto exported = t.path("town.uwa");
    t.ok({"audit", "export", "--community", "7", "--key", t.key("anna"), "--out", exported});
    BOOST_CHECK(slurp(exported).find("Dorpsstraat") == std::string::npos);
    t.ok({"audit", "verify", exported, "--trust", node});
    auto py_export =
        python_check("verify_export.py", exported, "--trust " + node, t.path("export.py.out"));
    BOOST_CHECK_MESSAGE(py_export.exit_code == 0, py_export.out);
}

// AVG art. 17 against the audit: a member's texts are erased when they leave, and an export taken
// before and one taken after both verify offline and reach the same signed checkpoint (same tree
// size, same event root, same verdict root): erasure touches no byte the proofs rest on. Neither
// export, nor the data folder afterwards, holds the member's texts.
BOOST_AUTO_TEST_CASE(exports_before_and_after_a_member_leaves_verify_to_the_same_roots) {
    audited_town t;
    t.found_with_anna_and_cor();
    t.ok({"announce-node", "--key", t.key("anna")});
    const std::string planted_offer = "Cor de Vries, Eikenlaan 3, 06-55501111";
    const std::string planted_note = "bij Cor de Vries thuis, Eikenlaan 3";
    t.ok({"offer", "--key", t.key("cor"), "--category", "lifts", "--text", planted_offer});
    const auto claim = after(t.ok({"claim", "--key", t.key("cor"), "--receiver", "1", "--minutes",
                                   "60", "--note", planted_note}),
                             "claim id: ");
    t.ok({"confirm", "--key", t.key("anna"), "--claim", claim});
    // Cor settles his balance with the community fund before leaving.
    t.ok({"transfer", "--key", t.key("cor"), "--to", "0", "--minutes", "60"});
    const auto kept = t.path("before.json");
    t.ok({"audit", "checkpoint", "--community", "7", "--out", kept});
    const auto node = t.get("/v1/node").string_at("node_key").value();
    const auto before = t.path("before.uwa");
    t.ok({"audit", "export", "--community", "7", "--key", t.key("anna"), "--out", before});
    auto verified = t.ok({"audit", "verify", before, "--trust", node, "--expect-file", kept});
    BOOST_CHECK_MESSAGE(verified.find("OK:") != std::string::npos, verified);

    // Cor's offer reads with its text; once he leaves, his texts are erased by every node
    // (here, the one) and it reads without.
    const auto offer_text = [&]() -> std::optional<std::string> {
        auto d = t.get("/v1/communities/7/offers");
        const auto* posts = d.root().at("posts");
        BOOST_REQUIRE(posts != nullptr && posts->as_array() != nullptr);
        for (const auto& p : *posts->as_array())
            if (const auto* text = p.at("text"); text != nullptr && text->as_string())
                return text->as_string();
        return std::nullopt;
    };
    BOOST_CHECK(offer_text() == planted_offer);
    t.ok({"leave", "--key", t.key("cor"), "--member", "2"});
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (offer_text() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_CHECK(!offer_text());
    t.ok({"audit", "checkpoint", "--community", "7"});
    const auto after_leaving = t.path("after.uwa");
    t.ok({"audit", "export", "--community", "7", "--key", t.key("anna"), "--out", after_leaving});
    // Both verify, and the later one reaches the checkpoint kept before: the same size, event
    // root and verdict root.
    for (const auto& file : {before, after_leaving}) {
        auto r = t.ok({"audit", "verify", file, "--trust", node, "--expect-file", kept});
        BOOST_CHECK_MESSAGE(r.find("OK:") != std::string::npos, file << ": " << r);
        BOOST_CHECK_MESSAGE(r.find("reaches the checkpoint you expect") != std::string::npos,
                            file << ": " << r);
    }
    // The Python verifier, written apart from this program, agrees on the later export.
    auto py =
        python_check("verify_export.py", after_leaving, "--trust " + node, t.path("py-export.out"));
    BOOST_CHECK_MESSAGE(py.exit_code == 0, py.out);
    // Nothing of Cor's texts: not in either export, not in the data folder.
    t.server.stop(SIGTERM);
    const auto exported = folder_bytes(t.dir.path);  // both exports and the data folder
    for (const auto& planted : {planted_offer, planted_note})
        for (const auto& [path, bytes] : exported)
            BOOST_CHECK_MESSAGE(bytes.find(planted) == std::string::npos,
                                "'" << planted << "' is still in " << path);
}
