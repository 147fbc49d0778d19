// The machine's practical peak for the sweep-throughput benchmark: float32 GEMM throughput of
// torch::mm (1024 x 1024) on 1 thread and on every core, in GFLOP/s (2*n^3 flops per product).
#include <chrono>
#include <cstdio>
#include <thread>

#include <torch/torch.h>

int main() {
  constexpr int64_t kN = 1024;
  const torch::Tensor a = torch::randn({kN, kN}), b = torch::randn({kN, kN});
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int threads : {1, cores}) {
    torch::set_num_threads(threads);
    torch::mm(a, b);  // warm-up
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      torch::Tensor c = torch::mm(a, b);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::printf("gemm_gflops threads=%d %.2f\n", threads, 2.0 * kN * kN * kN / best / 1e9);
  }
}
