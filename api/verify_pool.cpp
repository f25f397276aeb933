#include "api/verify_pool.h"

#include <semaphore>

#include <sched.h>

#include <sys/resource.h>
#include <unistd.h>

namespace uurwerk {

struct verify_pool::job {
    const envelope* e = nullptr;
    bool ok = false;
    std::binary_semaphore done{0};
};

verify_pool::verify_pool(key_cache& keys, std::size_t threads, int niceness) : keys_(keys) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < threads; ++i)
        threads_.emplace_back([this, niceness] { run(niceness); });
}

verify_pool::~verify_pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
}

bool verify_pool::verify(const envelope& e) {
    job j;
    j.e = &e;
    {
        std::lock_guard lock(mutex_);
        UURWERK_ASSERT(!stopping_);
        queue_.push_back(&j);
    }
    work_.notify_one();
    j.done.acquire();
    return j.ok;
}

void verify_pool::run(int niceness) {
    name_this_thread("uw-verify");
    // Linux keeps a nice value per thread: this lowers this thread's priority only.
    errno = 0;
    const int now = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    if (errno == 0)
        (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), now + niceness);
    for (;;) {
        job* j = nullptr;
        {
            std::unique_lock lock(mutex_);
            work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left
            j = queue_.front();
            queue_.pop_front();
        }
        j->ok = keys_.verify_envelope(*j->e);
        j->done.release();
    }
}

}  // namespace uurwerk
