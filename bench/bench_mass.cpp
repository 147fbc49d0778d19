// Throughput of the closed form: NN-Mass + #params + MACs + FLOPs per architecture, the inner loop
// of `nnmass design`. Target (issue 2): >= 1e7 architectures per second on one core. Each
// iteration changes t_c so that nothing can be hoisted out of the loop; items/s in the output is
// architectures per second.
#include <benchmark/benchmark.h>

#include "nnmass/cost.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"

namespace {

nnmass::Spec mlp_w8_d32() {
  nnmass::Spec spec;  // Fashion-MNIST-style MLP: input 784, 10 classes
  spec.cells = {{32, 8, 8}};
  return spec;
}

nnmass::Spec cnn_3_cells() {
  nnmass::Spec spec;  // the official CIFAR default shape (§1.3), depth-wise dense CNN
  spec.family = nnmass::Family::kDepthwiseCnn;
  spec.input = {3, 32, 32};
  spec.head = nnmass::Head::kReference;
  spec.cells = {{13, 32, 40}, {13, 64, 80}, {13, 128, 125}};
  return spec;
}

void evaluate_loop(benchmark::State& state, nnmass::Spec spec) {
  int tc = 0;
  for (auto _ : state) {
    spec.cells[0].tc = tc;
    tc = (tc + 1) & 255;
    const double mass = nnmass::nn_mass(spec);
    const nnmass::Cost cost = nnmass::count_cost(spec);
    benchmark::DoNotOptimize(mass);
    benchmark::DoNotOptimize(cost);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MassCost_Mlp_w8_d32(benchmark::State& state) { evaluate_loop(state, mlp_w8_d32()); }
void BM_MassCost_Cnn_3cells(benchmark::State& state) { evaluate_loop(state, cnn_3_cells()); }

// Baseline in the same run: the textbook O(d) sum of §1.4, for the ratio against the O(1) form.
void BM_MassLoop_Mlp_w8_d32(benchmark::State& state) {
  int tc = 0;
  for (auto _ : state) {
    const int64_t w = 8, d = 32;
    int64_t num = 0, den = 0;
    for (int64_t i = 2; i < d; ++i) {
      num += std::min<int64_t>(w * (i - 1), tc);
      den += w * (i - 1);
    }
    const double mass = static_cast<double>(num) / den * w * d;
    benchmark::DoNotOptimize(mass);
    tc = (tc + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_MassCost_Mlp_w8_d32);
BENCHMARK(BM_MassCost_Cnn_3cells);
BENCHMARK(BM_MassLoop_Mlp_w8_d32);

#include "nnmass/design.h"

namespace {

// The design search over a 3-cell dense CNN space of 812,500 candidates: 13 depths x 4 widths x
// 25^3 t_c triples (issue 7's target: >= 1e6 candidates per second). items/s = candidates/s.
void BM_DesignSearch_Cnn3(benchmark::State& state) {
  const nnmass::Spec reference = cnn_3_cells();
  nnmass::DesignSpace space;
  for (int d = 4; d <= 16; ++d) space.depths.push_back(d);
  space.widths = {8, 16, 24, 32};
  for (int t = 0; t < 25; ++t) space.tcs.push_back(t);
  nnmass::DesignConstraints constraints;
  constraints.target_mass = nnmass::nn_mass(reference);
  int64_t evaluated = 0;
  for (auto _ : state) {
    const auto result = nnmass::design_search(reference, space, constraints, nnmass::Objective::kParams);
    evaluated += result.evaluated;
    benchmark::DoNotOptimize(result.best);
  }
  state.SetItemsProcessed(evaluated);
}

}  // namespace

BENCHMARK(BM_DesignSearch_Cnn3)->Unit(benchmark::kMillisecond);
