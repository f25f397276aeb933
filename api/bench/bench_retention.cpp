#include "api/bench/bench_retention.h"

#include "api/bench/bench_support.h"
#include "api/node/node.h"
#include "ledger/core/crypto.h"

namespace uurwerk::cli {
namespace {

constexpr community_id bench_community{1};
constexpr std::int64_t day_ms = 24 * 60 * 60 * 1000;

// The bytes of the RocksDB folder `dir`'s data files: its SST files and write-ahead logs
// (`NNNNNN.sst`, `NNNNNN.log`), not its manifest, options and info logs.
std::uintmax_t data_size(const std::filesystem::path& dir) {
    std::uintmax_t total = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".sst" || ext == ".log")) total += e.file_size();
    }
    return total;
}

// Signs and submits events of one author, each with its text (if any), and requires acceptance.
struct author {
    node& n;
    signing_key key;
    member_id who;
    std::uint64_t seq = 0;

    result<event_id> send(event_payload p, std::optional<personal_text> text = std::nullopt) {
        const event_body b{random_event_id(), bench_community, who,         sequence{++seq},
                           time_ms{0},        std::nullopt,    std::move(p)};
        auto r = n.submit(stored_envelope::encode(key.seal(b)), std::move(text));
        if (!r) return r.err();
        if (!r->decided.accepted())
            return make_error(errc::bench_failed, "an event was rejected: " +
                                                      std::string(reason_name(r->decided.reason)));
        return b.id;
    }
    // Sends the payload `make` makes from the commitment of `text` (fresh salt).
    result<event_id> send_text(std::string text, const std::function<event_payload(digest)>& make) {
        const auto c = commit_fresh(std::move(text));
        return send(make(c.commitment), c.personal);
    }
};

}  // namespace

result<void> bench_retention(const parsed_args& a) {
    auto texts = u64_option(a, "texts", 10'000, 1, 1'000'000);
    if (!texts) return texts.err();
    scratch_dir dir("retention");
    auto now = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    node_options o;
    o.data_dir = dir.path;
    o.clock = [now] { return time_ms{now->load()}; };
    o.retention_sweep_interval = std::chrono::milliseconds(0);  // swept below, and timed
    auto opened = node::open(o);
    if (!opened) return opened.err();
    node& n = **opened;
    auto founder_key = signing_key::generate();
    auto helper_key = signing_key::generate();
    if (!founder_key || !helper_key) return make_error(errc::bench_failed, "no keys");
    author founder{n, std::move(*founder_key), member_id{1}};
    author helper{n, std::move(*helper_key), member_id{2}};
    policy p;
    p.retention_days = 1;
    p.credit_limit = minutes{1'000'000'000};  // a minute a claim, as many as --texts
    p.balance_max = minutes{1'000'000'000};
    if (auto r = founder.send(community_founded{"Retentie", p}); !r) return r.err();
    if (auto r = founder.send(member_admitted{helper.who, helper.key.public_bytes(), role::member,
                                              true, std::nullopt});
        !r)
        return r.err();

    std::cerr << "bench retention: " << *texts << " offers posted and withdrawn, " << *texts
              << " claims with a note confirmed...\n";
    for (std::uint64_t i = 0; i < *texts; ++i) {
        auto offer = helper.send_text(
            "aanbod " + std::to_string(i) + ": boodschappen, Lindelaan",
            [](digest d) -> event_payload {
                return offer_posted{{category::shopping, d, intensity::once, "3512", 0}};
            });
        if (!offer) return offer.err();
        if (auto r = helper.send(post_withdrawn{*offer}); !r) return r.err();
        auto claim = helper.send_text(
            "klus " + std::to_string(i) + " bij de buren", [&](digest d) -> event_payload {
                return hours_claimed{founder.who, minutes{1}, std::nullopt, d};
            });
        if (!claim) return claim.err();
        if (auto r = founder.send(hours_confirmed{*claim}); !r) return r.err();
    }
    auto held = n.personal().count();
    if (!held) return held.err();
    const auto personal_dir = dir.path / "personal";
    const auto bytes_before = data_size(personal_dir);

    now->store(now->load() + day_ms);
    std::cerr << "bench retention: a day later, sweeping " << *held << " texts...\n";
    auto t0 = clock_type::now();
    auto first = n.sweep_retention(time_ms{now->load()});
    const double first_ms = seconds_since(t0) * 1000;
    if (!first) return first.err();
    t0 = clock_type::now();
    auto second = n.sweep_retention(time_ms{now->load()});
    const double second_ms = seconds_since(t0) * 1000;
    if (!second) return second.err();
    auto left = n.personal().count();
    if (!left) return left.err();
    const auto bytes_after = data_size(personal_dir);
    std::cerr << "  first sweep:  " << *first << " texts deleted in " << fixed(first_ms, 1)
              << " ms\n"
              << "  second sweep: " << *second << " deleted (" << *held << " due, none left) in "
              << fixed(second_ms, 1) << " ms\n"
              << "  personal/ SST and WAL files: " << bytes_before << " bytes before, "
              << bytes_after << " after; texts left: " << *left << "\n";
    std::cout << "{\"bench\": \"retention\", \"texts_due\": " << *held
              << ", \"deleted\": " << *first << ", \"first_sweep_ms\": " << fixed(first_ms, 1)
              << ", \"second_sweep_ms\": " << fixed(second_ms, 1)
              << ", \"personal_bytes_before\": " << bytes_before
              << ", \"personal_bytes_after\": " << bytes_after << ", \"texts_left\": " << *left
              << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli
