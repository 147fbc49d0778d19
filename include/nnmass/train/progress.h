// Progress display: a one-line bar redrawn in place on a terminal (epoch, batch, loss, accuracy,
// images/s, ETA), plain lines (one per epoch) when the output is a file or a pipe.
#pragma once

#include <chrono>
#include <cstdio>

#include "nnmass/train/trainer.h"

namespace nnmass {

class TerminalProgress : public ProgressSink {
 public:
  // Writes to `out`; draws a bar only if `out` is a terminal (or force_bar).
  explicit TerminalProgress(std::FILE* out = stderr, bool force_bar = false);
  void on_batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                double accuracy, double images_per_second, double seconds) override;
  void on_epoch(const EpochMetrics& metrics, int epochs) override;

 private:
  std::FILE* out_;
  bool bar_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace nnmass
