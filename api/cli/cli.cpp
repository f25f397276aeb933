#include "api/cli/cli.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include <sys/random.h>

#include "api/args/cli_args.h"
#include "api/args/knob_flags.h"
#include "api/bench/bench.h"
#include "api/cli/audit_cli.h"
#include "api/cli/cli_http.h"
#include "api/cli/report_cli.h"
#include "api/http/http_client.h"
#include "api/http/serve.h"
#include "api/json/json.h"
#include "api/json/json_read.h"
#include "api/node/admin.h"
#include "api/node/founders.h"
#include "api/node/key_file.h"
#include "ledger/core/crypto.h"
#include "ledger/core/fairness_knobs.h"
#include "ledger/core/limits.h"
#include "ledger/core/personal.h"
#include "ledger/core/profile.h"
#include "ledger/core/rules.h"

namespace uurwerk::cli {
namespace {

// ---------------------------------------------------------------------------------------------
// Options shared by the commands that sign an event.

const std::vector<option_spec> signing_options = {
    {"key", "FILE", "your key file (from 'uurwerk keygen')", true},
    {"server", "URL",
     std::string("the uurwerk server (default ") + default_server + ", or $UURWERK_SERVER)"},
    ca_file_option(),
    {"community", "ID", "the community (default: the key file's)"},
    {"as", "MEMBER", "the member id you sign as (default: the key file's)"},
    {"for", "MEMBER", "act for this member (needs their delegation for this kind)"},
    {"seq", "N", "the sequence number to sign with (default: asks the server for the next)"},
    {"id", "HEX", "the event's 32-hex id (default: random)"},
};

std::vector<option_spec> with_signing(std::vector<option_spec> own) {
    own.insert(own.end(), signing_options.begin(), signing_options.end());
    return own;
}

// What to do about a rejection, in a member's words.
std::string hint_for(std::string_view reason) {
    static const std::map<std::string_view, std::string_view> hints = {
        {"credit_limit_exceeded", "the payer's balance would fall below the credit limit"},
        {"balance_max_exceeded", "the receiver's balance would pass the community's maximum"},
        {"cannot_confirm_own_claim", "the member who received the help confirms, not the helper"},
        {"not_claim_receiver",
         "only the member who received the help (or their delegate) confirms"},
        {"claim_not_pending", "the claim was confirmed or reversed already"},
        {"signer_revoked", "this key was revoked; sign with another of your keys"},
        {"seq_not_increasing", "this key signed a higher sequence number already; leave --seq out"},
        {"not_delegated", "the member you act for has not delegated this kind to you"},
        {"not_coordinator", "only a coordinator of the community may do this"},
        {"member_suspended", "the member is suspended; a coordinator can reinstate them"},
        {"balance_not_settled",
         "a member leaves with a balance of zero: transfer it first (to a member or to the "
         "community fund, --to 0)"},
        {"claims_pending", "a claim by or from the member is still pending: confirm it first"},
        {"member_has_left", "the member has left the community"},
        {"unknown_member", "no member with that id in this community"},
        {"amount_over_policy", "more minutes than the community allows in one claim or transfer"},
        {"duplicate_event", "this event is in the log already"},
    };
    auto it = hints.find(reason);
    return it == hints.end() ? std::string() : std::string(it->second);
}

// ---------------------------------------------------------------------------------------------
// Signing and submitting.

struct signed_submit {
    std::string id_hex;
    std::string offset;
};

result<signed_submit> seal_and_submit(const server_address& server, const signing_key& signer,
                                      const event_body& body,
                                      const std::optional<committed_text>& text);

// `text`: the free text the payload commits to (text_arg), sent beside the signed envelope.
result<signed_submit> sign_and_submit(const parsed_args& a, event_payload payload,
                                      const std::optional<committed_text>& text = std::nullopt) {
    auto kf = read_key_file(*a.get("key"));
    if (!kf) return kf.err();
    auto signer = signing_key::from_seed(kf->seed);
    if (!signer) return signer.err();
    auto server = server_of(a);
    if (!server) return server.err();

    community_id community = kf->community;
    if (a.has("community")) {
        auto c = a.get_u64("community");
        if (!c) return c.err();
        community = community_id{*c};
    }
    if (community.value == 0)
        return make_error(errc::missing_argument,
                          "which community? give --community ID (or make the "
                          "key file with 'keygen --community ID')");
    member_id author = kf->member;
    if (a.has("as")) {
        auto m = a.get_u64("as");
        if (!m) return m.err();
        author = member_id{*m};
    }
    if (author.value == 0)
        return make_error(errc::missing_argument,
                          "which member are you? give --as MEMBER (or make "
                          "the key file with 'keygen --member ID')");
    std::optional<member_id> on_behalf_of;
    if (a.has("for")) {
        auto m = a.get_u64("for");
        if (!m) return m.err();
        on_behalf_of = member_id{*m};
    }

    sequence seq{1};
    if (a.has("seq")) {
        auto s = a.get_u64("seq");
        if (!s) return s.err();
        seq = sequence{*s};
    } else if (!std::holds_alternative<community_founded>(payload)) {
        auto k =
            call(*server, "GET",
                 "/v1/communities/" + std::to_string(community.value) + "/keys/" + kf->pub.hex());
        if (!k) return k.err();
        if (k->status == 200) {
            auto last = k->doc.string_at("last_seq");
            auto n = last ? parse_decimal(*last) : std::nullopt;
            if (!n) return make_error(errc::bad_reply, "the server's key record has no last_seq");
            seq = sequence{*n + 1};
        } else if (k->status != 404) {
            return api_error(*k);
        }
    }

    event_id id = random_event_id();
    if (auto h = a.get("id")) {
        auto b = fixed_from_hex<event_id_bytes>(*h, "--id");
        if (!b) return b.err();
        id = event_id{*b};
    }
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    event_body body{id,           community,         author, seq, time_ms{now.count()},
                    on_behalf_of, std::move(payload)};
    return seal_and_submit(*server, *signer, body, text);
}

// Signs `body` with `signer`, submits it with its text, and prints the verdict (a rejection is
// an error that says what to do).
result<signed_submit> seal_and_submit(const server_address& server, const signing_key& signer,
                                      const event_body& body,
                                      const std::optional<committed_text>& text) {
    const event_id& id = body.id;
    if (auto v = validate_body(body); !v) return v.err();
    auto env = signer.seal(body);

    const auto personal = text ? std::optional<personal_text>(text->personal) : std::nullopt;
    auto r = call(server, "POST", "/v1/events", submission_to_json(env, personal));
    if (!r) return r.err();
    if (r->status != 200 && r->status != 409) return api_error(*r);
    const std::string kind(kind_name(body.kind()));
    const std::string off = r->doc.string_at("offset").value_or("?");
    const bool duplicate =
        r->doc.root().at("duplicate") && r->doc.root().at("duplicate")->as_bool().value_or(false);
    if (r->status == 409) {
        std::string reason = r->doc.string_at("reason").value_or("unknown");
        std::string hint = hint_for(reason);
        return make_error(errc::rejected, kind + " " + id.hex() + " rejected: " + reason +
                                              (hint.empty() ? "" : " (" + hint + ")"));
    }
    // Offsets count per partition; a one-partition log's is 0, and says nothing new.
    const std::string partition = r->doc.string_at("partition").value_or("0");
    std::cout << "accepted: " << kind << " " << id.hex() << " at offset " << off
              << (partition != "0" ? " of partition " + partition : "")
              << (duplicate ? " (already in the log)" : "") << "\n";
    return signed_submit{id.hex(), off};
}

// ---------------------------------------------------------------------------------------------
// The commands.

struct command {
    command_spec spec;
    std::function<result<void>(const parsed_args&)> run;
};

result<std::optional<category>> category_arg(const parsed_args& a, bool required) {
    auto c = a.get("category");
    if (!c) {
        if (required) return make_error(errc::missing_argument, "--category is required");
        return std::optional<category>();
    }
    auto v = category_from_name(*c);
    if (!v) {
        std::string names;
        for (std::size_t i = 0; i < category_count; ++i)
            names += (i ? ", " : "") + std::string(category_name(static_cast<category>(i)));
        return make_error(errc::bad_argument, "unknown category '" + *c + "'; one of: " + names);
    }
    return std::optional<category>(*v);
}

result<event_id> id_arg(const parsed_args& a, const std::string& name) {
    auto h = a.get(name);
    if (!h) return make_error(errc::missing_argument, "--" + name + " is required");
    auto b = fixed_from_hex<event_id_bytes>(*h, "--" + name);
    if (!b) return b.err();
    return event_id{*b};
}

result<minutes> minutes_arg(const parsed_args& a) {
    auto m = a.get_i64("minutes");
    if (!m) return m.err();
    if (*m <= 0) return make_error(errc::bad_argument, "--minutes must be more than 0");
    return minutes{*m};
}

// A free text given on the command line (--text, --note, --reason), with a fresh salt: the event
// carries its commitment, and the text travels beside it (ledger/core/personal.h).
result<std::optional<committed_text>> text_arg(const parsed_args& a, const std::string& name) {
    auto t = a.get(name);
    if (!t || t->empty()) return std::optional<committed_text>();
    if (!text_within(*t, text_chars_max))
        return make_error(errc::bad_argument, "--" + name + " must be at most " +
                                                  std::to_string(text_chars_max) +
                                                  " characters of UTF-8");
    return std::optional<committed_text>(commit_fresh(*t));
}

text_commitment commitment_of(const std::optional<committed_text>& t) {
    return t ? text_commitment(t->commitment) : std::nullopt;
}

// A profile from --name, --phone, --email, --languages and --about, as a document with a fresh
// salt (ledger/core/profile.h); none when --name is not given (and no other profile flag is).
result<std::optional<committed_text>> profile_arg(const parsed_args& a) {
    if (!a.has("name")) {
        for (const char* f : {"phone", "email", "languages", "about"})
            if (a.has(f))
                return make_error(errc::missing_argument,
                                  std::string("--") + f + " needs --name: a profile has a name");
        return std::optional<committed_text>();
    }
    member_profile p;
    p.name = *a.get("name");
    p.phone = a.get("phone").value_or("");
    p.email = a.get("email").value_or("");
    p.about = a.get("about").value_or("");
    if (auto l = a.get("languages"); l && !l->empty()) {
        std::size_t from = 0;
        while (true) {
            const auto comma = l->find(',', from);
            p.languages.push_back(
                l->substr(from, comma == std::string::npos ? std::string::npos : comma - from));
            if (comma == std::string::npos) break;
            from = comma + 1;
        }
    }
    const auto document = profile_document(p);
    if (auto ok = parse_profile(document); !ok)
        return make_error(errc::bad_argument, ok.err().message);
    return std::optional<committed_text>(commit_fresh(document));
}

enum class profile_name : std::uint8_t { required, optional };
std::vector<option_spec> profile_options(std::vector<option_spec> more, profile_name name) {
    more.push_back({"name", "TEXT", "display name others see (1 to 80 characters)",
                    name == profile_name::required});
    more.push_back({"phone", "TEXT", "phone number, for match partners and coordinators"});
    more.push_back({"email", "TEXT", "e-mail address, for match partners and coordinators"});
    more.push_back({"languages", "CODES", "languages spoken, comma-separated (nl,en)"});
    more.push_back({"about", "TEXT", "a few words about yourself (at most 600 characters)"});
    return more;
}

result<post_body> post_arg(const parsed_args& a, const std::optional<committed_text>& text) {
    post_body p;
    auto c = category_arg(a, true);
    if (!c) return c.err();
    p.what = **c;
    p.text_digest = commitment_of(text);
    p.area = a.get("area").value_or("");
    auto how = a.get("intensity").value_or("once");
    if (how == "once")
        p.how_often = intensity::once;
    else if (how == "sometimes")
        p.how_often = intensity::sometimes;
    else if (how == "regularly")
        p.how_often = intensity::regularly;
    else
        return make_error(errc::bad_argument, "--intensity is once, sometimes or regularly");
    if (a.has("availability")) {
        auto v = a.get_u64("availability");
        if (!v) return v.err();
        p.availability = static_cast<std::uint32_t>(*v);
    }
    return p;
}

std::string signed_summary(const std::string& what) {
    return what +
           " The event is signed with your key and submitted to the server; the answer is "
           "its verdict once the ledger has applied it.";
}

std::string hours_text(std::int64_t m) {
    std::string sign = m < 0 ? "-" : "";
    std::int64_t a = m < 0 ? -m : m;
    return sign + std::to_string(a / 60) + " h " + std::to_string(a % 60) + " min";
}

result<void> do_keygen(const parsed_args& a) {
    auto k = signing_key::generate();
    if (!k) return k.err();
    key_file f;
    f.seed = k->seed();
    f.pub = k->public_bytes();
    if (a.has("community")) {
        auto c = a.get_u64("community");
        if (!c) return c.err();
        f.community = community_id{*c};
    }
    if (a.has("member")) {
        auto m = a.get_u64("member");
        if (!m) return m.err();
        f.member = member_id{*m};
    }
    const std::filesystem::path out = *a.get("out");
    const auto pub = public_key_path(out);
    if (std::filesystem::exists(pub))
        return make_error(errc::key_file_exists,
                          pub.string() + " exists already: choose another name");
    if (auto w = write_key_file(out, f); !w) return w.err();
    if (auto w = write_public_key_file(pub, f); !w) return w.err();
    std::cout << "wrote " << out.string() << " (your private key, mode 0600: keep it to yourself)\n"
              << "wrote " << pub.string()
              << " (your public key: give this one to your coordinator)\npublic key: "
              << f.pub.hex() << "\n";
    return ok_value;
}

std::vector<option_spec> policy_options(std::vector<option_spec> more) {
    more.push_back({"credit-limit", "MINUTES", "how far below zero a balance may go (600)"});
    more.push_back({"balance-max", "MINUTES", "the most a balance may hold (6000)"});
    more.push_back({"claim-max", "MINUTES", "the largest single claim or transfer (1440)"});
    more.push_back({"contact-window-days", "DAYS",
                    "how long after a match ends its two people still see each other's contact "
                    "details: 1 to 365 (30)"});
    more.push_back({"retention-days", "DAYS",
                    "how long after a post closed or a claim settled their texts are kept before "
                    "the node deletes them: 1 to 3650 (730)"});
    more.push_back({"public-impact", "on|off",
                    "whether anyone may read the community's impact figures (matches made, hours "
                    "given, active helpers, people helped) on its public page, or only its "
                    "coordinators and auditors (off)"});
    for (auto& o : knob_options()) more.push_back(std::move(o));
    return more;
}

result<void> read_policy_flags(const parsed_args& a, policy& p) {
    for (auto [name, field] : {std::pair{"credit-limit", &policy::credit_limit},
                               {"balance-max", &policy::balance_max},
                               {"claim-max", &policy::claim_max}}) {
        if (!a.has(name)) continue;
        auto v = a.get_i64(name);
        if (!v) return v.err();
        p.*field = minutes{*v};
    }
    if (a.has("contact-window-days")) {
        auto v = a.get_u64("contact-window-days");
        if (!v) return v.err();
        if (*v < 1 || *v > contact_window_days_max)
            return make_error(errc::bad_argument, "--contact-window-days must be 1 to 365");
        p.contact_window_days = static_cast<std::uint32_t>(*v);
    }
    if (a.has("retention-days")) {
        auto v = a.get_u64("retention-days");
        if (!v) return v.err();
        if (*v < 1 || *v > retention_days_max)
            return make_error(errc::bad_argument,
                              "--retention-days must be 1 to 3650 (days after a post closed or a "
                              "claim settled; 730 when never set)");
        p.retention_days = static_cast<std::uint32_t>(*v);
    }
    if (a.has("public-impact")) {
        auto v = either_option(a, "public-impact", std::pair{"off", impact_page::closed},
                               std::pair{"on", impact_page::open});
        if (!v) return v.err();
        p.public_impact = *v;
    }
    return read_knob_flags(a, p.fairness);
}

// `policy`: the community's policy as it is, with the flags given changed, signed as a
// policyChanged (which replaces the whole policy).
result<void> do_policy(const parsed_args& a) {
    // The flags first, so that a value out of range is said before any key or server is asked.
    {
        policy scratch;
        if (auto f = read_policy_flags(a, scratch); !f) return f.err();
    }
    auto kf = read_key_file(*a.get("key"));
    if (!kf) return kf.err();
    community_id c = kf->community;
    if (a.has("community")) {
        auto v = a.get_u64("community");
        if (!v) return v.err();
        c = community_id{*v};
    }
    auto server = server_of(a);
    if (!server) return server.err();
    auto r = call(*server, "GET", "/v1/communities/" + std::to_string(c.value));
    if (!r) return r.err();
    if (r->status != 200) return api_error(*r);
    const auto* now = r->doc.root().at("policy");
    if (now == nullptr) return make_error(errc::bad_reply, "the server's community has no policy");
    auto number = [&](const char* name) -> std::int64_t {
        const auto* v = now->at(name);
        return v ? static_cast<std::int64_t>(v->as_number().value_or(0)) : 0;
    };
    policy p;
    p.credit_limit = minutes{number("credit_limit_minutes")};
    p.balance_max = minutes{number("balance_max_minutes")};
    p.claim_max = minutes{number("claim_minutes_max")};
    p.contact_window_days = static_cast<std::uint32_t>(number("contact_window_days"));
    p.retention_days = static_cast<std::uint32_t>(number("retention_days"));
    const auto* impact = now->at("public_impact");
    p.public_impact =
        impact && impact->as_bool().value_or(false) ? impact_page::open : impact_page::closed;
    const auto* fairness = now->at("fairness");
    p.fairness.off = fairness && fairness->as_string() == "off";
    for (const auto& f : knob_flags()) {
        std::string key = f.name;
        std::replace(key.begin(), key.end(), '-', '_');
        p.fairness.*f.field = static_cast<std::uint32_t>(number(key.c_str()));
    }
    if (auto f = read_policy_flags(a, p); !f) return f.err();
    auto s = sign_and_submit(a, policy_changed{p});
    if (!s) return s.err();
    return ok_value;
}

// accept, decline, end-match: a party's answer to a proposed (or accepted) match.
result<void> do_match_answer(const parsed_args& a, event_kind kind) {
    auto m = id_arg(a, "match");
    if (!m) return m.err();
    auto r = kind == event_kind::match_accepted   ? sign_and_submit(a, match_accepted{*m})
             : kind == event_kind::match_declined ? sign_and_submit(a, match_declined{*m})
                                                  : sign_and_submit(a, match_ended{*m});
    if (!r) return r.err();
    return ok_value;
}

// `match`: a matching round of the server's matcher in a community, now.
result<void> do_match(const parsed_args& a) {
    auto c = a.get_u64("community");
    if (!c) return c.err();
    auto server = server_of(a);
    if (!server) return server.err();
    auto session = session_of(a, community_id{*c});
    if (!session) return session.err();
    auto r =
        call(*server, "POST", "/v1/communities/" + std::to_string(*c) + "/match", {}, *session);
    if (!r) return r.err();
    if (r->status != 200) return api_error(*r);
    std::cout << "round at basis " << r->doc.string_at("basis").value_or("?") << ": "
              << static_cast<long long>(r->doc.number_at("submitted").value_or(0)) << " proposed, "
              << static_cast<long long>(r->doc.number_at("duplicates").value_or(0))
              << " already in the log, "
              << static_cast<long long>(r->doc.number_at("rejected").value_or(0)) << " rejected\n";
    if (const auto* list = r->doc.root().at("proposals"); list && list->as_array())
        for (const auto& p : *list->as_array()) {
            auto field = [&](const char* k) {
                const auto* v = p.at(k);
                return v ? v->as_string().value_or("") : std::string();
            };
            std::cout << "match " << field("match") << " request " << field("request") << " helper "
                      << field("helper") << " round " << field("round") << " rank " << field("rank")
                      << "\n";
        }
    return ok_value;
}

result<void> do_found(const parsed_args& a) {
    policy p;
    p.fairness.match_silence_hours = founding_match_silence_hours;  // --match-silence-hours 0: off
    if (auto f = read_policy_flags(a, p); !f) return f.err();
    auto r = sign_and_submit(a, community_founded{*a.get("name"), p});
    if (!r) return r.err();
    return ok_value;
}

// A public key given as --HEX_FLAG HEX or --FILE_FLAG FILE.pub (never a private key file):
// nothing when neither is given.
result<std::optional<public_key>> public_key_arg(const parsed_args& a, const std::string& hex_flag,
                                                 const std::string& file_flag) {
    if (auto h = a.get(hex_flag)) {
        auto b = fixed_from_hex<public_key_bytes>(*h, "--" + hex_flag);
        if (!b) return b.err();
        return std::optional<public_key>(public_key{*b});
    }
    if (auto f = a.get(file_flag)) {
        auto pub = read_public_key_file(*f);
        if (!pub) return pub.err();
        return std::optional<public_key>(*pub);
    }
    return std::optional<public_key>();
}

result<void> do_admit(const parsed_args& a) {
    auto m = a.get_u64("member");
    if (!m) return m.err();
    // The coordinator is given a public key only: a member's private key never leaves them.
    const int given = a.has("member-key") + a.has("member-public-key") + a.has("no-key");
    if (given != 1)
        return make_error(
            errc::missing_argument,
            "give exactly one of: the new member's public key (--member-key HEX or "
            "--member-public-key FILE.pub), or --no-key for a member without a "
            "device (then record a proxy with 'uurwerk delegate --proxy-for MEMBER')");
    auto key = public_key_arg(a, "member-key", "member-public-key");
    if (!key) return key.err();
    auto profile = profile_arg(a);
    if (!profile) return profile.err();
    member_admitted x{member_id{*m}, *key, a.has("coordinator") ? role::coordinator : role::member,
                      a.has("verified"), commitment_of(*profile)};
    auto r = sign_and_submit(a, x, *profile);
    if (!r) return r.err();
    return ok_value;
}

result<void> do_delegate(const parsed_args& a) {
    auto to = a.get_u64("to");
    if (!to) return to.err();
    delegation_granted g{member_id{*to}, {}, time_ms{0}};
    std::string kinds = *a.get("kinds");
    std::size_t start = 0;
    while (start <= kinds.size()) {
        auto comma = kinds.find(',', start);
        auto name =
            kinds.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto k = kind_from_name(name);
        if (!k)
            return make_error(
                errc::bad_argument,
                "unknown kind '" + name + "' in --kinds (e.g. requestPosted,hoursConfirmed)");
        g.kinds.push_back(*k);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (a.has("until-ms")) {
        auto u = a.get_i64("until-ms");
        if (!u) return u.err();
        g.until = time_ms{*u};
    }
    if (a.has("proxy-for")) {
        auto m = a.get_u64("proxy-for");
        if (!m) return m.err();
        g.grantor = member_id{*m};
    }
    auto r = sign_and_submit(a, g);
    if (!r) return r.err();
    return ok_value;
}

// The longest appointment the CLI asks for: the rules allow 366 days from the log's time of the
// event, which is a little after this machine's clock reads.
constexpr std::int64_t auditor_days_max = 365;

result<void> do_appoint_auditor(const parsed_args& a) {
    const int given = a.has("auditor-key") + a.has("auditor-public-key");
    if (given != 1)
        return make_error(errc::missing_argument,
                          "give the auditor's public key: --auditor-key HEX or "
                          "--auditor-public-key FILE.pub (from their 'uurwerk keygen')");
    auto key = public_key_arg(a, "auditor-key", "auditor-public-key");
    if (!key) return key.err();
    if (a.has("days") == a.has("end"))
        return make_error(errc::missing_argument,
                          "give --days N (how long the appointment lasts, 1 to 365) or --end (it "
                          "ends now)");
    time_ms until{0};  // --end: an end before the log's time ends the appointment at once
    if (a.has("days")) {
        auto days = a.get_i64("days");
        if (!days) return days.err();
        if (*days < 1 || *days > auditor_days_max)
            return make_error(errc::bad_argument, "--days must be 1 to " +
                                                      std::to_string(auditor_days_max) + ", not " +
                                                      std::to_string(*days));
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        until = time_ms{now.count() + *days * 24 * 3600 * 1000};
    }
    auto r = sign_and_submit(a, auditor_appointed{**key, until});
    if (!r) return r.err();
    return ok_value;
}

// Fills `out` from the operating system's random source (getrandom(2)).
result<void> os_random(std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        const ssize_t n = ::getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return make_error(errc::no_randomness,
                              "the operating system gave no random bytes (getrandom)");
        filled += static_cast<std::size_t>(n);
    }
    return ok_value;
}

// Invitations (ledger/core/RULES.md, "Invitations"): the link the invitee opens. Its fragment
// never reaches a server (a browser keeps what follows '#'); the web app and 'uurwerk join'
// read it.
constexpr std::string_view invitation_link_marker = "/#join/";
constexpr std::int64_t invitation_days_default = 7;
constexpr std::int64_t invitation_days_max = invitation_term_ms_max / (24 * 3600 * 1000);

// `t` as "YYYY-MM-DD HH:MM UTC".
std::string utc_minute(time_ms t) {
    const std::time_t seconds = static_cast<std::time_t>(t.value / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
    return text;
}

result<void> do_invite(const parsed_args& a) {
    const int modes = a.has("add-device") + a.has("replace-keys");
    if (modes > 1)
        return make_error(errc::bad_argument, "give one of --add-device and --replace-keys");
    invitation_issued x;
    x.purpose = a.has("add-device")     ? invitation_purpose::add_device
                : a.has("replace-keys") ? invitation_purpose::replace_keys
                                        : invitation_purpose::join;
    if (x.purpose != invitation_purpose::join && (a.has("coordinator") || a.has("verified")))
        return make_error(errc::bad_argument,
                          "--coordinator and --verified are for a newcomer's invitation only: a "
                          "member keeps their role on every device");
    auto kf = read_key_file(*a.get("key"));
    if (!kf) return kf.err();
    if (a.has("member")) {
        auto m = a.get_u64("member");
        if (!m) return m.err();
        x.member = member_id{*m};
    } else if (x.purpose == invitation_purpose::add_device) {
        x.member = kf->member;  // yourself
        if (a.has("as")) {
            auto m = a.get_u64("as");
            if (!m) return m.err();
            x.member = member_id{*m};
        }
    } else {
        return make_error(errc::missing_argument,
                          x.purpose == invitation_purpose::join
                              ? "give --member M: the newcomer's member id (GET "
                                "/v1/communities/C/invitations proposes next_member)"
                              : "give --member M: whose keys are replaced");
    }
    if (x.member.value == 0)
        return make_error(errc::missing_argument,
                          "which member is the device for? give --member M");
    x.member_role = a.has("coordinator") ? role::coordinator : role::member;
    x.verified = a.has("verified");
    std::int64_t days = invitation_days_default;
    if (a.has("days")) {
        auto d = a.get_i64("days");
        if (!d) return d.err();
        days = *d;
    }
    if (days < 1 || days > invitation_days_max)
        return make_error(errc::bad_argument, "--days must be 1 to " +
                                                  std::to_string(invitation_days_max) + ", not " +
                                                  std::to_string(days));
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    x.until = time_ms{now.count() + days * 24 * 3600 * 1000};
    if (a.has("until-ms")) {
        if (a.has("days"))
            return make_error(errc::bad_argument, "give --days or --until-ms, not both");
        auto until = a.get_i64("until-ms");
        if (!until) return until.err();
        // The ledger judges it against the log's clock (after it, at most 30 days on).
        if (*until <= now.count())
            return make_error(errc::bad_argument,
                              "--until-ms " + std::to_string(*until) + " is not in the future");
        x.until = time_ms{*until};
    }
    // The code from the operating system; only its digest goes into the log.
    invitation_code code{};
    if (auto drawn = os_random(code); !drawn) return drawn.err();
    x.code_digest = invitation_code_digest(code);
    community_id community = kf->community;
    if (a.has("community")) {
        auto c = a.get_u64("community");
        if (!c) return c.err();
        community = community_id{*c};
    }
    auto r = sign_and_submit(a, x);
    if (!r) return r.err();
    std::string app = a.get("app-url").value_or("");
    if (app.empty()) {
        const char* env = std::getenv("UURWERK_SERVER");
        app = a.get("server").value_or(env ? env : default_server);
    }
    while (!app.empty() && app.back() == '/') app.pop_back();
    std::cout << "invitation (" << purpose_name(x.purpose) << ", member " << x.member.value
              << ") open until " << utc_minute(x.until) << " (" << x.until.value
              << " ms since the epoch; " << days << (days == 1 ? " day" : " days")
              << "); hand this link to the invitee, and to "
              << "nobody else:\n"
              << app << invitation_link_marker << community.value << "/" << r->id_hex << "/"
              << to_hex(code) << "\n";
    if (auto email = a.get("email")) {
        // The node mails the link (serve --smtp); the code travels in the body, over the same
        // connection as the event.
        auto server = server_of(a);
        if (!server) return server.err();
        auto session = session_of(a, community);
        if (!session) return session.err();
        json_writer body;
        body.begin_object();
        body.key("code").string(to_hex(code));
        body.key("email").string(*email);
        body.key("language").string(a.get("language").value_or("nl"));
        body.end_object();
        auto mailed = call(*server, "POST",
                           "/v1/communities/" + std::to_string(community.value) + "/invitations/" +
                               r->id_hex + "/mail",
                           body.take(), *session);
        if (!mailed) return mailed.err();
        if (mailed->status != 202) return api_error(*mailed);
        std::cout << "the node mails it to " << *email << "\n";
    }
    return ok_value;
}

// An invitation's link: APP_URL/#join/C/<invitation hex>/<code hex>.
struct invitation_link {
    std::string app_url;
    community_id community;
    event_id invitation;
    invitation_code code;
};
result<invitation_link> parse_invitation_link(std::string_view link) {
    const auto wrong = [&] {
        return make_error(errc::bad_argument,
                          "the link must look like URL/#join/COMMUNITY/INVITATION/CODE, as "
                          "'uurwerk invite' printed it");
    };
    const auto at = link.find(invitation_link_marker);
    if (at == std::string_view::npos) return wrong();
    invitation_link out;
    out.app_url = std::string(link.substr(0, at));
    std::string_view rest = link.substr(at + invitation_link_marker.size());
    const auto slash1 = rest.find('/');
    if (slash1 == std::string_view::npos) return wrong();
    const auto slash2 = rest.find('/', slash1 + 1);
    if (slash2 == std::string_view::npos) return wrong();
    auto c = parse_decimal(rest.substr(0, slash1));
    if (!c || *c == 0) return wrong();
    out.community = community_id{*c};
    auto id = fixed_from_hex<event_id_bytes>(rest.substr(slash1 + 1, slash2 - slash1 - 1),
                                             "the link's invitation");
    if (!id) return id.err();
    out.invitation = event_id{*id};
    auto code = fixed_from_hex<invitation_code_bytes>(rest.substr(slash2 + 1), "the link's code");
    if (!code) return code.err();
    out.code = *code;
    return out;
}

result<void> do_join(const parsed_args& a) {
    auto link = parse_invitation_link(*a.get("link"));
    if (!link) return link.err();
    // The server: --server (or $UURWERK_SERVER), else the one the link came from.
    auto server = server_of(a);
    if (!server) return server.err();
    if (!a.has("server") && !std::getenv("UURWERK_SERVER") && !link->app_url.empty()) {
        auto from_link = parse_http_url(link->app_url);
        if (!from_link) return from_link.err();
        static_cast<http_address&>(*server) = *from_link;
    }
    const std::filesystem::path out = *a.get("out");
    for (const auto& p : {out, public_key_path(out)})
        if (std::filesystem::exists(p))
            return make_error(errc::key_file_exists,
                              p.string() + " exists already: choose another name");
    const std::string where = "/v1/communities/" + std::to_string(link->community.value) +
                              "/invitations/" + link->invitation.hex();
    auto checked =
        call(*server, "POST", where + "/check", "{\"code\":\"" + to_hex(link->code) + "\"}");
    if (!checked) return checked.err();
    if (checked->status != 200) return api_error(*checked);
    const std::string status = checked->doc.string_at("status").value_or("");
    if (status != "open")
        return make_error(errc::rejected, "the invitation is " + status +
                                              ": ask your coordinator for a new invitation");
    auto member = parse_decimal(checked->doc.string_at("member").value_or(""));
    if (!member || *member == 0)
        return make_error(errc::bad_reply, "the server's answer names no member");
    auto k = signing_key::generate();
    if (!k) return k.err();
    key_file f{k->seed(), k->public_bytes(), link->community, member_id{*member}};
    // Written before the key is used: a key the ledger accepts is never lost.
    if (auto w = write_key_file(out, f); !w) return w.err();
    if (auto w = write_public_key_file(public_key_path(out), f); !w) return w.err();
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const event_body body{random_event_id(),
                          link->community,
                          member_id{*member},
                          sequence{1},
                          time_ms{now.count()},
                          std::nullopt,
                          invitation_redeemed{link->invitation, link->code}};
    auto r = seal_and_submit(*server, *k, body, std::nullopt);
    if (!r) {
        // Refused: the key belongs to nobody; take its files back so the name is free again.
        std::error_code ignored;
        std::filesystem::remove(out, ignored);
        std::filesystem::remove(public_key_path(out), ignored);
        return r.err();
    }
    std::cout << "wrote " << out.string() << " (your private key, mode 0600: keep it to yourself)"
              << "\nyou are member " << *member << " of community " << link->community.value << " ("
              << checked->doc.string_at("purpose").value_or("join") << ")\n";
    return ok_value;
}

result<void> do_post(const parsed_args& a, bool offer) {
    auto text = text_arg(a, "text");
    if (!text) return text.err();
    auto p = post_arg(a, *text);
    if (!p) return p.err();
    auto r = offer ? sign_and_submit(a, offer_posted{*p}, *text)
                   : sign_and_submit(a, request_posted{*p}, *text);
    if (!r) return r.err();
    std::cout << (offer ? "offer" : "request") << " id: " << r->id_hex << "\n";
    return ok_value;
}

result<void> do_claim(const parsed_args& a) {
    auto rcv = a.get_u64("receiver");
    if (!rcv) return rcv.err();
    auto m = minutes_arg(a);
    if (!m) return m.err();
    auto note = text_arg(a, "note");
    if (!note) return note.err();
    hours_claimed c{member_id{*rcv}, *m, std::nullopt, commitment_of(*note)};
    if (a.has("post")) {
        auto p = id_arg(a, "post");
        if (!p) return p.err();
        c.post = *p;
    }
    auto r = sign_and_submit(a, c, *note);
    if (!r) return r.err();
    std::cout << "claim id: " << r->id_hex << " (member " << *rcv
              << " confirms it with 'uurwerk confirm --claim " << r->id_hex << "')\n";
    return ok_value;
}

result<void> do_claim_ref(const parsed_args& a, bool confirm) {
    auto c = id_arg(a, "claim");
    if (!c) return c.err();
    auto reason = text_arg(a, "reason");
    if (!reason) return reason.err();
    auto r = confirm ? sign_and_submit(a, hours_confirmed{*c})
                     : sign_and_submit(a, hours_disputed{*c, commitment_of(*reason)}, *reason);
    if (!r) return r.err();
    return ok_value;
}

result<void> do_transfer(const parsed_args& a) {
    auto to = a.get_u64("to");
    if (!to) return to.err();
    auto m = minutes_arg(a);
    if (!m) return m.err();
    auto note = text_arg(a, "note");
    if (!note) return note.err();
    auto r = sign_and_submit(a, transfer{member_id{*to}, *m, commitment_of(*note)}, *note);
    if (!r) return r.err();
    return ok_value;
}

result<void> do_reverse(const parsed_args& a) {
    auto t = id_arg(a, "target");
    if (!t) return t.err();
    auto reason = text_arg(a, "reason");
    if (!reason) return reason.err();
    auto r = sign_and_submit(a, reversal{*t, commitment_of(*reason)}, *reason);
    if (!r) return r.err();
    return ok_value;
}

// `profile`: sets a member's profile (their own, as their delegate, or as coordinator).
result<void> do_profile(const parsed_args& a) {
    auto profile = profile_arg(a);
    if (!profile) return profile.err();
    member_id m{0};
    if (a.has("member")) {
        auto v = a.get_u64("member");
        if (!v) return v.err();
        m = member_id{*v};
    } else {
        auto kf = read_key_file(*a.get("key"));
        if (!kf) return kf.err();
        m = kf->member;
        if (a.has("as")) {
            auto v = a.get_u64("as");
            if (!v) return v.err();
            m = member_id{*v};
        }
    }
    if (m.value == 0) return make_error(errc::missing_argument, "whose profile? give --member ID");
    auto r = sign_and_submit(a, profile_updated{m, (*profile)->commitment}, *profile);
    if (!r) return r.err();
    return ok_value;
}

result<void> do_member_change(const parsed_args& a, const std::string& what) {
    auto m = a.get_u64("member");
    if (!m) return m.err();
    auto submit = [&]() -> result<signed_submit> {
        if (what == "suspend") {
            auto reason = text_arg(a, "reason");
            if (!reason) return reason.err();
            return sign_and_submit(a, member_suspended{member_id{*m}, commitment_of(*reason)},
                                   *reason);
        }
        if (what == "reinstate") return sign_and_submit(a, member_reinstated{member_id{*m}});
        if (what == "leave") return sign_and_submit(a, member_left{member_id{*m}});
        auto h = a.get("revoke");
        auto b = fixed_from_hex<public_key_bytes>(h.value_or(""), "--revoke");
        if (!b) return b.err();
        return sign_and_submit(a, key_revoked{member_id{*m}, public_key{*b}});
    };
    auto r = submit();
    if (!r) return r.err();
    return ok_value;
}

result<std::pair<community_id, member_id>> who(const parsed_args& a) {
    community_id c{0};
    member_id m{0};
    if (auto k = a.get("key")) {
        auto kf = read_key_file(*k);
        if (!kf) return kf.err();
        c = kf->community;
        m = kf->member;
    }
    if (a.has("community")) {
        auto v = a.get_u64("community");
        if (!v) return v.err();
        c = community_id{*v};
    }
    if (a.has("member")) {
        auto v = a.get_u64("member");
        if (!v) return v.err();
        m = member_id{*v};
    }
    if (c.value == 0 || m.value == 0)
        return make_error(errc::missing_argument,
                          "give --community ID and --member ID (or --key FILE)");
    return std::pair{c, m};
}

// GET /v1/communities/{c}/members/{m}/TAIL (with its query, if any) for the member the flags
// name, with a session of the --key file: the member's community and id, and the 200 answer.
struct member_reply {
    community_id community;
    member_id member;
    reply answer;
};
result<member_reply> read_member(const parsed_args& a, const std::string& tail) {
    auto w = who(a);
    if (!w) return w.err();
    auto server = server_of(a);
    if (!server) return server.err();
    auto session = session_of(a, w->first);
    if (!session) return session.err();
    auto r = call(*server, "GET",
                  "/v1/communities/" + std::to_string(w->first.value) + "/members/" +
                      std::to_string(w->second.value) + "/" + tail,
                  {}, *session);
    if (!r) return r.err();
    if (r->status != 200) return api_error(*r);
    return member_reply{w->first, w->second, std::move(*r)};
}

result<void> do_balance(const parsed_args& a) {
    auto read = read_member(a, "balance");
    if (!read) return read.err();
    const auto* r = &read->answer;
    auto num = [&](const char* k) {
        return static_cast<std::int64_t>(r->doc.number_at(k).value_or(0));
    };
    auto bal = num("balance_minutes");
    std::cout << "member " << read->member.value << " in community " << read->community.value
              << "\n"
              << "  balance:   " << (bal > 0 ? "+" : "") << bal << " minutes (" << hours_text(bal)
              << ")\n"
              << "  pending:   " << num("pending_in_minutes") << " minutes claimed by you, "
              << num("pending_out_minutes") << " minutes claimed from you, not yet confirmed\n"
              << "  given:     " << num("confirmed_given_minutes") << " minutes of help confirmed\n"
              << "  limits:    down to -" << num("credit_limit_minutes") << ", up to "
              << num("balance_max_minutes") << " minutes\n";
    return ok_value;
}

// `my-data`: saves everything the node holds about a member (AVG art. 15 and 20) to a file only
// its owner may read.
result<void> do_my_data(const parsed_args& a) {
    auto read = read_member(a, "export");
    if (!read) return read.err();
    const auto* r = &read->answer;
    const std::string out = *a.get("out");
    const std::string partial = out + ".partial";
    {
        std::ofstream f(partial, std::ios::binary | std::ios::trunc);
        if (!f) return make_error(errc::io_error, "cannot write " + partial);
        std::filesystem::permissions(
            partial, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        f << r->body;
        f.flush();
        if (!f) return make_error(errc::io_error, "cannot write " + partial);
    }
    std::error_code ec;
    std::filesystem::rename(partial, out, ec);
    if (ec) return make_error(errc::io_error, "cannot rename " + partial + ": " + ec.message());
    const auto count = [&](const char* k) {
        const auto* v = r->doc.root().at(k);
        const auto* items = v ? v->as_array() : nullptr;
        return items ? items->size() : 0;
    };
    std::cout << "saved everything about member " << read->member.value << " of community "
              << read->community.value << " to " << out << " (" << r->body.size()
              << " bytes: " << count("posts") << " posts, " << count("claims") << " claims, "
              << count("transfers") << " transfers, " << count("matches") << " matches, "
              << count("texts") << " personal texts, " << count("history")
              << " history lines); it holds personal data: keep it safe\n";
    return ok_value;
}

result<void> do_history(const parsed_args& a) {
    std::string tail = "history";
    std::string sep = "?";
    if (auto f = a.get("from")) tail += sep + "from=" + *f, sep = "&";
    if (auto l = a.get("limit")) tail += sep + "limit=" + *l;
    auto read = read_member(a, tail);
    if (!read) return read.err();
    const auto* r = &read->answer;
    auto* entries = r->doc.root().at("entries");
    auto* list = entries ? entries->as_array() : nullptr;
    if (list == nullptr) return make_error(errc::bad_reply, "the history reply has no entries");
    std::printf("%-8s %-18s %-10s %10s %10s  %-10s %s\n", "offset", "kind", "verdict", "balance",
                "pending", "with", "id");
    for (const auto& e : *list) {
        auto s = [&](const char* k) {
            auto* v = e.at(k);
            return v ? v->as_string().value_or("") : std::string();
        };
        std::string verdict = s("verdict") == "accepted" ? "accepted" : s("reason");
        std::string with = s("counterparty") == "0" ? "" : "member " + s("counterparty");
        auto signed_number = [&](const char* k) {
            auto v = s(k);
            return (v.empty() || v[0] == '-' || v == "0") ? v : "+" + v;
        };
        std::printf("%-8s %-18s %-10s %10s %10s  %-10s %s\n", s("offset").c_str(),
                    s("kind").c_str(), verdict.c_str(),
                    signed_number("balance_delta_minutes").c_str(),
                    signed_number("pending_delta_minutes").c_str(), with.c_str(), s("id").c_str());
    }
    if (list->empty()) std::cout << "(no history yet)\n";
    return ok_value;
}

result<void> do_announce_node(const parsed_args& a) {
    public_key key;
    if (auto h = a.get("node-key")) {
        auto b = fixed_from_hex<public_key_bytes>(*h, "--node-key");
        if (!b) return make_error(errc::bad_argument, "--node-key takes the node's 64 hex digits");
        key = public_key{*b};
    } else {
        auto server = server_of(a);
        if (!server) return server.err();
        auto r = call(*server, "GET", "/v1/node");
        if (!r) return r.err();
        if (r->status != 200) return api_error(*r);
        auto b =
            fixed_from_hex<public_key_bytes>(r->doc.string_at("node_key").value_or(""), "node_key");
        if (!b) return make_error(errc::bad_reply, "the server's /v1/node has no node_key");
        key = public_key{*b};
    }
    auto r = sign_and_submit(a, node_key_announced{key});
    if (!r) return r.err();
    std::cout << "node key " << key.hex() << " may now sign checkpoints\n";
    return ok_value;
}

// The operator's consent to found a community on the node whose data folder is --data.
result<void> do_allow_founder(const parsed_args& a) {
    if (a.has("public-key") == a.has("public-key-file"))
        return make_error(errc::missing_argument,
                          "give the founder's public key: --public-key HEX or --public-key-file "
                          "FILE.pub (never their private key file)");
    auto key = public_key_arg(a, "public-key", "public-key-file");
    if (!key) return key.err();
    const std::filesystem::path data = a.get("data").value_or("data");
    if (auto w = allow_founder(data, **key); !w) return w.err();
    std::cout << "the key " << (*key)->hex() << " may found a community on the node of "
              << data.string() << " (" << founders_file(data).string() << ")\n";
    return ok_value;
}

// `serve`'s --kafka-* security options as librdkafka's settings (kafka_log_options::security).
result<std::vector<std::pair<std::string, std::string>>> kafka_security_of(const parsed_args& a) {
    std::vector<std::pair<std::string, std::string>> out;
    const bool tls = a.has("kafka-tls") || a.has("kafka-ca") || a.has("kafka-cert");
    const bool sasl = a.has("kafka-sasl-mechanism");
    if (a.has("kafka-cert") != a.has("kafka-key"))
        return make_error(errc::missing_argument,
                          "--kafka-cert and --kafka-key go together: the certificate and its key");
    if ((a.has("kafka-sasl-user") || a.has("kafka-sasl-password-file")) && !sasl)
        return make_error(errc::missing_argument,
                          "--kafka-sasl-user and --kafka-sasl-password-file go with "
                          "--kafka-sasl-mechanism");
    for (const char* file : {"kafka-ca", "kafka-cert", "kafka-key", "kafka-sasl-password-file"}) {
        std::error_code ec;
        if (auto path = a.get(file); path && !std::filesystem::is_regular_file(*path, ec))
            return make_error(errc::bad_argument,
                              "--" + std::string(file) + " " + *path + ": no such file");
    }
    if (!tls && !sasl) return out;
    out.emplace_back("security.protocol",
                     tls ? (sasl ? "sasl_ssl" : "ssl") : (sasl ? "sasl_plaintext" : "plaintext"));
    if (auto ca = a.get("kafka-ca")) out.emplace_back("ssl.ca.location", *ca);
    if (auto cert = a.get("kafka-cert")) {
        out.emplace_back("ssl.certificate.location", *cert);
        out.emplace_back("ssl.key.location", *a.get("kafka-key"));
    }
    if (sasl) {
        const auto mechanism = *a.get("kafka-sasl-mechanism");
        if (mechanism != "PLAIN" && mechanism != "SCRAM-SHA-256" && mechanism != "SCRAM-SHA-512")
            return make_error(errc::bad_argument,
                              "--kafka-sasl-mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
        if (!a.has("kafka-sasl-user") || !a.has("kafka-sasl-password-file"))
            return make_error(errc::missing_argument,
                              "--kafka-sasl-mechanism needs --kafka-sasl-user and "
                              "--kafka-sasl-password-file");
        std::ifstream in(*a.get("kafka-sasl-password-file"));
        std::string password;
        std::getline(in, password);
        if (password.empty())
            return make_error(errc::bad_argument, "--kafka-sasl-password-file " +
                                                      *a.get("kafka-sasl-password-file") +
                                                      ": its first line (the password) is empty");
        out.emplace_back("sasl.mechanism", mechanism);
        out.emplace_back("sasl.username", *a.get("kafka-sasl-user"));
        out.emplace_back("sasl.password", password);
    }
    return out;
}

std::vector<command> commands() {
    const option_spec server{"server", "URL", "the uurwerk server (default http://127.0.0.1:8080)"};
    const std::vector<option_spec> post_options = {
        {"category", "NAME",
         "companionship, shopping, dogWalking, childminding, oddJobs, lifts, "
         "computerHelp, meals, gardening or other",
         true},
        {"text", "TEXT", "what you offer or ask, at most 600 characters"},
        {"intensity", "HOW", "once (default), sometimes or regularly"},
        {"area", "AREA", "coarse area, e.g. the digits of a postcode"},
        {"availability", "BITS",
         "bit 3*day+part (day 0 = Monday; part 0/1/2 = morning/"
         "afternoon/evening); 0 = any time"},
    };
    return {
        {{"serve",
          "Runs the embedded server: the durable log, the projections and the HTTP API.",
          {{"data", "DIR", "where the log and projections live (default ./data)"},
           {"listen", "HOST:PORT", "the address of the HTTP API (default 127.0.0.1:8080)"},
           {"tls-cert", "FILE",
            "serve https (TLS 1.2 and 1.3) with this certificate chain (PEM, the node's own "
            "certificate first); goes with --tls-key"},
           {"tls-key", "FILE", "the private key (PEM) of --tls-cert"},
           {"trusted-proxy", "ADDRESS",
            "behind a reverse proxy at this IP address: its requests' client is the last "
            "address of their X-Forwarded-For, and its connections are not held to the "
            "per-address limit (README, \"Running a node on the internet\")"},
           {"secure-cookies", "",
            "browsers reach this node over https through a TLS proxy: the session cookie is "
            "Secure (always so with --tls-cert)"},
           {"checkpoint-interval", "SECONDS",
            "how often the node signs a checkpoint of each community that announced its key "
            "(default 60; 0 = only on demand)"},
           {"match-interval", "SECONDS",
            "how often the node's matcher proposes matches in each community that announced "
            "its key (default 10; 0 = only on demand: POST /v1/communities/{c}/match)"},
           {"kafka", "HOST:PORT,...",
            "cluster mode: the log is a topic on these Kafka brokers (default: the embedded "
            "log in DIR/log)"},
           {"topic", "NAME", "cluster mode: the topic (default uurwerk-events)"},
           {"partitions", "N",
            "cluster mode: the topic's partitions, 1 to 256 (default 1); communities are spread "
            "over them by id and the node folds each apart. Every node of a topic gives the "
            "same count, and it never changes"},
           {"replication-factor", "N",
            "cluster mode: replicas of the topic, when uurwerk creates it (default 3)"},
           {"min-insync", "N",
            "cluster mode: replicas that must have a record before it is acknowledged, when "
            "uurwerk creates the topic (default 2)"},
           {"kafka-tls", "",
            "cluster mode: talk to the brokers over TLS, their certificates checked against "
            "the system's CA store (implied by --kafka-ca)"},
           {"kafka-ca", "FILE",
            "cluster mode, TLS: trust the brokers' certificates of this CA (PEM)"},
           {"kafka-cert", "FILE",
            "cluster mode, TLS: this node's client certificate (PEM), for brokers that ask for "
            "one; goes with --kafka-key"},
           {"kafka-key", "FILE", "cluster mode, TLS: the private key (PEM) of --kafka-cert"},
           {"kafka-sasl-mechanism", "NAME",
            "cluster mode: log in to the brokers with SASL: PLAIN, SCRAM-SHA-256 or "
            "SCRAM-SHA-512 (with --kafka-sasl-user and --kafka-sasl-password-file; over TLS "
            "when --kafka-tls or --kafka-ca is given)"},
           {"kafka-sasl-user", "NAME", "cluster mode, SASL: the user name"},
           {"kafka-sasl-password-file", "FILE",
            "cluster mode, SASL: a file whose first line is the password (never on the command "
            "line, where every user of the machine can read it)"},
           {"smtp", "URL",
            "send e-mail notifications through this SMTP relay: smtp://HOST[:PORT] or "
            "smtps://HOST[:PORT] (TLS); goes with --mail-from (api/README.md, \"E-mail\")"},
           {"smtp-starttls", "", "with smtp://: upgrade to TLS (STARTTLS) or send nothing"},
           {"smtp-ca", "FILE", "trust the relay's certificate of this CA (PEM)"},
           {"mail-from", "ADDRESS", "the notifications' sender address"},
           {"mail-share", "INDEX/COUNT",
            "in a cluster: this node sends the mail of the partitions p with p % COUNT == "
            "INDEX (default 0/1: all); give each sending node its own INDEX"},
           {"app-url", "URL",
            "the web app's address in the messages' links (default: this server's)"},
           {"quota-writes-per-key", "PER_S:BURST",
            "events one signing key may submit: PER_S a second, BURST at once (default 20:100; "
            "off = no limit); beyond, 429 rate_limited with Retry-After"},
           {"quota-writes-per-address", "PER_S:BURST",
            "requests other than GET and HEAD from one client address (default 50:200; off)"},
           {"quota-reads-per-session", "PER_S:BURST",
            "GET and HEAD requests of one member's sessions (default 50:200; off)"},
           {"quota-reads-per-address", "PER_S:BURST",
            "GET and HEAD requests without a session that verifies, per client address "
            "(default 50:200; off)"}}},
         [](const parsed_args& a) -> result<void> {
             std::uint64_t interval_s = 60;
             if (a.has("checkpoint-interval")) {
                 auto v = a.get_u64("checkpoint-interval");
                 if (!v) return v.err();
                 interval_s = *v;
             }
             std::uint64_t match_s = 10;
             if (a.has("match-interval")) {
                 auto v = a.get_u64("match-interval");
                 if (!v) return v.err();
                 match_s = *v;
             }
             std::optional<kafka_log_options> kafka;
             if (auto servers = a.get("kafka")) {
                 kafka.emplace();
                 kafka->bootstrap_servers = *servers;
                 kafka->topic = a.get("topic").value_or(kafka->topic);
                 // Well inside the node's 10 s wait for a verdict: with every broker away a
                 // write answers 503 log_unavailable, not a timeout.
                 kafka->delivery_timeout = std::chrono::seconds(5);
                 for (auto [name, field] :
                      {std::pair{"replication-factor", &kafka->replication_factor},
                       {"min-insync", &kafka->min_insync_replicas}}) {
                     if (!a.has(name)) continue;
                     auto v = a.get_u64(name);
                     if (!v) return v.err();
                     if (*v < 1 || *v > 16)
                         return make_error(errc::bad_argument,
                                           "--" + std::string(name) + " is from 1 to 16");
                     *field = static_cast<std::uint32_t>(*v);
                 }
                 if (a.has("partitions")) {
                     auto v = a.get_u64("partitions");
                     if (!v) return v.err();
                     if (*v < 1 || *v > partitions_max)
                         return make_error(errc::bad_argument, "--partitions is from 1 to " +
                                                                   std::to_string(partitions_max));
                     kafka->partitions_total = static_cast<std::uint32_t>(*v);
                 }
                 auto security = kafka_security_of(a);
                 if (!security) return security.err();
                 kafka->security = std::move(*security);
             } else if (a.has("topic") || a.has("partitions") || a.has("replication-factor") ||
                        a.has("min-insync")) {
                 return make_error(errc::bad_argument,
                                   "--topic, --partitions, --replication-factor and --min-insync "
                                   "go with --kafka");
             } else {
                 for (const char* name :
                      {"kafka-tls", "kafka-ca", "kafka-cert", "kafka-key", "kafka-sasl-mechanism",
                       "kafka-sasl-user", "kafka-sasl-password-file"})
                     if (a.has(name))
                         return make_error(errc::bad_argument,
                                           "--" + std::string(name) + " goes with --kafka");
             }
             serve_network network;
             if (a.has("tls-cert") != a.has("tls-key"))
                 return make_error(errc::missing_argument,
                                   "--tls-cert and --tls-key go together: the certificate and its "
                                   "private key");
             if (a.has("tls-cert")) network.tls = tls_files{*a.get("tls-cert"), *a.get("tls-key")};
             network.trusted_proxy = a.get("trusted-proxy").value_or("");
             if (a.has("secure-cookies")) network.cookies = cookie_security::secure;
             for (auto [name, field] :
                  {std::pair{"quota-writes-per-key", &network.quotas.writes_per_key},
                   {"quota-writes-per-address", &network.quotas.writes_per_address},
                   {"quota-reads-per-session", &network.quotas.reads_per_session},
                   {"quota-reads-per-address", &network.quotas.reads_per_address}}) {
                 auto text = a.get(name);
                 if (!text) continue;
                 auto l = parse_rate_limit(*text, name);
                 if (!l) return l.err();
                 *field = *l;
             }
             if (auto url = a.get("smtp")) {
                 auto relay = parse_smtp_url(*url);
                 if (!relay) return relay.err();
                 if (a.has("smtp-starttls")) {
                     if (relay->implicit_tls)
                         return make_error(errc::bad_argument,
                                           "--smtp-starttls goes with smtp://, not smtps:// "
                                           "(which is TLS from the start)");
                     relay->upgrade = starttls::required;
                 }
                 relay->ca_file = a.get("smtp-ca").value_or("");
                 auto from = a.get("mail-from");
                 if (!from)
                     return make_error(errc::missing_argument,
                                       "--smtp goes with --mail-from ADDRESS: the sender of the "
                                       "notifications");
                 mail_setup mail{std::move(*relay), *from, a.get("app-url").value_or("")};
                 // The crash drill (tests/e2e/mail_test.cpp): die before the Nth message.
                 if (const char* n = std::getenv("UURWERK_MAIL_CRASH_BEFORE_SEND"); n && *n) {
                     auto v = parse_decimal(n);
                     if (!v || *v == 0)
                         return make_error(errc::bad_argument,
                                           "UURWERK_MAIL_CRASH_BEFORE_SEND is a number from 1");
                     mail.crash_before_send = *v;
                 }
                 if (auto share = a.get("mail-share")) {
                     auto parsed = parse_mail_share(*share);
                     if (!parsed) return parsed.err();
                     mail.share = *parsed;
                 }
                 network.mail = std::move(mail);
             } else {
                 for (const char* name :
                      {"smtp-starttls", "smtp-ca", "mail-from", "app-url", "mail-share"})
                     if (a.has(name))
                         return make_error(errc::bad_argument,
                                           "--" + std::string(name) + " goes with --smtp");
             }
             return serve_command(
                 a.get("data").value_or("data"), a.get("listen").value_or("127.0.0.1:8080"),
                 std::chrono::seconds(interval_s), kafka, std::chrono::seconds(match_s), network);
         }},
        {{"keygen",
          "Makes a new Ed25519 key and writes it to a key file with mode 0600.",
          {{"out", "FILE", "the key file to write (never overwritten)", true},
           {"community", "ID", "the community this key will sign for"},
           {"member", "ID", "the member id this key will sign as"}}},
         do_keygen},
        {{"found",
          signed_summary("Founds a community; you become its first coordinator. A "
                         "helper with no match for a week goes first unless "
                         "--match-silence-hours says otherwise (0: off)."),
          with_signing(policy_options({{"name", "NAME", "the community's public name", true}}))},
         do_found},
        {{"policy",
          signed_summary("Changes the community's policy (coordinators): the flags given, "
                         "the rest as it is."),
          with_signing(policy_options({}))},
         do_policy},
        {{"accept", signed_summary("Accepts a proposed match (its requester or helper)."),
          with_signing({{"match", "ID", "the match's id (from proposals)", true}})},
         [](const parsed_args& a) { return do_match_answer(a, event_kind::match_accepted); }},
        {{"decline", signed_summary("Declines a proposed match (its requester or helper)."),
          with_signing({{"match", "ID", "the match's id (from proposals)", true}})},
         [](const parsed_args& a) { return do_match_answer(a, event_kind::match_declined); }},
        {{"end-match", signed_summary("Ends an accepted match (its requester or helper)."),
          with_signing({{"match", "ID", "the match's id", true}})},
         [](const parsed_args& a) { return do_match_answer(a, event_kind::match_ended); }},
        {{"match",
          "Runs a matching round of the server's matcher in a community now (the node's key "
          "must be announced there).",
          {{"community", "ID", "the community", true},
           {"key", "FILE", "a coordinator's key file (signs in)", true},
           server,
           ca_file_option()}},
         do_match},
        {{"admit",
          signed_summary("Admits a member (coordinators), optionally with their "
                         "profile (--name and the rest; kept off the log)."),
          with_signing(profile_options(
              {{"member", "ID", "the new member's id", true},
               {"member-key", "HEX", "the new member's public key"},
               {"member-public-key", "FILE", "or: their public key file (FILE.pub)"},
               {"no-key", "", "or: a member with no key (no device): 'delegate --proxy-for'"},
               {"coordinator", "", "make them a coordinator"},
               {"verified", "", "you checked who they are"}},
              profile_name::optional))},
         do_admit},
        {{"delegate",
          signed_summary("Lets another member post for you (a family member, a "
                         "neighbour)."),
          with_signing({{"to", "MEMBER", "the delegate", true},
                        {"kinds", "LIST",
                         "comma-separated kinds, e.g. requestPosted,"
                         "hoursConfirmed",
                         true},
                        {"until-ms", "TIME", "expiry, ms since 1970 (default: until revoked)"},
                        {"proxy-for", "MEMBER",
                         "coordinators: record a proxy for this member, who has no key of "
                         "their own (admitted with --no-key)"}})},
         do_delegate},
        {{"appoint-auditor",
          signed_summary("Appoints an auditor of the community (coordinators): the holder of the "
                         "key may read the community's export, events and hour certificates "
                         "(never profiles or texts) until the appointment ends. --end ends it "
                         "now."),
          with_signing({{"auditor-key", "HEX", "the auditor's public key"},
                        {"auditor-public-key", "FILE", "or: their public key file (FILE.pub)"},
                        {"days", "N", "how long it lasts, 1 to 365 days"},
                        {"end", "", "or: end the auditor's appointment now"}})},
         do_appoint_auditor},
        {{"invite",
          signed_summary(
              "Invites someone with a link that holds a one-time code (only its digest goes into "
              "the log): a newcomer as --member M (coordinators), a device of your own (or of "
              "--member M, coordinators) with --add-device, or new keys for a member who lost "
              "every device with --replace-keys --member M (coordinators; their old keys are "
              "revoked when it is redeemed). Prints the link and its expiry; the invitee opens "
              "it in the web app, or runs 'uurwerk join --link LINK'."),
          with_signing({{"member", "ID", "the newcomer's member id, or whose device or keys"},
                        {"coordinator", "", "a newcomer who will coordinate"},
                        {"verified", "", "a newcomer whose identity you checked"},
                        {"add-device", "", "a device of a member (yourself by default)"},
                        {"replace-keys", "", "new keys for --member, revoking their old ones"},
                        {"days", "N", "how long the invitation stays open, 1 to 30 (7)"},
                        {"until-ms", "TIME",
                         "or: its end, ms since 1970 (within 30 days; a short one for a test)"},
                        {"app-url", "URL", "the web app's address in the link (the --server)"},
                        {"email", "ADDRESS",
                         "the node also mails the link to this address (serve --smtp; a "
                         "coordinator's)"},
                        {"language", "nl|en", "the language of that e-mail (nl)"}})},
         do_invite},
        {{"join",
          "Redeems an invitation: makes a new key (as 'keygen' does; the key file is never "
          "overwritten), checks the link's invitation, and signs its redemption with the new "
          "key. Writes the key file for the member the invitation names.",
          {{"link", "URL", "the invitation's link (from 'uurwerk invite')", true},
           {"out", "FILE", "the key file to write (never overwritten)", true},
           {"server", "URL", "the uurwerk server (default: the link's, or $UURWERK_SERVER)"},
           ca_file_option()}},
         do_join},
        {{"offer", signed_summary("Offers help."), with_signing(post_options)},
         [](const parsed_args& a) { return do_post(a, true); }},
        {{"request", signed_summary("Asks for help."), with_signing(post_options)},
         [](const parsed_args& a) { return do_post(a, false); }},
        {{"claim", signed_summary("Claims the minutes you helped someone; they confirm."),
          with_signing({{"receiver", "MEMBER", "who received the help", true},
                        {"minutes", "N", "how long you helped", true},
                        {"post", "ID", "the request, offer or match it was for"},
                        {"note", "TEXT", "a short note"}})},
         do_claim},
        {{"confirm", signed_summary("Confirms a claim for help you received: the minutes move."),
          with_signing({{"claim", "ID", "the claim's id", true}})},
         [](const parsed_args& a) { return do_claim_ref(a, true); }},
        {{"dispute", signed_summary("Disputes a claim for help you received."),
          with_signing({{"claim", "ID", "the claim's id", true},
                        {"reason", "TEXT", "what is wrong with it"}})},
         [](const parsed_args& a) { return do_claim_ref(a, false); }},
        {{"transfer", signed_summary("Gives minutes to a member (0 = the community fund)."),
          with_signing({{"to", "MEMBER", "who receives them", true},
                        {"minutes", "N", "how many", true},
                        {"note", "TEXT", "a short note"}})},
         do_transfer},
        {{"reverse", signed_summary("Reverses a confirmed claim or a transfer (coordinators)."),
          with_signing({{"target", "ID", "the claim's or transfer's id", true},
                        {"reason", "TEXT", "why", true}})},
         do_reverse},
        {{"suspend", signed_summary("Suspends a member (coordinators)."),
          with_signing({{"member", "ID", "who", true}, {"reason", "TEXT", "why"}})},
         [](const parsed_args& a) { return do_member_change(a, "suspend"); }},
        {{"reinstate", signed_summary("Reinstates a suspended member (coordinators)."),
          with_signing({{"member", "ID", "who", true}})},
         [](const parsed_args& a) { return do_member_change(a, "reinstate"); }},
        {{"profile",
          signed_summary("Sets a member's profile: the display name others see, and contact "
                         "details only match partners and coordinators see (yours, as their "
                         "delegate, or as coordinator). Kept off the log; erased when the "
                         "member leaves."),
          with_signing(profile_options({{"member", "ID", "whose profile (default: yours)"}},
                                       profile_name::required))},
         do_profile},
        {{"my-data",
          "Saves everything this node holds about a member (profile, posts and their texts, "
          "claims, transfers, matches, delegations, history, reputation) as one JSON file "
          "(AVG art. 15 and 20).",
          {{"community", "ID", "the community"},
           {"member", "ID", "the member (default: the key file's)"},
           {"key", "FILE", "the reader's key file: the member, their delegate or a coordinator",
            true},
           {"out", "FILE", "where to save it (readable by you only)", true},
           server,
           ca_file_option()}},
         do_my_data},
        {{"leave",
          signed_summary("Leaves the community (you, or a member as coordinator): only with a "
                         "balance of zero and no claim pending. Every node then erases the "
                         "member's personal data; this cannot be undone."),
          with_signing({{"member", "ID", "who leaves", true}})},
         [](const parsed_args& a) { return do_member_change(a, "leave"); }},
        {{"revoke-key", signed_summary("Revokes a key (yours, or any member's as coordinator)."),
          with_signing({{"member", "ID", "whose key", true},
                        {"revoke", "HEX", "the public key to revoke", true}})},
         [](const parsed_args& a) { return do_member_change(a, "revoke"); }},
        {{"balance",
          "Shows a member's balance, pending claims and limits.",
          {{"community", "ID", "the community"},
           {"member", "ID", "the member"},
           {"key", "FILE", "the reader's key file (signs in; the member and community by default)",
            true},
           server,
           ca_file_option()}},
         do_balance},
        {{"history",
          "Shows a member's history: every event that concerned them, with its verdict.",
          {{"community", "ID", "the community"},
           {"member", "ID", "the member"},
           {"key", "FILE", "the reader's key file (signs in; the member and community by default)",
            true},
           {"from", "OFFSET", "start at this log offset"},
           {"limit", "N", "at most this many lines (default 100, at most 1000)"},
           server,
           ca_file_option()}},
         do_history},
        {{"allow-founder",
          "The operator's consent: lets the holder of a key found a community on the node whose "
          "data folder this is (works while it runs; run it on the node's machine).",
          {{"data", "DIR", "the node's data folder (default ./data)"},
           {"public-key", "HEX", "the founder's public key"},
           {"public-key-file", "FILE", "or: the founder's public key file (FILE.pub)"}}},
         do_allow_founder},
        {{"announce-node",
          signed_summary("Announces a node's key in your community (coordinators): the node "
                         "may then sign checkpoints of its log."),
          with_signing({{"node-key", "HEX",
                         "the node's public key (default: the one the server serves at "
                         "/v1/node)"}})},
         do_announce_node},
        {{"audit",
          "Auditing: 'audit checkpoint' (sign one now), 'audit consistency' (the node's log "
          "extends a checkpoint you kept), 'audit export' (a community's log to a file), "
          "'audit verify FILE' (check an export offline), 'audit certificate' and "
          "'audit verify-certificate FILE' (a member's hour certificate), 'audit report FILE "
          "NAME' (a report recomputed from an export, offline).",
          audit_option_specs(),
          {"WHAT", "[FILE]", "[NAME]"}},
         [](const parsed_args& a) { return audit_command(a.positionals().at(0), a); }},
        {{"report",
          "Prints a coordinator's report, computed by the server at the community's latest "
          "signed checkpoint: hours, transactions, inactive, unanswered, unproposed or impact "
          "(api/README.md, \"Reports\"); 'uurwerk audit report' recomputes it from an export.",
          report_option_specs(),
          {"NAME"}},
         report_command},
        {{"digest",
          "Prints the digest of a stopped node's projections, after applying the whole "
          "log.",
          {{"data", "DIR", "the node's data folder (default ./data)"}}},
         [](const parsed_args& a) { return digest_command(a.get("data").value_or("data")); }},
        {{"rebuild",
          "Rebuilds a stopped node's projections from its log, then prints their "
          "digest.",
          {{"data", "DIR", "the node's data folder (default ./data)"}}},
         [](const parsed_args& a) { return rebuild_command(a.get("data").value_or("data")); }},
        {{"backup",
          "Backs up a node's data folder while the node runs: its log, cut at a record "
          "boundary and every record checked, and the operator's files beside it (founders, "
          "node.key, operator_token); no store, which 'uurwerk restore' folds again from the "
          "log. The --out folder must not exist; it appears only once the backup is whole. "
          "Embedded "
          "log only (a Kafka node's log is the replicated topic).",
          {{"data", "DIR", "the node's data folder (default ./data)"},
           {"out", "DIR", "the new folder to write the backup into", true}}},
         [](const parsed_args& a) {
             return backup_command(a.get("data").value_or("data"), *a.get("out"));
         }},
        {{"restore",
          "Restores a backup made by 'uurwerk backup' into a new data folder: copies the log, "
          "checks every record, rebuilds the projections from it, and puts the folder in "
          "place once whole; then start the node on it. The --data folder must be new or "
          "empty.",
          {{"from", "DIR", "the backup folder (made by 'uurwerk backup')", true},
           {"data", "DIR", "the data folder to restore into (default ./data)"}}},
         [](const parsed_args& a) {
             return restore_command(*a.get("from"), a.get("data").value_or("data"));
         }},
        {{"bench",
          "Measures: 'bench verify', 'bench ingest', 'bench replay', 'bench audit', "
          "'bench fairness', 'bench match', 'bench reads', 'bench retention', 'bench streams', "
          "'bench reports'. "
          "Ends with one "
          "line of JSON.",
          bench_options(),
          {"WHAT"}},
         [](const parsed_args& a) { return bench_command(a.positionals().at(0), a); }},
    };
}

void print_overview(const std::vector<command>& all) {
    std::cout << "uurwerk: a time-credit and reputation ledger for time banks.\n\n"
                 "usage: uurwerk COMMAND [options]   ('uurwerk COMMAND --help' for its options)\n\n"
                 "commands:\n";
    for (const auto& c : all) {
        std::string first = c.spec.summary.substr(0, c.spec.summary.find('.') + 1);
        std::printf("  %-12s %s\n", c.spec.name.c_str(), first.c_str());
    }
}

}  // namespace

int run(int argc, char** argv) {
    const auto all = commands();
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_overview(all);
        return args.empty() ? 2 : 0;
    }
    const command* cmd = nullptr;
    for (const auto& c : all)
        if (c.spec.name == args[0]) cmd = &c;
    if (cmd == nullptr) {
        std::cerr << "uurwerk: unknown command '" << args[0] << "'; 'uurwerk --help' lists them\n";
        return 2;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const auto& r : rest)
        if (r == "--help" || r == "-h") {
            std::cout << help_text(cmd->spec);
            return 0;
        }
    auto parsed = parse(cmd->spec, rest);
    if (!parsed) {
        std::cerr << "uurwerk " << cmd->spec.name << ": " << parsed.err().message << "\n";
        return 2;
    }
    auto r = cmd->run(*parsed);
    if (!r) {
        std::cerr << "uurwerk " << cmd->spec.name << ": " << r.err().message << "\n";
        const bool usage =
            r.err().code == errc::bad_argument || r.err().code == errc::missing_argument;
        return usage ? 2 : 1;
    }
    return 0;
}

}  // namespace uurwerk::cli
