#include "api/node/interval_thread.h"

#include "ledger/core/base.h"

namespace uurwerk {

interval_thread::interval_thread(std::string name, std::chrono::milliseconds interval,
                                 std::function<void()> run)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)) {}

interval_thread::~interval_thread() {
    stop();
}

void interval_thread::start() {
    if (interval_.count() <= 0 || thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] {
        name_this_thread(name_.c_str());
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                if (cv_.wait_for(lock, interval_, [&] { return stopping_; })) return;
            }
            run_();
        }
    });
}

void interval_thread::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace uurwerk
