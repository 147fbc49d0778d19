// Dense-CNN training and evaluation throughput per model, packed (one PackedDenseCnn of K models,
// grouped convolutions) against the same K models trained one after the other as lone libtorch
// modules, in the same run, on Fashion-MNIST batches of 100.
//   usage: pack_cnn [K=4] [THREADS=1] [STEPS=20] [CELLS=3] [WIDTH=16] [DEPTH=4]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "nnmass/nn/packed_dense_cnn.h"
#include "nnmass/train/flat_optimizer.h"
#include "nnmass/train/trainer.h"

using namespace nnmass;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int K = argc > 1 ? std::atoi(argv[1]) : 4, threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 20, cells = argc > 4 ? std::atoi(argv[4]) : 3;
  const int width = argc > 5 ? std::atoi(argv[5]) : 16, depth = argc > 6 ? std::atoi(argv[6]) : 4;
  torch::set_num_threads(threads);
  DataOptions d;
  d.limit_train = 100 * steps;
  d.limit_test = 1000;
  const DataSplit data = load_data(d);
  std::vector<Network> models;
  for (int i = 0; i < K; ++i) {
    Spec spec;
    spec.family = Family::kCnn;
    spec.input = {1, 28, 28};
    spec.cells.assign(cells, Cell{depth, width, 2 * i});
    const Links links = draw_links(spec, i);
    InitOptions init;
    init.seed = i;
    models.push_back(build_network(spec, &links, init));
  }
  std::vector<const DenseCnnImpl*> pointers;
  for (const Network& m : models) pointers.push_back(dynamic_cast<const DenseCnnImpl*>(m.get()));
  PackedDenseCnn pack(pointers);
  const TrainOptions recipe;
  const auto batch = [&](int s) {
    return std::pair{data.train.input_slice(s * 100, 100), data.train.labels.narrow(0, s * 100, 100)};
  };
  // Alone: each model its steps, one after the other.
  auto start = Clock::now();
  for (const Network& m : models) {
    FlatOptimizer opt(m->parameters(), flat_optimizer_options(recipe));
    m->train();
    for (int s = 0; s < steps; ++s) {
      const auto [x, y] = batch(s);
      opt.zero_grad();
      torch::nn::functional::cross_entropy(m->forward(x), y).backward();
      opt.step(recipe.lr);
    }
  }
  const double alone_train = since(start);
  start = Clock::now();
  for (const Network& m : models) evaluate(*m, data.test, 100, torch::kCPU);
  const double alone_eval = since(start);
  // Packed: all models in each step.
  FlatOptimizer opt(pack.parameters(), flat_optimizer_options(recipe));
  start = Clock::now();
  for (int s = 0; s < steps; ++s) {
    const auto [x, y] = batch(s);
    pack.step({{x, y, 0, K}}, true);
    opt.step(recipe.lr);
  }
  const double packed_train = since(start);
  start = Clock::now();
  for (int64_t s = 0; s < data.test.size(); s += 100)
    pack.step({{data.test.input_slice(s, 100), data.test.labels.narrow(0, s, 100), 0, K}}, false, true);
  const double packed_eval = since(start);
  const double n_train = 100.0 * steps * K, n_test = static_cast<double>(data.test.size()) * K;
  std::printf("dense CNN %d cells x d%d x w%d, t_c 0..%d, %d models, %d thread(s), batch 100, Fashion-MNIST\n", cells,
              depth, width, 2 * (K - 1), K, threads);
  std::printf("  train images/s per model: alone %8.1f  packed %8.1f  packed/alone %.2fx\n", n_train / alone_train / K,
              n_train / packed_train / K, alone_train / packed_train);
  std::printf("  eval  images/s per model: alone %8.1f  packed %8.1f  packed/alone %.2fx\n", n_test / alone_eval / K,
              n_test / packed_eval / K, alone_eval / packed_eval);
}
