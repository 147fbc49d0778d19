// Training a pack (nnmass/nn/pack.h) in lockstep: every model sees, batch by batch, what its
// lone run would see: the data order of its seed (models that share a seed share each batch),
// the same learning-rate schedule and the same optimizer arithmetic (one FlatOptimizer over the
// packed parameters: Adam and SGD are elementwise, so each model's slice evolves as alone). A
// model whose loss becomes NaN or infinite is stopped with the lone run's message; the others go on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnmass/data/dataset.h"
#include "nnmass/nn/pack.h"
#include "nnmass/train/trainer.h"

namespace nnmass {

struct PackRunResult {
  std::string error;  // "" if the run finished; the divergence message otherwise
  Evaluation test;    // after the last epoch (finished runs only)
};

struct PackTrainResult {
  std::vector<PackRunResult> runs;  // one per model, in pack order
  double seconds = 0;               // wall time of the whole pack
};

// Called after each epoch with the epoch (1-based) and the epoch count.
using PackProgress = std::function<void(int epoch, int epochs)>;

// seeds[i]: model i's data-order seed; models of one seed must be adjacent. The recipe's
// checkpoint, resume and metrics-log fields are not used (a sweep resumes whole runs). CPU only.
PackTrainResult train_pack(Pack& pack, const std::vector<uint64_t>& seeds, const DataSplit& data,
                           const TrainOptions& options, const PackProgress& progress = nullptr);

// Mean loss and accuracy of every live model of the pack on `data` (stopped models: zeros).
std::vector<Evaluation> evaluate_pack(Pack& pack, const Dataset& data, int64_t batch_size);

}  // namespace nnmass
