// The worker pool sweeps and score runs share: body(i, stop) for i in [0, n) on `jobs` threads,
// each on one torch thread when there are several (a new thread would otherwise use every core
// for each op). The first exception sets `stop` (bodies check it before writing results), ends
// the other workers after their current item and is rethrown; the caller's torch thread count is
// restored. Internal to nnmass_sweep.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <torch/torch.h>

namespace nnmass::detail {

inline void run_jobs(size_t n, int jobs, const std::function<void(size_t i, const std::atomic<bool>& stop)>& body) {
  jobs = std::max(1, std::min<int>(jobs, static_cast<int>(n)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  const auto worker = [&] {
    if (jobs > 1) torch::set_num_threads(1);
    for (size_t i; !stop && (i = next++) < n;) {
      try {
        body(i, stop);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
        return;
      }
    }
  };
  const int caller_threads = torch::get_num_threads();
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  torch::set_num_threads(caller_threads);  // the caller's setting, as it was
  if (failure) std::rethrow_exception(failure);
}

}  // namespace nnmass::detail
