#include "api/http/worker_pool.h"

#include "ledger/core/base.h"

namespace uurwerk {

worker_pool::worker_pool(std::size_t min, std::size_t max, std::size_t queue_max,
                         std::chrono::milliseconds idle_exit, const char* thread_name)
    : min_(min),
      max_(max),
      queue_max_(queue_max),
      idle_exit_(idle_exit),
      thread_name_(thread_name) {
    UURWERK_ASSERT(max > 0 && min <= max, min, max);
}

worker_pool::~worker_pool() {
    stop();
}

bool worker_pool::try_post(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    if (stopping_) return false;
    reap(lock);
    // Queued tasks beyond the idle workers wait for a new worker or for the queue's room.
    const bool room_in_queue = queue_.size() < queue_max_;
    if (idle_ <= queue_.size() && threads_.size() < max_) {
        queue_.push_back(std::move(task));
        auto it = threads_.emplace(threads_.end());
        *it = std::thread(&worker_pool::work, this, it);
        return true;
    }
    if (!room_in_queue && idle_ <= queue_.size()) return false;
    queue_.push_back(std::move(task));
    wake_.notify_one();
    return true;
}

void worker_pool::work(std::list<std::thread>::iterator self) {
    name_this_thread(thread_name_);
    std::unique_lock lock(mutex_);
    while (true) {
        if (queue_.empty()) {
            if (stopping_) break;
            ++idle_;
            const bool woken =
                wake_.wait_for(lock, idle_exit_, [&] { return stopping_ || !queue_.empty(); });
            --idle_;
            if (!woken && threads_.size() - ended_.size() > min_) break;  // idle long enough
            continue;
        }
        auto task = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        task();
        task = nullptr;  // what it holds goes now, not under the lock
        lock.lock();
    }
    if (!stopping_) ended_.push_back(self);  // stop() joins all; else the next post does
}

void worker_pool::reap(std::unique_lock<std::mutex>& lock) {
    while (!ended_.empty()) {
        auto it = ended_.front();
        ended_.pop_front();
        std::thread t = std::move(*it);
        threads_.erase(it);
        lock.unlock();
        t.join();  // it has left its loop; it returns at once
        lock.lock();
    }
}

void worker_pool::stop() {
    std::list<std::thread> all;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        wake_.notify_all();
        all.swap(threads_);
        ended_.clear();
    }
    for (auto& t : all)
        if (t.joinable()) t.join();
}

std::size_t worker_pool::threads() const {
    std::lock_guard lock(mutex_);
    return threads_.size() - ended_.size();
}

}  // namespace uurwerk
