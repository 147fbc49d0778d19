// How far a packed run drifts from its lone run, against how far the lone run drifts from itself
// when its initial weights are perturbed by float rounding (1e-7 relative noise). Trains one
// Fashion-MNIST MLP three ways on the same batches (lone libtorch module, perturbed lone module,
// the same model in a pack of one) and prints the relative weight distance every 25 steps.
// Deep MLPs without links (t_c = 0) are chaotic: both distances grow from 1e-7 to ~0.1 at the
// same step, so no float reimplementation can match such a run beyond that point.
//   usage: pack_divergence [DEPTH=24] [TC=0] [SEED=1] [STEPS=600]
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nnmass/nn/packed_mlp.h"
#include "nnmass/train/flat_optimizer.h"
#include "nnmass/train/trainer.h"

using namespace nnmass;

namespace {

DenseMlp build(const Spec& spec, uint64_t seed) {
  const Links links = draw_links(spec, seed);
  InitOptions init;
  init.seed = seed;
  return std::dynamic_pointer_cast<DenseMlpImpl>(build_network(spec, &links, init));
}

double distance(DenseMlpImpl& a, DenseMlpImpl& b) {
  double num = 0, den = 0;
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    num += (pa[i] - pb[i]).pow(2).sum().item<double>();
    den += pb[i].pow(2).sum().item<double>();
  }
  return std::sqrt(num / den);
}

}  // namespace

int main(int argc, char** argv) {
  const int depth = argc > 1 ? std::atoi(argv[1]) : 24, tc = argc > 2 ? std::atoi(argv[2]) : 0;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 600;
  torch::set_num_threads(1);
  DataOptions d;
  d.limit_test = 1;
  const DataSplit data = load_data(d);
  Spec spec;
  spec.input = {1, 28, 28};
  spec.cells = {{depth, 8, tc}};
  DenseMlp lone = build(spec, seed), perturbed = build(spec, seed), source = build(spec, seed), view = build(spec, seed);
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(99);
    for (torch::Tensor p : perturbed->parameters()) p.mul_(1 + 1e-7 * torch::randn_like(p));
  }
  PackedMlp pack({source.get()});
  const TrainOptions recipe;  // Adam, lr 1e-3, batch 100
  FlatOptimizer pack_opt(pack.parameters(), flat_optimizer_options(recipe));
  FlatOptimizer lone_opt(lone->parameters(), flat_optimizer_options(recipe));
  FlatOptimizer perturbed_opt(perturbed->parameters(), flat_optimizer_options(recipe));
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const torch::Tensor order = torch::randperm(data.train.size(), generator, torch::kLong);
  std::printf("mlp %dx8x%d seed %llu: relative weight distance to the lone run\n", depth, tc,
              static_cast<unsigned long long>(seed));
  std::printf("%6s %14s %22s\n", "step", "packed", "lone, perturbed 1e-7");
  for (int step = 0; step < steps; ++step) {
    const torch::Tensor index = order.narrow(0, (step * 100) % (data.train.size() - 100), 100);
    const torch::Tensor x = data.train.inputs.index_select(0, index), y = data.train.labels.index_select(0, index);
    for (auto [model, opt] : {std::pair{&lone, &lone_opt}, std::pair{&perturbed, &perturbed_opt}}) {
      opt->zero_grad();
      torch::nn::functional::cross_entropy((*model)->forward(x), y).backward();
      opt->step(recipe.lr);
    }
    pack.step({{x, y, 0, 1}}, true);
    pack_opt.step(recipe.lr);
    if (step % 25 == 24 || step == 0) {
      pack.copy_to(0, *view);
      std::printf("%6d %14.3g %22.3g\n", step + 1, distance(*view, *lone), distance(*perturbed, *lone));
    }
  }
}
