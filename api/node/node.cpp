#include "api/node/node.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>

#include "ledger/core/retention.h"
#include "ledger/log/local_log.h"

namespace uurwerk {

log_clock wall_clock() {
    return [] {
        return time_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()};
    };
}

result<std::unique_ptr<store>> open_checked_store(const std::filesystem::path& dir) {
    auto db = store::open(dir);
    if (db) {
        auto verified = (*db)->verify_checksums();
        if (verified) return db;
        db = verified.err();
    }
    if (db.err().code != errc::store_corrupt) return db.err();
    const std::string data = dir.parent_path().string();
    return make_error(
        errc::store_corrupt,
        "the projection store in " + dir.string() + " is damaged: " + db.err().message +
            ". The log is the truth and was not touched, so the store can be rebuilt from it: "
            "with the node stopped, run 'uurwerk rebuild --data " +
            data +
            "' (it folds the whole log into a new store beside the old one and swaps it in), "
            "then start the node again. On Kafka, move " +
            dir.string() +
            " aside instead: the node folds the topic again when it starts. Keep the damaged "
            "folder for inspection (the disk may be failing).");
}

std::filesystem::path store_dir_of(const std::filesystem::path& store_dir, partition_id p) {
    if (p.value == 0) return store_dir;
    auto dir = store_dir;
    dir += "-" + std::to_string(p.value);
    return dir;
}

namespace {

// What a data folder's stores were folded from, in cluster mode: `DIR/cluster`, two lines,
// "topic NAME" and "partitions N", written once a node has opened there. Each store holds the
// state of one partition of one topic; folded from another, it would be silently wrong.
constexpr const char* cluster_file = "cluster";

std::string cluster_text(const kafka_log_options& k) {
    return "topic " + k.topic + "\npartitions " + std::to_string(k.partitions_total) + "\n";
}

result<void> check_cluster(const std::filesystem::path& data_dir, const kafka_log_options& k) {
    std::ifstream in(data_dir / cluster_file);
    if (in) {
        const std::string was((std::istreambuf_iterator<char>(in)), {});
        if (was == cluster_text(k)) return ok_value;
        auto one_line = [](std::string t) {
            std::replace(t.begin(), t.end(), '\n', ' ');
            return t.substr(0, t.find_last_not_of(' ') + 1);
        };
        return make_error(errc::data_mismatch,
                          (data_dir / cluster_file).string() +
                              " says this data folder was folded from " + one_line(was) +
                              ", but the node is started on " + one_line(cluster_text(k)) +
                              ": start it with those, or give it an empty --data to rebuild from "
                              "the topic");
    }
    if (std::filesystem::exists(data_dir / "log"))
        return make_error(errc::data_mismatch,
                          data_dir.string() +
                              " holds an embedded log: a node on Kafka needs a "
                              "data folder of its own (an empty --data)");
    return ok_value;
}

result<void> record_cluster(const std::filesystem::path& data_dir, const kafka_log_options& k) {
    const auto path = data_dir / cluster_file;
    if (std::filesystem::exists(path)) return ok_value;
    std::ofstream out(path, std::ios::trunc);
    out << cluster_text(k);
    out.flush();
    if (!out) return make_error(errc::io_error, "cannot write " + path.string());
    return ok_value;
}

}  // namespace

result<std::unique_ptr<node>> node::open(const node_options& options) {
    if (options.kafka) {
        if (auto same = check_cluster(options.data_dir, *options.kafka); !same) return same.err();
        // One producer for every partition (kafka_log.h): one set of broker connections and
        // threads, not one per partition.
        auto producer = kafka_producer::open(*options.kafka);
        if (!producer) return producer.err();
        std::vector<std::unique_ptr<event_log>> logs;
        for (std::uint32_t p = 0; p < options.kafka->partitions_total; ++p) {
            auto o = *options.kafka;
            o.partition = partition_id{p};
            auto log = kafka_log::open(o, *producer);
            if (!log) return log.err();
            logs.push_back(std::move(*log));
        }
        // The personal-data store's topic beside the event topic (node.h).
        kafka_table_options to;
        to.bootstrap_servers = options.kafka->bootstrap_servers;
        to.topic = options.kafka->topic + "-personal";
        to.partitions_total = options.kafka->partitions_total;
        to.replication_factor = options.kafka->replication_factor;
        to.min_insync_replicas = options.kafka->min_insync_replicas;
        to.compaction = options.personal_compaction;
        to.delivery_timeout = options.kafka->delivery_timeout;
        to.open_timeout = options.kafka->open_timeout;
        to.client_id = options.kafka->client_id;
        to.security = options.kafka->security;
        auto table = kafka_table::open(to);
        if (!table) return table.err();
        auto n = open_with_logs(std::move(logs), options.data_dir / "store", options.apply_timeout,
                                options.catch_up_progress, std::move(*table));
        if (!n) return n.err();
        (*n)->founding_gate_ = options.founding_gate;
        if (options.clock) (*n)->clock_ = options.clock;
        if (auto recorded = record_cluster(options.data_dir, *options.kafka); !recorded)
            return recorded.err();
        if (auto started = (*n)->start_retention(options); !started) return started.err();
        return n;
    }
    local_log_options lo;
    lo.dir = options.data_dir / "log";
    lo.clock = options.clock;
    // Texts are kept in memory and written, synced, by the log's writer before each group's
    // records are written: one write and one sync of the personal-data store per group, not one per
    // text on the submitting thread (a synced write each kept ingest with texts at 0.1 to 0.4 of
    // the verify rate; an unsynced write each cost some 7 us of an event's CPU besides verifying).
    auto texts = std::make_shared<std::atomic<personal_store*>>(nullptr);
    lo.before_sync = [texts]() -> result<void> {
        auto* store = texts->load(std::memory_order_acquire);
        return store != nullptr ? store->sync_pending() : ok_value;
    };
    auto log = local_log::open(lo);
    if (!log) return log.err();
    auto n = open_with_log(std::move(*log), options.data_dir / "store", options.apply_timeout,
                           options.catch_up_progress);
    if (!n) return n.err();
    texts->store((*n)->personal_.get(), std::memory_order_release);
    if (auto swept = (*n)->delete_orphan_texts(options.data_dir); !swept) return swept.err();
    (*n)->text_durability_ = text_durability::at_next_sync;
    (*n)->founding_gate_ = options.founding_gate;
    if (options.clock) (*n)->clock_ = options.clock;
    if (auto started = (*n)->start_retention(options); !started) return started.err();
    return n;
}

result<std::unique_ptr<node>> node::open_with_log(
    std::unique_ptr<event_log> log, const std::filesystem::path& store_dir,
    std::chrono::milliseconds apply_timeout,
    const std::function<void(offset, offset)>& catch_up_progress) {
    std::vector<std::unique_ptr<event_log>> logs;
    logs.push_back(std::move(log));
    return open_with_logs(std::move(logs), store_dir, apply_timeout, catch_up_progress);
}

result<std::unique_ptr<node>> node::open_with_logs(
    std::vector<std::unique_ptr<event_log>> logs, const std::filesystem::path& store_dir,
    std::chrono::milliseconds apply_timeout,
    const std::function<void(offset, offset)>& catch_up_progress,
    std::unique_ptr<kafka_table> personal_topic) {
    UURWERK_ASSERT(!logs.empty());
    auto n = std::unique_ptr<node>(new node());
    n->apply_timeout_ = apply_timeout;
    auto personal = personal_store::open(store_dir.parent_path() / "personal");
    if (!personal) return personal.err();
    n->personal_ = std::move(*personal);
    if (personal_topic) {
        // Set before anything writes to the store: the erasures at open send their tombstones.
        n->personal_topic_ = std::move(personal_topic);
        n->personal_->replicate_to([topic = n->personal_topic_.get()](
                                       community_id c, std::span<const personal_item> items) {
            const partition_id p = uurwerk::partition_of(c, topic->partitions());
            std::vector<table_write> writes;
            writes.reserve(items.size());
            for (const auto& item : items) writes.push_back({p, item.key, item.value});
            return topic->write(writes);
        });
    }
    n->parts_.resize(logs.size());
    // Every partition is opened and caught up before any projector thread starts; the
    // progress sums the partitions (those done count with their whole log).
    std::uint64_t end_total = 0;
    for (const auto& log : logs) end_total += log->end().value;
    std::uint64_t done_before = 0;
    for (std::uint32_t p = 0; p < logs.size(); ++p) {
        auto& part = n->parts_[p];
        part.log = std::move(logs[p]);
        auto db = open_checked_store(store_dir_of(store_dir, partition_id{p}));
        if (!db) return db.err();
        part.db = std::move(*db);
        projector_options po;
        po.log_name = "partition " + std::to_string(p);
        auto folder = projector::open(*part.log, *part.db, n->keys_, po);
        if (!folder) return folder.err();
        part.folder = std::move(*folder);
        // Records appended but not yet applied before a stop are folded now; their signatures
        // are verified again (the cache is empty after a restart).
        auto last = std::chrono::steady_clock::now();
        if (catch_up_progress) {
            part.folder->set_applied_hook(
                [&, done_before](const std::vector<applied_record>& recs) {
                    auto now = std::chrono::steady_clock::now();
                    if (now - last < std::chrono::seconds(1)) return;
                    last = now;
                    catch_up_progress(offset{done_before + recs.back().at.value + 1},
                                      offset{end_total});
                });
        }
        auto caught = part.folder->catch_up();
        part.folder->set_applied_hook({});  // the hook's captures end here
        if (!caught) return caught.err();
        done_before += part.folder->applied().value;
        // Members who left: their personal data is erased (again: it is idempotent, and a
        // node stopped between a memberLeft and its erasure does it now), then at every
        // memberLeft the projector applies.
        if (auto erased = n->erase_left_members(*part.folder); !erased) return erased.err();
        part.folder->set_applied_hook([store = n->personal_.get()](
                                          const std::vector<applied_record>& records) {
            std::vector<personal_store::unkept_text> unkept;
            for (const auto& r : records)
                if (r.unkept)
                    unkept.push_back(
                        {{r.id.community, r.id.id, r.unkept->commitment}, r.unkept->concerned});
            if (!unkept.empty())
                if (auto deleted = store->delete_unkept(unkept); !deleted)
                    std::cerr << "uurwerk: the texts of " << unkept.size()
                              << " rejected events could not be deleted: " << deleted.err().message
                              << "\n";
            for (const auto& r : records) {
                if (r.replaced) {
                    const auto& old = *r.replaced;
                    if (auto erased =
                            store->erase_text(r.id.community, old.member, old.id, old.commitment);
                        !erased)
                        std::cerr << "uurwerk: the replaced profile of member " << old.member.value
                                  << " of community " << r.id.community.value
                                  << " could not be erased: " << erased.err().message << "\n";
                }
                if (!r.left) continue;
                if (auto erased = store->erase_member(r.id.community, *r.left); !erased)
                    std::cerr << "uurwerk: the personal data of member " << r.left->value
                              << " of community " << r.id.community.value
                              << " could not be erased now (it will be when the node starts "
                                 "again): "
                              << erased.err().message << "\n";
            }
        });
    }
    // The member feed remembers every notice from each partition's applied offset on; the
    // projectors publish into it from their writer threads.
    std::vector<offset> applied;
    for (const auto& part : n->parts_) applied.push_back(part.folder->applied());
    n->feed_ = std::make_unique<member_feed>(std::move(applied));
    for (std::uint32_t p = 0; p < n->parts_.size(); ++p)
        n->parts_[p].folder->set_notice_hook(
            [feed = n->feed_.get(), p](offset from, offset next,
                                       const std::vector<member_notice>& notices) {
                feed->publish(partition_id{p}, from, next, notices);
            });
    for (auto& part : n->parts_) part.folder->start();
    if (n->personal_topic_) {
        auto from = n->personal_->replicated_positions(n->personal_topic_->partitions());
        if (!from) return from.err();
        if (auto started = n->personal_topic_->start(*from); !started) return started.err();
        n->personal_reader_ = std::thread([raw = n.get()] { raw->follow_personal_topic(); });
    }
    return n;
}

node::~node() {
    if (retention_ticker_) retention_ticker_->stop();  // it reads the state and the store
    closing_.store(true);
    if (personal_reader_.joinable()) personal_reader_.join();
    for (auto& part : parts_)
        if (part.folder) part.folder->stop();
    // The projectors go before the personal-data store: each one's store-writer thread runs the
    // applied hook, which deletes and erases texts in personal_, until the projector is
    // destroyed (stop() ends only its apply thread). ThreadSanitizer found the store destroyed
    // under a running hook.
    parts_.clear();
}

void node::follow_personal_topic() {
    name_this_thread("uw-personal");
    constexpr std::size_t batch_max = 512;
    constexpr auto wait = std::chrono::milliseconds(200);
    bool unavailable = false;  // said once per spell
    while (!closing_.load()) {
        auto got = personal_topic_->poll(batch_max, wait);
        if (!got) {
            if (!unavailable)
                std::cerr << "uurwerk: reading the personal-data topic: " << got.err().message
                          << " (trying again)\n";
            unavailable = true;
            std::this_thread::sleep_for(std::chrono::seconds(1));
            continue;
        }
        unavailable = false;
        if (got->empty()) continue;
        std::vector<personal_item> items;
        items.reserve(got->size());
        for (const auto& r : *got) items.push_back({r.key, r.value});
        const auto positions = personal_topic_->positions();
        auto applied = personal_->apply_replicated(items, positions);
        if (!applied) {
            // Not applied, so not passed: a restart reads them again from the stored positions.
            std::cerr << "uurwerk: the personal-data store cannot take what the topic holds ("
                      << applied.err().message
                      << "); replication stops until the node is restarted\n";
            return;
        }
        for (const auto& r : applied->refused) {
            const auto& record = (*got)[r.index];
            std::cerr << "uurwerk: refused record " << record.at.value << " of partition "
                      << record.partition.value << " of the personal-data topic: " << r.why << "\n";
        }
        personal_refused_.fetch_add(applied->refused.size());
    }
}

result<submit_outcome> node::submit(byte_view stored) {
    // Bounded before it is copied; read() bounds it too.
    if (stored.size() > envelope_bytes_max)
        return make_error(errc::event_too_large, "a signed event is at most " +
                                                     std::to_string(envelope_bytes_max) + " bytes");
    auto e = stored_envelope::read(bytes(stored.begin(), stored.end()));
    if (!e) return e.err();
    return submit(std::move(*e));
}

void node::submit_async(byte_view stored, submit_callback done) {
    UURWERK_ASSERT(done != nullptr);
    if (stored.size() > envelope_bytes_max)
        return done(make_error(
            errc::event_too_large,
            "a signed event is at most " + std::to_string(envelope_bytes_max) + " bytes"));
    auto e = stored_envelope::read(bytes(stored.begin(), stored.end()));
    if (!e) return done(e.err());
    submit_async(std::move(*e), std::move(done));
}

void node::submit_async(stored_envelope e, submit_callback done) {
    submit_async(std::move(e), std::nullopt, std::move(done));
}

void node::submit_async(stored_envelope e, std::optional<personal_text> personal,
                        submit_callback done) {
    UURWERK_ASSERT(done != nullptr);
    auto admitted = admit(std::move(e), std::move(personal));
    if (auto* answer = std::get_if<result<submit_outcome>>(&admitted))
        return done(std::move(*answer));
    auto& a = std::get<admitted_event>(admitted);
    const partition_id partition = a.partition;
    const scoped_id id = a.id;
    auto ticket = enqueue(a, [this, partition, id, done](result<applied_record> r) {
        if (!r) return done(r.err());
        done(outcome_of(partition, id, *r));
    });
    if (!ticket) done(ticket.err());
}

std::variant<result<submit_outcome>, node::admitted_event> node::admit(
    stored_envelope e, std::optional<personal_text> personal) {
    if (e.stored().size() > envelope_bytes_max)
        return make_error(errc::event_too_large,
                          "a signed event is at most " + std::to_string(envelope_bytes_max) +
                              " bytes; this one is " + std::to_string(e.stored().size()));
    auto decoded = read_event(std::move(e));
    if (!decoded) return decoded.err();
    const event_body& body = decoded->body();
    // The text beside the event must be the one its body commits to (cheap: before verifying).
    if (auto agrees = check_personal(body, personal); !agrees) return agrees.err();
    const partition_id partition = partition_of(body.community);
    // The log may hold its next sync for this event while it is verified and checked against
    // the state (group commit); an event refused here ends the intent as it goes.
    auto coming = part(partition).log->announce_append();
    auto verified = verified_event::verify(std::move(*decoded), keys_);
    if (!verified) return verified.err();
    auto ev = std::make_shared<const verified_event>(std::move(*verified));
    const event_body& b = ev->body();

    // Answer a known event with its first verdict, and refuse before the log what the
    // projection plainly cannot accept: one look at the state, under one shared lock
    // (projections/query.h: before_the_log).
    auto& folder = *part(partition).folder;
    const bool founding = b.kind() == event_kind::community_founded;
    // Founding needs the operator's consent (api/node/founders.h): nobody else can open a community
    // of their own and write to the log without limit.
    if (founding && founding_gate_)
        if (auto allowed = founding_gate_(ev->signer()); !allowed) return allowed.err();
    const scoped_id id{b.community, b.id};
    // Answer a known event with its first verdict; refuse what the fold would refuse for its
    // signer alone.
    auto look = [&]() -> std::optional<result<submit_outcome>> {
        auto seen = query::before_the_log(folder, id, ev->body_digest(), ev->signer(), b, clock_());
        if (!seen) return seen.err();
        if (!*seen) return std::nullopt;
        return submit_outcome{b.id, partition, (*seen)->at, (*seen)->first, true};
    };
    auto early = look();
    if (early && !*early) {
        // This node's projection may lag the log: in a cluster another node may have taken the
        // write that founded the community or registered the key a moment ago. Refuse only
        // after catching up with the log as it stands now (bounded by the apply timeout).
        // Waiting here, the event is not on its way to the log: a sync need not wait for it.
        coming.release();
        if (catch_up_with_log(b.community, apply_timeout_)) early = look();
    }
    if (early) return std::move(*early);
    // The text is durable before the event that commits to it is: synced now, or (the embedded
    // log) written and synced by the log's writer before the fdatasync of the event's group
    // (node::open).
    if (personal) {
        const auto concerned = members_concerned(b);
        if (auto kept = personal_->put(b.community, b.id, *text_commitment_of(b), *personal,
                                       concerned, text_durability_);
            !kept)
            return kept.err();
    }
    return admitted_event{id, partition, std::move(ev), std::move(coming)};
}

result<std::shared_ptr<verdict_ticket>> node::enqueue(admitted_event& a,
                                                      verdict_ticket::callback done) {
    // The ticket, which hands the projector the event as verified, is registered before the
    // append, so that the projector, which completes it when it has committed the record
    // (durable before it could be read), cannot miss it.
    auto ticket = part(a.partition).folder->expect(a.event, std::move(done));
    // A failed append completes no record, so its ticket is taken back before it is answered:
    // a later submit of the same event must not find it first and wait in vain.
    // Queued or refused, the append is no longer on its way: the log ends its intent with it.
    const byte_view stored = a.event->stored();
    auto queued = part(a.partition)
                      .log->append_announced(
                          bytes(stored.begin(), stored.end()),
                          [ticket](result<offset> at) {
                              if (at) return;
                              ticket->withdraw();
                              ticket->fail(at.err());
                          },
                          std::move(a.coming));
    if (!queued) {
        ticket->withdraw();
        return queued.err();
    }
    return ticket;
}

submit_outcome node::outcome_of(partition_id partition, const scoped_id& id,
                                const applied_record& rec) const {
    if (rec.decided.reason == reject_reason::duplicate_event) {
        auto first = folder(partition).seen(id);
        UURWERK_ASSERT(first.has_value(), rec.at.value);
        return submit_outcome{id.id, partition, first->at, first->first, true};
    }
    return submit_outcome{id.id, partition, rec.at, rec.decided, false};
}

result<submit_outcome> node::submit(stored_envelope e) {
    return submit(std::move(e), std::nullopt);
}

result<void> node::erase_left_members(const projector& folder) {
    std::vector<std::pair<community_id, member_id>> left;
    folder.read_state([&](const ledger_state& s) {
        for (const auto& [c, cs] : s.communities)
            for (const auto& [m, ms] : cs.members)
                if (ms.left) left.emplace_back(c, m);
    });
    for (const auto& [c, m] : left)
        if (auto erased = personal_->erase_member(c, m); !erased) return erased.err();
    return ok_value;
}

result<void> node::delete_orphan_texts(const std::filesystem::path& data_dir) {
    // Only where the log can say what it holds: not on a cluster node's folder (its texts may
    // be ahead of its topic), nor on a log with no record or with records this program skipped
    // as no event (a newer program's log: their texts would look unused).
    const auto skip = [](const std::string& why) {
        std::cerr << "uurwerk: personal data: texts without an event are not looked for: " << why
                  << "\n";
        return ok_value;
    };
    if (std::filesystem::exists(data_dir / cluster_file))
        return skip("this data folder was a cluster node's (" + (data_dir / cluster_file).string() +
                    ")");
    std::uint64_t records = 0;
    for (const auto& p : parts_) {
        records += p.folder->applied().value;
        auto skipped = p.db->skipped();
        if (!skipped) return skipped.err();
        if (*skipped > 0)
            return skip("the log holds " + std::to_string(*skipped) +
                        " records this program does not read as events");
    }
    if (records == 0) {
        auto held = personal_->count();
        if (!held) return held.err();
        if (*held > 0)
            return skip("the log is empty but " + std::to_string(*held) +
                        " texts are kept (a log folder missing?)");
        return ok_value;
    }
    const auto started = std::chrono::steady_clock::now();
    // A text is used only by an accepted event: an id first refused keeps that verdict, so no
    // event will ever commit to a text under it.
    auto swept = personal_->delete_orphans([this](community_id c, const event_id& id) {
        const auto seen = folder(partition_of(c)).seen(scoped_id{c, id});
        return seen.has_value() && seen->first.accepted();
    });
    if (!swept) return swept.err();
    if (swept->deleted + swept->index_entries_deleted == 0) return ok_value;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::cerr << "uurwerk: personal data: deleted " << swept->deleted << " of " << swept->texts
              << " texts (and " << swept->index_entries_deleted
              << " index entries) of no accepted event in the log: the node stopped, or the log "
                 "refused the append, after the text was kept and before its event was "
                 "appended, or the event was refused; nobody was told such an event was "
                 "accepted ("
              << ms << " ms; the retention sweep makes them physically gone)\n";
    return ok_value;
}

result<void> node::start_retention(const node_options& o) {
    if (!o.clock) return ok_value;
    if (auto swept = sweep_retention(o.clock()); !swept) return swept.err();
    if (o.retention_sweep_interval.count() <= 0) return ok_value;
    retention_ticker_ = std::make_unique<interval_thread>(
        "uw-retention", o.retention_sweep_interval, [this, clock = o.clock] {
            if (auto swept = sweep_retention(clock()); !swept)
                std::cerr << "uurwerk: the retention sweep failed (it runs again in "
                             "an interval): "
                          << swept.err().message << "\n";
        });
    retention_ticker_->start();
    return ok_value;
}

result<std::size_t> node::sweep_retention(time_ms now) {
    std::lock_guard serial(sweep_mutex_);
    const auto began = std::chrono::steady_clock::now();
    std::vector<text_ref> due;
    for (const auto& part : parts_) {
        auto some =
            part.folder->read_state([&](const ledger_state& s) { return texts_due(s, now); });
        due.insert(due.end(), some.begin(), some.end());
    }
    auto erased = personal_->erase_texts(due);
    if (!erased) return erased.err();
    // Rejected events' texts, deleted as they were decided, are made physically gone here.
    if (auto compacted = personal_->compact_if_owed(); !compacted) return compacted.err();
    if (*erased > 0) {
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - began);
        std::cerr << "uurwerk: deleted " << *erased << " of " << due.size()
                  << " texts due (closed posts, settled claims) past their community's retention "
                     "period, in "
                  << took.count() << " ms\n";
    }
    return erased;
}

result<std::optional<std::string>> node::personal_text_of(community_id c, const event_id& id,
                                                          const text_commitment& commitment) const {
    if (!commitment) return std::optional<std::string>();
    auto kept = personal_->get(c, id, *commitment);
    if (!kept) return kept.err();
    if (!*kept) return std::optional<std::string>();
    return std::optional<std::string>(std::move((*kept)->text));
}

result<submit_outcome> node::submit(stored_envelope e, std::optional<personal_text> personal) {
    auto admitted = admit(std::move(e), std::move(personal));
    if (auto* answer = std::get_if<result<submit_outcome>>(&admitted)) return std::move(*answer);
    auto& a = std::get<admitted_event>(admitted);
    const partition_id partition = a.partition;
    const scoped_id id = a.id;
    auto ticket = enqueue(a, {});
    if (!ticket) return ticket.err();
    auto outcome = (*ticket)->wait(apply_timeout_);
    if (!outcome) {
        (*ticket)->withdraw();
        return apply_timed_out(id);
    }
    if (!*outcome) return outcome->err();  // the append failed (enqueue took the ticket back)
    return outcome_of(partition, id, **outcome);
}

error node::apply_timed_out(const scoped_id& id) {
    return error{errc::apply_timeout,
                 "the event " + id.id.hex() +
                     " was appended but not applied in time; ask GET /v1/communities/" +
                     std::to_string(id.community.value) + "/events/" + id.id.hex() + " later"};
}

bool node::catch_up_with_log(community_id c, std::chrono::milliseconds wait) {
    auto& folder = *part(partition_of(c)).folder;
    const offset end = part(partition_of(c)).log->end();
    if (end <= folder.applied()) return true;
    return folder.wait_applied(offset{end.value - 1}, wait);
}

result<log_record> node::record_at(partition_id p, offset at) {
    // A local log answers at once; a Kafka log may have to fetch the record first (with its
    // lookup reader, which leaves the projector's position alone).
    auto records = part(p).log->lookup(at, 1, std::chrono::seconds(5));
    if (!records) return records.err();
    if (records->empty())
        return make_error(errc::not_found, "no record at offset " + std::to_string(at.value) +
                                               " of partition " + std::to_string(p.value));
    return std::move(records->front());
}

std::optional<node::found_event> node::find_event(const scoped_id& id) const {
    const partition_id p = partition_of(id.community);
    if (auto first = folder(p).seen(id)) return found_event{p, *first};
    return std::nullopt;
}

node::progress_report node::progress() const {
    progress_report out;
    for (const auto& part : parts_) {
        const partition_progress p{part.log->end(), part.folder->applied()};
        out.partitions.push_back(p);
        out.log_end_total += p.log_end.value;
        out.applied_total += p.applied.value;
        out.communities += query::community_count(*part.folder);
        if (!out.failure) out.failure = part.folder->failure();
    }
    return out;
}

std::vector<query::announced_in> node::communities_announcing(const public_key& node_key) const {
    std::vector<query::announced_in> out;
    for (const auto& part : parts_) {
        auto some = query::communities_announcing(*part.folder, node_key);
        out.insert(out.end(), some.begin(), some.end());
    }
    return out;
}

result<node::state_digests> node::state_digest() const {
    state_digests out;
    std::vector<digest> each;
    for (const auto& part : parts_) {
        // The applied offset and the digest of one snapshot, as the store gives them.
        auto d = part.db->state_digest_at();
        if (!d) return d.err();
        out.partitions.push_back({d->applied, d->state, d->skipped});
        out.applied_total += d->applied.value;
        out.skipped_total += d->skipped;
        each.push_back(d->state);
    }
    out.combined = combine_partition_digests(each);
    return out;
}

result<std::optional<member_profile>> profile_of(node& n, community_id c,
                                                 const query::member_row& m) {
    if (m.profile_event == event_id{}) return std::optional<member_profile>();
    auto text = n.personal_text_of(c, m.profile_event, m.profile_digest);
    if (!text) return text.err();
    if (!*text) return std::optional<member_profile>();  // erased
    auto p = parse_profile(**text);
    if (!p)
        return make_error(errc::store_error, "the stored profile of member " +
                                                 std::to_string(m.id.value) +
                                                 " does not parse: " + p.err().message);
    return std::optional<member_profile>(std::move(*p));
}

}  // namespace uurwerk
