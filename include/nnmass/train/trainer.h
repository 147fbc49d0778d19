// Training and evaluation of a network (method spec §4) on a data set in memory or an image
// folder streamed from disk (data/batch_source.h): Adam or SGD (momentum, Nesterov, weight decay),
// constant / step / cosine learning-rate schedules per epoch, evaluation after each epoch, a
// checkpoint after each epoch (atomic) that --resume continues from with the same result as an
// uninterrupted run, and a stop with DivergedError when the loss becomes NaN or infinite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnmass/data/batch_source.h"
#include "nnmass/data/dataset.h"
#include "nnmass/nn/network.h"

namespace nnmass {

// Throws SpecError naming the first bad option.
void validate(const TrainOptions& options);
// The recipe part of the options (what changes the result), as JSON.
nlohmann::json recipe_json(const TrainOptions& options);

struct EpochMetrics {
  int epoch = 0;  // 1-based
  double lr = 0, train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0;
  double seconds = 0, images_per_second = 0;
};
nlohmann::json to_json(const EpochMetrics& m);

struct Evaluation {
  double loss = 0, accuracy = 0;  // mean cross-entropy, fraction correct
};

struct TrainResult {
  std::vector<EpochMetrics> history;  // every epoch, resumed ones included
  Evaluation test;                    // after the last epoch
  double seconds = 0;                 // training time of this run (not of resumed epochs)
  int resumed_epochs = 0;             // epochs taken from the checkpoint
};

// Receives progress; the trainer calls it from its loop.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Running means of this epoch so far; `seconds`: time spent in this epoch.
  virtual void on_batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                        double accuracy, double images_per_second, double seconds) = 0;
  virtual void on_epoch(const EpochMetrics& metrics, int epochs) = 0;
};

// Trains `network` on data.train, evaluating on data.test after every epoch (an image folder's
// train/ and val/ when data.image_folder is set). `identity` (the
// spec and links as JSON) is stored in the checkpoint, and a checkpoint made for another model
// or recipe is refused.
TrainResult train(NetworkImpl& network, const DataSplit& data, const TrainOptions& options,
                  const nlohmann::json& identity, ProgressSink* progress);

// Mean loss and accuracy of `network` (in eval mode, no gradients) on a data set.
Evaluation evaluate(NetworkImpl& network, const Dataset& data, int batch_size,
                    const torch::Device& device);
// The same over the batches of a pass.
Evaluation evaluate(NetworkImpl& network, BatchStream& batches);

// What a run that diverged says: the loss, where (0-based epoch and batch) and the learning rate.
std::string divergence_message(double loss, int epoch, int64_t batch, double lr);

// The learning rate of 0-based epoch `epoch` under the options' schedule.
double scheduled_lr(const TrainOptions& options, int epoch);

}  // namespace nnmass
