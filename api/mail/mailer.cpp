#include "api/mail/mailer.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>

#include "ledger/core/crypto.h"
#include "projections/query.h"

namespace uurwerk {

namespace {

// The mail store's keys (projections/mail_store.h).
constexpr std::string_view secret_key = "secret";
constexpr std::size_t secret_bytes = 32;

std::string be32(std::uint32_t v) {
    std::string k;
    for (int i = 3; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i) & 0xff));
    return k;
}
std::string be64(std::uint64_t v) {
    std::string k;
    put_be64(k, v);
    return k;
}
std::string horizon_key(partition_id p) {
    return "h" + be32(p.value);
}
std::string cursor_key(partition_id p) {
    return "c" + be32(p.value);
}
std::string done_key(partition_id p, std::string_view outbox) {
    return "s" + be32(p.value) + std::string(outbox);
}
std::string member_part(community_id c, member_id m) {
    return be64(c.value) + be64(m.value);
}
std::string frequency_key(community_id c, member_id m) {
    return "f" + member_part(c, m);
}
std::string held_prefix(community_id c, member_id m) {
    return "q" + member_part(c, m);
}
// A held item's key: 'q', community, member, partition, outbox key.
constexpr std::size_t held_key_bytes = 1 + 16 + 4 + outbox_key_bytes;
std::string last_digest_key(community_id c, member_id m) {
    return "l" + member_part(c, m);
}

// A queued invitation's key: 'i', community, invitation id; its value: language, code, address.
std::string invitation_key(community_id c, const event_id& id) {
    return "i" + be64(c.value) +
           std::string(reinterpret_cast<const char*>(id.b.data()), id.b.size());
}
constexpr std::size_t invitation_key_bytes = 1 + 8 + event_id_bytes;

// How an item ended, in its done record: sent, not sent (why), held for a digest.
enum class outcome : char { sent = 'S', not_sent = 'N', held = 'H' };

std::string done_value(outcome o, time_ms now) {
    return std::string(1, static_cast<char>(o)) + be64(static_cast<std::uint64_t>(now.value));
}

std::chrono::milliseconds period_of(mail_frequency f) {
    return f == mail_frequency::weekly ? std::chrono::hours(24 * 7) : std::chrono::hours(24);
}

}  // namespace

result<mail_share> parse_mail_share(std::string_view text) {
    const auto bad = [&] {
        return make_error(errc::bad_argument,
                          "--mail-share is INDEX/COUNT, 0 <= INDEX < COUNT <= "
                          "256 (e.g. 1/3: the second of three senders), not '" +
                              std::string(text) + "'");
    };
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return bad();
    const auto number = [](std::string_view t) -> std::optional<std::uint32_t> {
        if (t.empty() || t.size() > 3) return std::nullopt;
        std::uint32_t v = 0;
        for (char c : t) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<std::uint32_t>(c - '0');
        }
        return v;
    };
    const auto index = number(text.substr(0, slash));
    const auto count = number(text.substr(slash + 1));
    if (!index || !count || *count == 0 || *count > 256 || *index >= *count) return bad();
    return mail_share{*index, *count};
}

result<std::unique_ptr<mailer>> mailer::open(node& n, const std::filesystem::path& dir,
                                             mailer_options options,
                                             std::unique_ptr<mail_transport> transport) {
    if (!sendable_address(options.from))
        return make_error(errc::bad_argument,
                          "--mail-from '" + options.from +
                              "' is no address mail can be sent from (name@example.nl)");
    while (!options.app_url.empty() && options.app_url.back() == '/') options.app_url.pop_back();
    auto m = std::unique_ptr<mailer>(new mailer(n, std::move(options), std::move(transport)));
    m->domain_ = m->options_.from.substr(m->options_.from.find('@') + 1);
    auto s = mail_store::open(dir);
    if (!s) return s.err();
    m->store_ = std::move(*s);
    auto secret = m->store_->get(secret_key);
    if (!secret) return secret.err();
    if (*secret && (*secret)->size() == secret_bytes) {
        m->secret_ = std::move(**secret);
    } else {
        std::string fresh(secret_bytes, '\0');
        random_bytes(std::span(reinterpret_cast<std::uint8_t*>(fresh.data()), fresh.size()));
        if (auto w = m->store_->put({{std::string(secret_key), fresh}}); !w) return w.err();
        m->secret_ = std::move(fresh);
    }
    // Mail starts where the projections stand: the past is not mailed.
    std::vector<std::pair<std::string, std::string>> starts;
    for (std::uint32_t p = 0; p < n.partitions(); ++p) {
        auto h = m->store_->get(horizon_key(partition_id{p}));
        if (!h) return h.err();
        if (*h) continue;
        const std::string at = be64(n.folder(partition_id{p}).applied().value);
        starts.emplace_back(horizon_key(partition_id{p}), at);
        starts.emplace_back(cursor_key(partition_id{p}), at);
    }
    if (!starts.empty())
        if (auto w = m->store_->put(starts); !w) return w.err();
    return m;
}

mailer::~mailer() {
    stop();
}

void mailer::start() {
    if (ticker_) return;
    transport_->resume();
    ticker_ = std::make_unique<interval_thread>("uw-mail", options_.poll, [this] { tick(); });
    ticker_->start();
}

void mailer::stop() {
    // A send under way gives up first: the thread then ends without waiting for the relay.
    transport_->cancel();
    if (ticker_) ticker_->stop();
    ticker_.reset();
}

void mailer::tick() {
    if (std::chrono::steady_clock::now() < next_try_) return;
    auto r = run_once();
    if (r) {
        backoff_ = std::chrono::milliseconds(0);
        return;
    }
    if (r.err().code == errc::stopped) return;  // stopping: nothing to wait for
    backoff_ =
        backoff_.count() == 0 ? options_.retry_first : std::min(backoff_ * 2, options_.retry_max);
    next_try_ = std::chrono::steady_clock::now() + backoff_;
    std::fprintf(stderr, "uurwerk: mail waits %lld ms: %s\n",
                 static_cast<long long>(backoff_.count()), r.err().message.c_str());
}

result<void> mailer::run_once() {
    std::lock_guard lock(run_mutex_);
    for (std::uint32_t p = 0; p < node_.partitions(); ++p)
        if (options_.share.owns(partition_id{p}))
            if (auto r = run_partition(partition_id{p}); !r) return r;
    if (auto r = send_invitations(); !r) return r;
    return send_due_digests();
}

result<void> mailer::queue_invitation(community_id c, const event_id& invitation,
                                      const invitation_code& code, const std::string& address,
                                      mail_language l) {
    std::string v(1, static_cast<char>(l));
    v.append(reinterpret_cast<const char*>(code.data()), code.size());
    v += address;
    return store_->put({{invitation_key(c, invitation), v}});
}

result<void> mailer::send_invitations() {
    struct queued {
        std::string key;
        community_id community;
        event_id id;
        mail_language language;
        invitation_code code;
        std::string address;
    };
    std::vector<queued> waiting;
    auto scanned = store_->scan("i", [&](std::string_view k, std::string_view v) {
        if (k.size() != invitation_key_bytes || v.size() < 1 + invitation_code_bytes) return true;
        queued q{std::string(k), community_id{get_be64(k, 1)}, {}, mail_language::nl, {}, {}};
        std::memcpy(q.id.b.data(), k.data() + 9, q.id.b.size());
        q.language =
            v[0] == static_cast<char>(mail_language::en) ? mail_language::en : mail_language::nl;
        std::memcpy(q.code.data(), v.data() + 1, q.code.size());
        q.address = std::string(v.substr(1 + invitation_code_bytes));
        waiting.push_back(std::move(q));
        return true;
    });
    if (!scanned) return scanned;
    const time_ms now = options_.clock();
    for (const auto& q : waiting) {
        if (!options_.share.owns(node_.partition_of(q.community))) continue;
        const projector& folder = node_.folder(node_.partition_of(q.community));
        auto inv = query::invitation(folder, q.community, q.id, q.code);
        auto community = query::community(folder, q.community);
        if (!inv || !inv->open_at(now) || !community || !sendable_address(q.address)) {
            ++not_sent_;
            if (auto w = store_->put({}, {q.key}); !w) return w;
            continue;
        }
        const std::string link = options_.app_url + "/#join/" + std::to_string(q.community.value) +
                                 "/" + q.id.hex() + "/" +
                                 to_hex(byte_view(q.code.data(), q.code.size()));
        const mail_text text = compose_invitation(q.language, community->name, link);
        const std::string id =
            "invitation." + std::to_string(q.community.value) + "." + q.id.hex() + "@" + domain_;
        if (auto s = deliver(q.address, id, q.language, "", text); !s) return s;
        if (auto w = store_->put({}, {q.key}); !w) return w;
    }
    return ok_value;
}

result<void> mailer::run_partition(partition_id p) {
    auto cursor_value = store_->get(cursor_key(p));
    if (!cursor_value) return cursor_value.err();
    offset cursor{*cursor_value && (*cursor_value)->size() == 8 ? get_be64(**cursor_value, 0) : 0};
    // Batches of mail_round_items_max from the cursor, until the outbox is read to its end (at
    // most mail_round_batches_max of them: the digests and the other partitions get their turn).
    for (std::size_t batch = 0; batch < mail_round_batches_max; ++batch) {
        std::vector<std::pair<std::string, outbox_item>> items;
        auto scanned = node_.projections(p).scan(
            column::outbox, "", outbox_key_from(cursor),
            [&](std::string_view k, std::string_view v) {
                auto item = decode_outbox_item(k, v);
                if (!item) {
                    std::fprintf(stderr, "uurwerk: mail: an outbox item that does not decode\n");
                    return true;
                }
                items.emplace_back(std::string(k), *item);
                return items.size() < mail_round_items_max;
            });
        if (!scanned) return scanned;
        for (const auto& [key, item] : items)
            if (auto r = handle(p, item, key); !r) {
                if (auto w = flush_pending(); !w) return w;
                return r;
            }
        if (auto w = flush_pending(); !w) return w;
        if (items.size() < mail_round_items_max || items.back().second.at == cursor)
            return ok_value;
        cursor = items.back().second.at;
    }
    return ok_value;
}

result<void> mailer::flush_pending() {
    if (pending_.empty()) return ok_value;
    auto w = store_->put(pending_);
    pending_.clear();
    return w;
}

result<void> mailer::handle(partition_id p, const outbox_item& item, const std::string& key) {
    const std::string done = done_key(p, key);
    auto known = store_->get(done);
    if (!known) return known.err();
    const time_ms now = options_.clock();
    const std::pair<std::string, std::string> cursor{cursor_key(p), be64(item.at.value)};
    // What ends without a send is recorded with the next write (one sync for many items).
    if (*known) {
        pending_.push_back(cursor);
        return ok_value;
    }
    auto record = [&](outcome o) -> result<void> {
        pending_.emplace_back(done, done_value(o, now));
        pending_.push_back(cursor);
        return ok_value;
    };
    const projector& folder = node_.folder(p);
    auto row = query::member(folder, item.community, item.recipient);
    if (!row || row->left) {
        ++not_sent_;
        return record(outcome::not_sent);
    }
    auto f = frequency(item.community, item.recipient);
    if (!f) return f.err();
    if (*f == mail_frequency::never) {
        ++not_sent_;
        return record(outcome::not_sent);
    }
    auto profile = profile_of(node_, item.community, *row);
    if (!profile) return profile.err();
    if (!*profile || !sendable_address((*profile)->email)) {
        ++not_sent_;
        return record(outcome::not_sent);
    }
    if (*f != mail_frequency::at_once) {
        // Held for the digest: kept under the member, sent when their period has passed.
        pending_.emplace_back(done, done_value(outcome::held, now));
        pending_.push_back(cursor);
        pending_.emplace_back(held_prefix(item.community, item.recipient) + be32(p.value) + key,
                              outbox_value(item));
        ++held_;
        return ok_value;
    }
    // What the message says, as the access rules stand now.
    mail_facts facts;
    facts.purpose = item.purpose;
    facts.language = language_of(*profile);
    facts.recipient_name = (*profile)->name;
    facts.app_url = options_.app_url;
    facts.unsubscribe_url = unsubscribe_url(item.community, item.recipient);
    auto name_of = [&](member_id m) -> std::string {
        auto r = query::member(folder, item.community, m);
        if (!r || r->left) return {};
        auto pr = profile_of(node_, item.community, *r);
        return pr && *pr ? (*pr)->name : std::string();
    };
    if (item.about != item.recipient) facts.for_name = name_of(item.about);
    facts.other_name = name_of(item.other);
    if (item.purpose == mail_purpose::match_accepted) {
        auto may = query::matched(folder, item.community, item.about, item.other, now);
        if (may && *may) {
            auto r = query::member(folder, item.community, item.other);
            if (r && !r->left)
                if (auto pr = profile_of(node_, item.community, *r); pr && *pr)
                    facts.other_contact = **pr;
        }
    }
    const mail_text text = compose(facts);
    ++decided_;
    if (options_.crash_before_send && decided_ == *options_.crash_before_send) {
        std::fprintf(stderr, "uurwerk: mail: killed before sending message %llu (drill)\n",
                     static_cast<unsigned long long>(decided_));
        ::raise(SIGKILL);
    }
    const std::string message_id =
        "p" + std::to_string(p.value) + "." +
        to_hex(byte_view(reinterpret_cast<const std::uint8_t*>(key.data()), key.size())) + "@" +
        domain_;
    // What waits to be recorded is written before the send, and the send's record after it.
    if (auto w = flush_pending(); !w) return w;
    if (auto s =
            deliver((*profile)->email, message_id, facts.language, facts.unsubscribe_url, text);
        !s) {
        if (s.err().code != errc::server_refused) return s;  // the relay is away: all wait
        // The relay's final no for this message: said, recorded, and the rest goes on (one
        // address it refuses must not hold up everyone's mail).
        std::fprintf(stderr, "uurwerk: mail: not sent (refused): %s\n", s.err().message.c_str());
        ++not_sent_;
        return store_->put({{done, done_value(outcome::not_sent, now)}, cursor});
    }
    return store_->put({{done, done_value(outcome::sent, now)}, cursor});
}

result<void> mailer::deliver(const std::string& to, const std::string& message_id, mail_language l,
                             const std::string& unsubscribe, const mail_text& t) {
    mail_envelope e{options_.from, to, message_id, rfc5322_date(options_.clock()), l, unsubscribe};
    auto s = transport_->send(options_.from, to, rfc5322(e, t));
    if (!s) {
        ++failures_;
        return s;
    }
    ++sent_;
    return ok_value;
}

result<void> mailer::send_due_digests() {
    // Who may be due: every member with held items ("q" community member partition key) and
    // every member who chose daily or weekly ("f" community member).
    std::set<std::pair<community_id, member_id>> readers;
    auto held_scan = store_->scan("q", [&](std::string_view k, std::string_view) {
        if (k.size() == held_key_bytes)
            readers.emplace(community_id{get_be64(k, 1)}, member_id{get_be64(k, 9)});
        return true;
    });
    if (!held_scan) return held_scan;
    auto choice_scan = store_->scan("f", [&](std::string_view k, std::string_view v) {
        if (k.size() == 17 && v.size() == 1 &&
            (v[0] == static_cast<char>(mail_frequency::daily) ||
             v[0] == static_cast<char>(mail_frequency::weekly)))
            readers.emplace(community_id{get_be64(k, 1)}, member_id{get_be64(k, 9)});
        return true;
    });
    if (!choice_scan) return choice_scan;
    const time_ms now = options_.clock();
    // The due ones, each with how much it was heard (exposure per relevance, as the fairness
    // layer keeps it): the least heard get theirs first.
    struct due_reader {
        community_id community;
        member_id member;
        mail_frequency f;
        double heard = 0;
    };
    std::vector<due_reader> due;
    for (const auto& [c, m] : readers) {
        if (!options_.share.owns(node_.partition_of(c))) continue;  // another node's
        auto f = frequency(c, m);
        if (!f) return f.err();
        if (*f == mail_frequency::at_once || *f == mail_frequency::never) {
            due.push_back({c, m, *f});
            continue;
        }
        auto last = store_->get(last_digest_key(c, m));
        if (!last) return last.err();
        if (!*last || (*last)->size() != 8) {
            // The period counts from the first time the sender sees the choice.
            if (auto w = store_->put(
                    {{last_digest_key(c, m), be64(static_cast<std::uint64_t>(now.value))}});
                !w)
                return w;
            continue;
        }
        const auto since = static_cast<std::int64_t>(get_be64(**last, 0));
        if (now.value - since < period_of(*f).count()) continue;
        due.push_back({c, m, *f});
    }
    for (auto& d : due)
        d.heard = node_.folder(node_.partition_of(d.community))
                      .read_state([&](const ledger_state&, const matching_state& ms) {
                          const auto c = ms.communities.find(d.community);
                          if (c == ms.communities.end()) return 0.0;
                          const auto e = c->second.exposure.find(d.member);
                          if (e == c->second.exposure.end()) return 0.0;
                          // Heard without being owed any relevance yet: after every helper
                          // who was owed some.
                          if (e->second.relevance_sum <= 0)
                              return e->second.exposure_sum > 0 ? 1e18 : 0.0;
                          return e->second.exposure_sum / e->second.relevance_sum;
                      });
    std::stable_sort(due.begin(), due.end(),
                     [](const due_reader& a, const due_reader& b) { return a.heard < b.heard; });
    for (const auto& d : due)
        if (auto r = send_digest(d.community, d.member, d.f, now); !r) return r;
    return ok_value;
}

result<void> mailer::send_digest(community_id c, member_id m, mail_frequency f, time_ms now) {
    std::vector<std::string> keys;
    std::vector<outbox_item> items;
    auto held = store_->scan(held_prefix(c, m), [&](std::string_view k, std::string_view v) {
        keys.emplace_back(k);
        if (k.size() == held_key_bytes)
            if (auto item = decode_outbox_item(k.substr(held_key_bytes - outbox_key_bytes), v))
                items.push_back(*item);
        return true;
    });
    if (!held) return held;
    const projector& folder = node_.folder(node_.partition_of(c));
    std::optional<member_profile> profile;
    auto row = query::member(folder, c, m);
    if (row && !row->left) {
        auto pr = profile_of(node_, c, *row);
        if (!pr) return pr.err();
        profile = std::move(*pr);
    }
    const std::pair<std::string, std::string> stamp{last_digest_key(c, m),
                                                    be64(static_cast<std::uint64_t>(now.value))};
    if (f == mail_frequency::never || !profile || !sendable_address(profile->email)) {
        not_sent_ += keys.size();
        return store_->put({stamp}, keys);
    }
    // The open requests that fit the member's offers (a reader who chose at_once since the
    // items were held gets only those).
    std::vector<std::string> fitting;
    if (f != mail_frequency::at_once) {
        auto page = query::requests_for(folder, c, m, digest_requests_max);
        if (!page) return page.err();
        std::vector<event_id> ids;
        for (const auto& p : page->posts) ids.push_back(p.id);
        auto posts = query::posts(folder, c, ids);
        if (!posts) return posts.err();
        for (const auto& [id, post] : *posts)
            fitting.push_back(std::string(category_name(post.what)) +
                              (post.area.empty() ? std::string() : ", " + post.area));
    }
    if (items.empty() && fitting.empty()) return store_->put({stamp});  // nothing to say
    const mail_language l = language_of(profile);
    std::vector<mail_text> lines;
    for (const auto& item : items) {
        mail_facts facts;
        facts.purpose = item.purpose;
        facts.language = l;
        lines.push_back(compose(facts));
    }
    const std::string unsubscribe = unsubscribe_url(c, m);
    const mail_text text =
        compose_digest(l, profile->name, lines, fitting, options_.app_url, unsubscribe);
    auto last = store_->get(last_digest_key(c, m));
    if (!last) return last.err();
    const std::string id =
        "digest." + std::to_string(c.value) + "." + std::to_string(m.value) + "." +
        (*last && (*last)->size() == 8 ? std::to_string(get_be64(**last, 0)) : std::string("0")) +
        "@" + domain_;
    if (auto s = deliver(profile->email, id, l, unsubscribe, text); !s) return s;
    return store_->put({stamp}, keys);
}

result<mail_frequency> mailer::frequency(community_id c, member_id m) const {
    auto v = store_->get(frequency_key(c, m));
    if (!v) return v.err();
    if (!*v || (*v)->size() != 1) return mail_frequency::at_once;
    const auto f = static_cast<std::uint8_t>((**v)[0]);
    if (f > static_cast<std::uint8_t>(mail_frequency::never)) return mail_frequency::at_once;
    return static_cast<mail_frequency>(f);
}

result<void> mailer::set_frequency(community_id c, member_id m, mail_frequency f) {
    return store_->put({{frequency_key(c, m), std::string(1, static_cast<char>(f))}});
}

std::string mailer::unsubscribe_token(community_id c, member_id m) const {
    const std::string message = "uurwerk/unsubscribe/v1" + member_part(c, m);
    const digest d = hmac_sha256(
        byte_view(reinterpret_cast<const std::uint8_t*>(secret_.data()), secret_.size()),
        byte_view(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()));
    return d.hex();
}

bool mailer::token_matches(community_id c, member_id m, std::string_view token) const {
    const std::string want = unsubscribe_token(c, m);
    if (token.size() != want.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        diff |= static_cast<unsigned char>(want[i] ^ token[i]);
    return diff == 0;
}

std::string mailer::unsubscribe_url(community_id c, member_id m) const {
    return options_.app_url + "/v1/mail/unsubscribe?community=" + std::to_string(c.value) +
           "&member=" + std::to_string(m.value) + "&token=" + unsubscribe_token(c, m);
}

mailer_stats mailer::stats() const {
    return {sent_.load(), held_.load(), not_sent_.load(), failures_.load()};
}

}  // namespace uurwerk
