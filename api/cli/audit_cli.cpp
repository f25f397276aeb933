#include "api/cli/audit_cli.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/cli/cli_http.h"
#include "api/cli/report_cli.h"
#include "api/node/certificates.h"
#include "ledger/core/audit.h"

namespace uurwerk::cli {
namespace {

using clock_type = std::chrono::steady_clock;

result<community_id> community_arg(const parsed_args& a) {
    if (!a.has("community"))
        return make_error(errc::missing_argument, "--community ID is required");
    auto c = a.get_u64("community");
    if (!c) return c.err();
    return community_id{*c};
}

std::string community_path(community_id c) {
    return "/v1/communities/" + std::to_string(c.value);
}

result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(errc::io_error, "cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(errc::io_error, "cannot read " + path);
    return ss.str();
}

// Writes `path` whole or not at all: a temporary file beside it, then a rename.
result<void> write_file_atomically(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".part";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return make_error(errc::io_error, "cannot write " + tmp);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) return make_error(errc::io_error, "cannot write " + tmp + " (disk full?)");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        return make_error(errc::io_error,
                          "cannot rename " + tmp + " to " + path + ": " + ec.message());
    return ok_value;
}

// --trust HEX[,HEX...] and/or --trust-file FILE (one hex key per line, # comments).
result<std::set<public_key>> trusted_keys(const parsed_args& a) {
    std::set<public_key> out;
    auto add = [&](std::string_view text) -> result<void> {
        while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        if (text.empty() || text.front() == '#') return ok_value;
        auto k = fixed_from_hex<public_key_bytes>(text, "a trusted node key");
        if (!k)
            return make_error(
                errc::bad_argument,
                "'" + std::string(text) + "' is not a node key: give its 64 hex digits");
        out.insert(public_key{*k});
        return ok_value;
    };
    if (auto t = a.get("trust")) {
        std::string_view rest = *t;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            if (auto r = add(rest.substr(0, comma)); !r) return r.err();
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    if (auto f = a.get("trust-file")) {
        auto text = read_file(*f);
        if (!text) return text.err();
        std::istringstream lines(*text);
        for (std::string line; std::getline(lines, line);)
            if (auto r = add(line); !r) return r.err();
    }
    if (out.empty())
        return make_error(errc::missing_argument,
                          "which node keys do you trust? give --trust HEX or --trust-file FILE "
                          "(the key a node prints at start, and serves at /v1/node)");
    return out;
}

result<void> do_checkpoint(const parsed_args& a) {
    auto c = community_arg(a);
    if (!c) return c.err();
    auto server = server_of(a);
    if (!server) return server.err();
    auto r = call(*server, "POST", community_path(*c) + "/checkpoints");
    if (!r) return r.err();
    if (r->status != 200 && r->status != 201) return api_error(*r);
    const bool fresh = r->status == 201;
    std::cout << (fresh ? "signed" : "unchanged (nothing new since)") << ": checkpoint of "
              << r->doc.string_at("tree_size").value_or("?") << " events, root "
              << r->doc.string_at("root").value_or("?") << ", at offset "
              << r->doc.string_at("offset").value_or("?") << "\n";
    if (auto keep = a.get("out")) {
        auto latest = http_call(server->host, server->port, "GET",
                                community_path(*c) + "/checkpoints/latest", "");
        if (!latest) return latest.err();
        if (latest->status != 200) return make_error(errc::io_error, "cannot fetch the checkpoint");
        if (auto w = write_file_atomically(*keep, latest->body); !w) return w.err();
        std::cout << "kept it in " << *keep << "\n";
    }
    return ok_value;
}

result<void> do_export(const parsed_args& a) {
    auto c = community_arg(a);
    if (!c) return c.err();
    auto out_path = a.get("out");
    if (!out_path) return make_error(errc::missing_argument, "--out FILE is required");
    auto server = server_of(a);
    if (!server) return server.err();
    // The tree as it stands now: the export holds exactly its leaves.
    auto tree = call(*server, "GET", community_path(*c) + "/tree");
    if (!tree) return tree.err();
    if (tree->status != 200) return api_error(*tree);
    const auto size = parse_decimal(tree->doc.string_at("tree_size").value_or(""));
    if (!size) return make_error(errc::bad_reply, "the server's tree has no tree_size");
    auto session = session_of(a, *c);
    if (!session) return session.err();
    http_call_options with_session;
    with_session.authorization = *session;
    auto conn = http_connection::open(server->host, server->port, with_session);
    if (!conn) return conn.err();
    std::string file;
    append_export_header(file, *c);
    const auto started = clock_type::now();
    auto last_report = started;
    std::uint64_t have = 0;
    while (have < *size) {
        const std::uint64_t page = std::min<std::uint64_t>(10'000, *size - have);
        auto r = (*conn)->call("GET", community_path(*c) + "/export?from=" + std::to_string(have) +
                                          "&limit=" + std::to_string(page));
        if (!r) return r.err();
        if (r->status != 200) {
            auto doc = json_doc::parse(r->body);
            if (!doc)
                return make_error(errc::server_refused, "the export failed: the server answered " +
                                                            std::to_string(r->status));
            return api_error(reply{r->status, std::move(*doc), {}});
        }
        // Count the records of this page (each says its own length): at most `page`, fewer when
        // the server's page reached its byte budget (api/README.md, "Paged reads").
        std::size_t pos = 0, records = 0;
        while (pos + export_record_header_bytes <= r->body.size()) {
            std::uint32_t n = 0;
            for (int i = 0; i < 4; ++i)
                n = n << 8 |
                    static_cast<std::uint8_t>(r->body[pos + 18 + static_cast<std::size_t>(i)]);
            pos += export_record_header_bytes + n;
            ++records;
        }
        if (pos != r->body.size() || records == 0 || records > page)
            return make_error(errc::bad_reply, "the server sent a broken export page at leaf " +
                                                   std::to_string(have));
        file += r->body;
        have += records;
        const auto now = clock_type::now();
        if (now - last_report > std::chrono::seconds(1) || have == *size) {
            std::cerr << "audit export: " << have << " / " << *size << " events\n";
            last_report = now;
        }
    }
    if (auto w = write_file_atomically(*out_path, file); !w) return w.err();
    std::cout << "wrote " << *out_path << ": community " << c->value << ", " << have << " events, "
              << file.size() << " bytes\n";
    return ok_value;
}

// A checkpoint as the API serves it, checked by its signature against the trusted keys: its
// community, size and root as the node signed them.
struct signed_head {
    community_id community;
    std::uint64_t tree_size = 0;
    digest root;
    public_key node;
    std::optional<digest> verdict_root;
};

result<signed_head> checked_checkpoint(const json_value& cp, const std::set<public_key>& trusted,
                                       const std::string& what) {
    auto field = [&](const char* k) {
        auto* v = cp.at(k);
        return v ? v->as_string().value_or("") : std::string();
    };
    auto body = from_base64(field("body_base64"));
    auto sig = fixed_from_hex<signature_bytes>(field("signature"), "signature");
    auto key = fixed_from_hex<public_key_bytes>(field("node_key"), "node_key");
    if (!body || !sig || !key)
        return make_error(errc::bad_checkpoint, what + " is not a checkpoint");
    key_cache keys;
    const envelope env{*body, public_key{*key}, signature{*sig}};
    if (!keys.verify_envelope(env))
        return make_error(errc::bad_checkpoint, what + ": the node's signature does not verify");
    if (!trusted.contains(env.signer))
        return make_error(errc::untrusted_checkpoint, what + " is signed by " + env.signer.hex() +
                                                          ", which is not a trusted node key");
    auto b = decode_body(*body);
    const auto* c = b ? std::get_if<checkpoint>(&b->payload) : nullptr;
    if (c == nullptr) return make_error(errc::bad_checkpoint, what + " is not a checkpoint event");
    return signed_head{b->community, c->tree_size, c->root, env.signer, c->verdict_root};
}

// --expect TREE_SIZE:ROOTHEX[:VERDICTROOTHEX], or --expect-file FILE: a checkpoint as GET
// /v1/communities/{c}/checkpoints/latest serves it (what `audit checkpoint --out` and `audit
// consistency --out` keep), checked by its signature against the trusted keys; the file gives
// the verdict root too.
result<std::optional<expected_checkpoint>> expected_of(const parsed_args& a,
                                                       const std::set<public_key>& trusted,
                                                       community_id c) {
    if (auto x = a.get("expect")) {
        const auto bad = make_error(errc::bad_argument,
                                    "--expect takes TREE_SIZE:ROOTHEX[:VERDICTROOTHEX], e.g. "
                                    "12:<64 hex digits>:<64 hex digits>");
        const auto colon = x->find(':');
        if (colon == std::string::npos) return bad;
        const auto second = x->find(':', colon + 1);
        auto size = parse_decimal(x->substr(0, colon));
        auto root = fixed_from_hex<digest_bytes>(
            x->substr(colon + 1,
                      second == std::string::npos ? std::string::npos : second - colon - 1),
            "root");
        if (!size || *size == 0 || !root) return bad;
        expected_checkpoint out{*size, digest{*root}};
        if (second != std::string::npos) {
            auto verdicts = fixed_from_hex<digest_bytes>(x->substr(second + 1), "verdict root");
            if (!verdicts) return bad;
            out.verdict_root = digest{*verdicts};
        }
        return std::optional<expected_checkpoint>(out);
    }
    if (auto f = a.get("expect-file")) {
        auto text = read_file(*f);
        if (!text) return text.err();
        auto doc = json_doc::parse(*text);
        if (!doc) return make_error(errc::bad_checkpoint, *f + " is not JSON");
        auto head = checked_checkpoint(doc->root(), trusted, *f);
        if (!head) return head.err();
        if (head->community != c)
            return make_error(errc::bad_checkpoint, *f + " is a checkpoint of community " +
                                                        std::to_string(head->community.value));
        return std::optional<expected_checkpoint>(
            expected_checkpoint{head->tree_size, head->root, head->verdict_root});
    }
    return std::optional<expected_checkpoint>();
}

// An export file read and parsed, with the audit options its command's flags give (--trust,
// --trust-file, --expect, --expect-file, --threads) and what to do with an unverified tail.
struct loaded_export {
    std::unique_ptr<std::string> text;  // the file, which `e` borrows from
    parsed_export e;
    std::set<public_key> trusted;
    audit_options options;
};

result<loaded_export> load_export(const parsed_args& a, const std::string& path,
                                  unverified_tail tail) {
    auto trusted = trusted_keys(a);
    if (!trusted) return trusted.err();
    auto text = read_file(path);
    if (!text) return text.err();
    auto owned = std::make_unique<std::string>(std::move(*text));
    auto e = parse_export(
        byte_view(reinterpret_cast<const std::uint8_t*>(owned->data()), owned->size()));
    if (!e) return make_error(errc::bad_export, path + ": " + e.err().message);
    audit_options o;
    o.trusted_node_keys = *trusted;
    o.tail = tail;
    auto expect = expected_of(a, *trusted, e->community);
    if (!expect) return expect.err();
    o.expect = *expect;
    if (a.has("threads")) {
        auto t = a.get_u64("threads");
        if (!t) return t.err();
        o.threads = *t;
    }
    return loaded_export{std::move(owned), std::move(*e), std::move(*trusted), std::move(o)};
}

result<void> do_verify(const parsed_args& a) {
    if (a.positionals().size() < 2)
        return make_error(errc::missing_argument,
                          "which file? uurwerk audit verify FILE --trust HEX");
    const std::string path = a.positionals()[1];
    const auto started = clock_type::now();
    auto loaded = load_export(
        a, path,
        a.has("allow-unverified-tail") ? unverified_tail::report : unverified_tail::refuse);
    if (!loaded) return loaded.err();
    const parsed_export* e = &loaded->e;
    audit_options& o = loaded->options;
    auto last = clock_type::now();
    o.progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
        const auto now = clock_type::now();
        if (now - last < std::chrono::seconds(1) && done != total) return;
        last = now;
        std::cerr << "audit verify: " << (phase == "verify" ? "signatures" : "rules and tree")
                  << " " << done << " / " << total << "\n";
    };
    const auto report = verify_export(*e, o);
    const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
    if (!report.ok) {
        std::cout << "FAILED: " << path << ": " << report.problem << "\n";
        return make_error(errc::audit_failed, "the export does not hold up: " + report.problem);
    }
    std::printf(
        "OK: %s, community %llu: %zu events (%zu accepted, %zu rejected), every signature "
        "verified\n",
        path.c_str(), static_cast<unsigned long long>(e->community.value), report.records,
        report.accepted, report.rejected);
    std::printf("  tree: root %s over %zu events; %zu checkpoints verified, the last covers %llu\n",
                report.root.hex().c_str(), report.records, report.checkpoints,
                static_cast<unsigned long long>(report.attested_leaves));
    if (o.expect)
        std::printf("  reaches the checkpoint you expect: %llu events, root %s, %s\n",
                    static_cast<unsigned long long>(o.expect->tree_size),
                    o.expect->root.hex().c_str(),
                    o.expect->verdict_root
                        ? ("verdict root " + o.expect->verdict_root->hex()).c_str()
                        : "no verdict root given: verdicts and log times not compared with it");
    if (report.tail_records > 0)
        std::printf(
            "  UNVERIFIED TAIL: %zu events after the last checkpoint, which no node has signed "
            "for; counted in the figures below only where marked *\n",
            report.tail_records);
    if (report.checkpoints == 0)
        std::printf(
            "  note: no checkpoint: the events are consistent, but no node vouches for "
            "this log\n");
    std::printf(
        "  ledger: %zu members, balances and fund sum to %lld minutes, %lld minutes of "
        "help confirmed\n",
        report.members.size(), static_cast<long long>(report.balance_sum.value),
        static_cast<long long>(report.confirmed_total.value));
    if (a.has("balances")) {
        std::printf("  %-10s %14s %18s\n", "member", "balance_min", "confirmed_given_min");
        for (const auto& m : report.members)
            std::printf(
                "  %-10llu %14lld %18lld%s\n", static_cast<unsigned long long>(m.member.value),
                static_cast<long long>(m.balance.value),
                static_cast<long long>(m.confirmed_given.value), m.includes_tail ? " *" : "");
        std::printf("  %-10s %14lld%s\n", "fund", static_cast<long long>(report.fund.value),
                    report.fund_includes_tail ? " *" : "");
        if (report.tail_records > 0) std::printf("  * includes the unverified tail\n");
    }
    std::printf("  %.2f s, %.0f events/s\n", seconds,
                seconds > 0 ? static_cast<double>(report.records) / seconds : 0.0);
    return ok_value;
}

// Checks that the node's latest checkpoint extends one the auditor kept (a fork shows here),
// and keeps the latest for next time.
result<void> do_consistency(const parsed_args& a) {
    auto old_path = a.get("old");
    if (!old_path)
        return make_error(errc::missing_argument, "--old FILE (a checkpoint you kept) is required");
    auto trusted = trusted_keys(a);
    if (!trusted) return trusted.err();
    auto text = read_file(*old_path);
    if (!text) return text.err();
    auto old_doc = json_doc::parse(*text);
    if (!old_doc) return make_error(errc::bad_checkpoint, *old_path + " is not JSON");
    auto old = checked_checkpoint(old_doc->root(), *trusted, *old_path);
    if (!old) return old.err();
    auto server = server_of(a);
    if (!server) return server.err();
    // Fetched once: the checkpoint verified below is the one kept with --out.
    auto raw = http_call(server->host, server->port, "GET",
                         community_path(old->community) + "/checkpoints/latest", "");
    if (!raw) return raw.err();
    auto latest_doc = json_doc::parse(raw->body);
    if (!latest_doc) return make_error(errc::bad_reply, "the latest checkpoint is not JSON");
    if (raw->status != 200) return api_error(reply{raw->status, std::move(*latest_doc), {}});
    auto now = checked_checkpoint(latest_doc->root(), *trusted, "the node's latest checkpoint");
    if (!now) return now.err();
    if (now->tree_size < old->tree_size)
        return make_error(errc::fork, "the node's latest checkpoint has " +
                                          std::to_string(now->tree_size) +
                                          " leaves, fewer than the " +
                                          std::to_string(old->tree_size) + " of the one you kept");
    auto proof = call(*server, "GET",
                      community_path(old->community) +
                          "/consistency?first=" + std::to_string(old->tree_size) +
                          "&second=" + std::to_string(now->tree_size));
    if (!proof) return proof.err();
    if (proof->status != 200) return api_error(*proof);
    std::vector<digest> path;
    auto* list = proof->doc.root().at("proof");
    for (const auto& h : list && list->as_array() ? *list->as_array() : json_value::array{}) {
        auto d = fixed_from_hex<digest_bytes>(h.as_string().value_or(""), "hash");
        if (!d) return make_error(errc::bad_reply, "the consistency proof holds a bad hash");
        path.push_back(digest{*d});
    }
    if (!merkle_verify_consistency(old->tree_size, now->tree_size, old->root, now->root, path)) {
        std::cout << "FAILED: community " << old->community.value << ": the log of "
                  << now->tree_size << " leaves (root " << now->root.hex()
                  << ") does not extend your checkpoint of " << old->tree_size << " leaves (root "
                  << old->root.hex() << "): a fork, or a rewritten history\n";
        return make_error(errc::fork,
                          "the node's log is not an extension of the checkpoint you kept");
    }
    std::cout << "OK: community " << old->community.value << ": the log of " << now->tree_size
              << " leaves extends your checkpoint of " << old->tree_size << " leaves\n";
    if (auto keep = a.get("out")) {
        if (auto w = write_file_atomically(*keep, raw->body); !w) return w.err();
        std::cout << "kept the latest checkpoint in " << *keep << "\n";
    }
    return ok_value;
}

result<void> do_certificate(const parsed_args& a) {
    auto c = community_arg(a);
    if (!c) return c.err();
    if (!a.has("member")) return make_error(errc::missing_argument, "--member ID is required");
    auto m = a.get_u64("member");
    if (!m) return m.err();
    auto out_path = a.get("out");
    if (!out_path) return make_error(errc::missing_argument, "--out FILE is required");
    auto server = server_of(a);
    if (!server) return server.err();
    std::string target = community_path(*c) + "/members/" + std::to_string(*m) + "/certificate";
    std::string sep = "?";
    for (const char* name : {"from-ms", "to-ms"}) {
        if (!a.has(name)) continue;
        auto v = a.get_u64(name);
        if (!v) return v.err();
        std::string q = name;
        q[q.find('-')] = '_';
        target += sep + q + "=" + std::to_string(*v);
        sep = "&";
    }
    // Selective disclosure: the claims' notes only when the member asks for them.
    if (a.has("reveal-notes")) target += sep + "reveal_notes=true";
    auto session = session_of(a, *c);
    if (!session) return session.err();
    auto body = get_body(*server, target, *session);
    if (!body) return body.err();
    auto cert = certificate_from_json(*body);
    if (!cert)
        return make_error(errc::bad_reply, "the server's certificate: " + cert.err().message);
    if (auto w = write_file_atomically(*out_path, *body); !w) return w.err();
    std::size_t revealed = 0;
    for (const auto& cl : cert->claims) revealed += cl.note ? 1 : 0;
    std::cout << "wrote " << *out_path << ": member " << *m << " of community " << c->value << ", "
              << cert->claims.size() << " confirmed claims, " << cert->stated_total.value
              << " minutes, proved against the checkpoint of " << cert->tree_size << " events, "
              << (a.has("reveal-notes") ? std::to_string(revealed) + " notes revealed"
                                        : std::string("no notes revealed"))
              << "\n";
    return ok_value;
}

result<void> do_verify_certificate(const parsed_args& a) {
    if (a.positionals().size() < 2)
        return make_error(errc::missing_argument,
                          "which file? uurwerk audit verify-certificate FILE --trust HEX");
    const std::string path = a.positionals()[1];
    auto trusted = trusted_keys(a);
    if (!trusted) return trusted.err();
    auto text = read_file(path);
    if (!text) return text.err();
    auto cert = certificate_from_json(*text);
    if (!cert) return make_error(errc::bad_certificate, path + ": " + cert.err().message);
    const auto report = verify_certificate(*cert, *trusted);
    if (!report.ok) {
        std::cout << "FAILED: " << path << ": " << report.problem << "\n";
        return make_error(errc::certificate_failed,
                          "the certificate does not hold up: " + report.problem);
    }
    const auto total = report.total.value;
    std::cout << "OK: " << path << ": member " << cert->member.value << " of community "
              << cert->community.value << " gave " << total << " minutes (" << total / 60 << " h "
              << total % 60 << " min) of help in " << report.claims << " confirmed claims\n"
              << "  each claim signed by the member and countersigned by who received the help, "
                 "proved in the log of "
              << report.tree_size << " events with root " << report.root.hex()
              << ",\n  as signed by the trusted node key " << report.node.hex() << "\n";
    // Revealed notes, each checked against the commitment its claim signs.
    // (Control characters shown as '?': a note is the member's text, not the terminal's.)
    for (auto n : report.notes) {
        for (auto& ch : n.text)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
        std::cout << "  claim " << n.claim
                  << "'s note (revealed, matches its commitment): " << n.text << "\n";
    }
    return ok_value;
}

// Recomputes a report from an export, offline: the export verified as `audit verify` does
// (every signature, both trees, every checkpoint against the trusted keys, every verdict
// replayed), then the report's fold (ledger/core/report.h) over the leaves of the last trusted
// checkpoint, the tree the node's report names. Prints the same bytes as the route.
result<void> do_report(const parsed_args& a) {
    if (a.positionals().size() < 3)
        return make_error(errc::missing_argument,
                          "uurwerk audit report FILE NAME --trust HEX --from-ms T --to-ms T");
    const std::string path = a.positionals()[1];
    auto csv = report_csv_format(a);
    if (!csv) return csv.err();
    const auto started = clock_type::now();
    // The report reads only the checkpoint's leaves: a tail after it is left out, not refused.
    auto loaded = load_export(a, path, unverified_tail::report);
    if (!loaded) return loaded.err();
    const parsed_export* e = &loaded->e;
    const auto& trusted = loaded->trusted;
    auto params = report_args(a, 2, e->community);
    if (!params) return params.err();
    const auto& o = loaded->options;
    const auto verified = verify_export(*e, o);
    if (!verified.ok)
        return make_error(errc::audit_failed, "the export does not hold up: " + verified.problem);
    const auto folded = clock_type::now();
    auto table = report_of_export(*e, trusted, *params);
    if (!table) return table.err();
    const auto& at = table->at;
    if (at.tree_size != verified.attested_leaves)
        return make_error(errc::audit_failed,
                          "the export's last trusted checkpoint covers " +
                              std::to_string(at.tree_size) + " leaves, fewer than the " +
                              std::to_string(verified.attested_leaves) + " an earlier one covers");
    const std::string out = *csv ? report_csv(*table) : report_json(*table);
    const auto done = clock_type::now();
    if (auto file = a.get("out")) {
        if (auto w = write_file_atomically(*file, out); !w) return w.err();
    } else {
        std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
        std::cout.flush();
    }
    const double all_s = std::chrono::duration<double>(done - started).count();
    const double fold_s = std::chrono::duration<double>(done - folded).count();
    std::fprintf(stderr,
                 "audit report: %s verified (%zu events) and %s recomputed at the checkpoint of "
                 "%llu events in %.2f s (%.0f events/s; the report's fold alone %.3f s)\n",
                 path.c_str(), e->records.size(), std::string(report_name(params->kind)).c_str(),
                 static_cast<unsigned long long>(at.tree_size), all_s,
                 all_s > 0 ? static_cast<double>(e->records.size()) / all_s : 0.0, fold_s);
    return ok_value;
}

}  // namespace

std::vector<option_spec> audit_option_specs() {
    return {
        {"community", "ID", "checkpoint, export, certificate: the community"},
        {"key", "FILE",
         "export, certificate: the reader's key file, to sign in (a coordinator's for an export; "
         "the member's, their delegate's or a coordinator's for a certificate)"},
        {"out", "FILE",
         "export, certificate: the file to write; checkpoint, consistency: keep the latest "
         "checkpoint there"},
        {"old", "FILE", "consistency: a checkpoint you kept earlier"},
        {"server", "URL",
         std::string("the uurwerk server (default ") + default_server + ", or $UURWERK_SERVER)"},
        ca_file_option(),
        {"trust", "HEX,...", "verify, verify-certificate: the node keys you trust"},
        {"trust-file", "FILE", "verify, verify-certificate: or a file of them, one per line"},
        {"balances", "", "verify: list every member's recomputed balance and confirmed hours"},
        {"allow-unverified-tail", "",
         "verify: count events after the last checkpoint apart instead of failing"},
        {"expect", "SIZE:ROOTHEX[:VERDICTROOTHEX]",
         "verify: a checkpoint the export must reach (its verdict root too, when given)"},
        {"expect-file", "FILE",
         "verify: the same, from a checkpoint you kept (audit checkpoint/consistency --out)"},
        {"threads", "N", "verify: threads to verify signatures on (default: every core)"},
        {"from-ms", "TIME",
         "certificate: confirmations logged at or after (ms since 1970); report: the range's "
         "start"},
        {"to-ms", "TIME",
         "certificate: confirmations logged before (ms since 1970); report: the range's end"},
        {"days", "N", "report: the inactive report's days"},
        {"format", "csv|json", "report: csv (the default) or json"},
        {"member", "ID", "certificate: the member whose confirmed hours it shows"},
        {"reveal-notes", "",
         "certificate: include the claims' notes (text and salt), which the verifier checks "
         "against the commitments; without it the certificate holds no text"},
    };
}

result<void> audit_command(const std::string& what, const parsed_args& a) {
    if (what == "checkpoint") return do_checkpoint(a);
    if (what == "export") return do_export(a);
    if (what == "verify") return do_verify(a);
    if (what == "certificate") return do_certificate(a);
    if (what == "consistency") return do_consistency(a);
    if (what == "verify-certificate") return do_verify_certificate(a);
    if (what == "report") return do_report(a);
    return make_error(errc::bad_argument, "unknown audit command '" + what +
                                              "'; one of: checkpoint, consistency, export, verify, "
                                              "certificate, verify-certificate, report");
}

}  // namespace uurwerk::cli
