// The lockstep training loop of a pack; see pack_trainer.h.
#include "nnmass/train/pack_trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>

#include "core/rng.h"
#include "nnmass/error.h"
#include "nnmass/train/flat_optimizer.h"

namespace nnmass {
namespace {

constexpr int64_t kCropPadding = 4;  // as the lone trainer: RandomCrop(32, padding=4)

// Adjacent models of one seed: [first, first + count).
struct SeedGroup {
  uint64_t seed = 0;
  int64_t first = 0, count = 0;
};

std::vector<SeedGroup> seed_groups(const std::vector<uint64_t>& seeds, int64_t models) {
  if (static_cast<int64_t>(seeds.size()) != models)
    throw SpecError("a pack of " + std::to_string(models) + " models needs as many seeds, got " +
                    std::to_string(seeds.size()));
  std::vector<SeedGroup> groups;
  for (int64_t i = 0; i < models; ++i) {
    if (!groups.empty() && groups.back().seed == seeds[i]) {
      ++groups.back().count;
      continue;
    }
    for (const SeedGroup& g : groups)
      if (g.seed == seeds[i]) throw SpecError("the models of one seed must be adjacent in a pack");
    groups.push_back({seeds[i], i, 1});
  }
  return groups;
}

}  // namespace

std::vector<Evaluation> evaluate_pack(Pack& pack, const Dataset& data, int64_t batch_size) {
  const int64_t n = data.size(), K = pack.size();
  std::vector<double> loss(K, 0.0);
  std::vector<int64_t> correct(K, 0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    const PackStep s = pack.step({{data.input_slice(start, b), data.labels.narrow(0, start, b), 0, K}}, false, true);
    for (int64_t i = 0; i < K; ++i) loss[i] += s.loss[i], correct[i] += s.correct[i];
  }
  std::vector<Evaluation> result(K);
  for (int64_t i = 0; i < K; ++i)
    if (pack.alive(i)) result[i] = {loss[i] / n, static_cast<double>(correct[i]) / n};
  return result;
}

PackTrainResult train_pack(Pack& pack, const std::vector<uint64_t>& seeds, const DataSplit& data,
                           const TrainOptions& options, const PackProgress& progress) {
  validate(options);
  if (options.device != "cpu") throw SpecError("packed training runs on the CPU; use --pack 1 with --device cuda");
  const auto start = std::chrono::steady_clock::now();
  const int64_t K = pack.size();
  const std::vector<SeedGroup> groups = seed_groups(seeds, K);
  PackTrainResult result;
  result.runs.resize(K);
  FlatOptimizer optimizer(pack.parameters(), flat_optimizer_options(options));
  const int64_t n = data.train.size(), bs = options.batch_size, batches = (n + bs - 1) / bs;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const double lr = scheduled_lr(options, epoch);
    // Per seed, the lone trainer's generator and order for this epoch.
    std::vector<torch::Generator> generators;
    std::vector<torch::Tensor> orders;
    for (const SeedGroup& g : groups) {
      generators.push_back(at::make_generator<at::CPUGeneratorImpl>(detail::mix_seed(g.seed, epoch + 1)));
      orders.push_back(torch::randperm(n, generators.back(), torch::kLong));
    }
    for (int64_t batch = 0; batch < batches; ++batch) {
      std::vector<PackBatch> step;
      for (size_t g = 0; g < groups.size(); ++g) {
        const torch::Tensor index = orders[g].narrow(0, batch * bs, std::min(bs, n - batch * bs));
        torch::Tensor x = data.train.to_input(data.train.inputs.index_select(0, index));
        if (options.augment && x.dim() == 4) x = augment_crop_flip(x, kCropPadding, generators[g]);
        step.push_back({x, data.train.labels.index_select(0, index), groups[g].first, groups[g].count});
      }
      const PackStep s = pack.step(step, true);
      for (int64_t i = 0; i < K; ++i)
        if (pack.alive(i) && !std::isfinite(s.loss[i])) {
          result.runs[i].error = divergence_message(s.loss[i], epoch, batch, lr);
          pack.stop(i);
        }
      optimizer.step(lr);
    }
    if (progress) progress(epoch + 1, options.epochs);
  }
  const std::vector<Evaluation> test = evaluate_pack(pack, data.test, options.batch_size);
  for (int64_t i = 0; i < K; ++i)
    if (pack.alive(i)) result.runs[i].test = test[i];
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace nnmass
