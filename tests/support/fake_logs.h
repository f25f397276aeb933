#pragma once
// Test support: event logs that misbehave on purpose, wrapping a LocalLog: one whose appends fail
// for a while (flaky_log), one whose reader lags behind its writers (lagging_log).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "ledger/log/local_log.h"

namespace uurwerk::testing {

// A LocalLog whose next `failures` appends fail (as a broker that is briefly away would),
// then recover.
class flaky_log final : public event_log {
public:
    flaky_log(std::unique_ptr<local_log> inner, int failures)
        : inner_(std::move(inner)), failures_(failures) {}

    result<void> append_async(bytes payload, append_callback done) override {
        if (failures_.fetch_sub(1) > 0) {
            done(make_error(errc::log_unavailable, "injected: the log is away"));
            return ok_value;
        }
        return inner_->append_async(std::move(payload), std::move(done));
    }
    result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                         std::chrono::milliseconds wait) override {
        return inner_->read(from, records_max, wait);
    }
    offset end() const override { return inner_->end(); }

private:
    std::unique_ptr<local_log> inner_;
    std::atomic<int> failures_;
};

// A LocalLog that another node also writes to (append_elsewhere), read by this node's projector
// only once `release()` is called: the projection lags the log, as a cluster node's may.
class lagging_log final : public event_log {
public:
    explicit lagging_log(std::unique_ptr<local_log> inner) : inner_(std::move(inner)) {}

    result<void> append_async(bytes payload, append_callback done) override {
        return inner_->append_async(std::move(payload), std::move(done));
    }
    result<std::vector<log_record>> read(offset from, std::size_t records_max,
                                         std::chrono::milliseconds wait) override {
        if (held_.load()) {
            std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(5)));
            return std::vector<log_record>{};
        }
        return inner_->read(from, records_max, wait);
    }
    offset end() const override { return inner_->end(); }

    result<offset> append_elsewhere(bytes payload) { return inner_->append(std::move(payload)); }
    void release() { held_.store(false); }

private:
    std::unique_ptr<local_log> inner_;
    std::atomic<bool> held_{true};
};

}  // namespace uurwerk::testing
