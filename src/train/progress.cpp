// Progress display for training: an in-place bar on a terminal, plain lines elsewhere.
#include "nnmass/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace nnmass {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);  // at most 10 redraws a second

std::string clock_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

TerminalProgress::TerminalProgress(std::FILE* out, bool force_bar)
    : out_(out), bar_(force_bar || ::isatty(::fileno(out))) {}

void TerminalProgress::on_batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
                                double accuracy, double images_per_second, double seconds) {
  if (!bar_) return;
  const auto now = std::chrono::steady_clock::now();
  if (batch != batches && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  const int filled = static_cast<int>(kBarWidth * batch / batches);
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '.');
  const double per_batch = seconds / batch;
  const double eta = per_batch * static_cast<double>((batches - batch) + (epochs - epoch) * batches);
  std::fprintf(out_, "\r\033[Kepoch %d/%d [%s] %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s  ETA %s", epoch,
               epochs, bar.c_str(), static_cast<long long>(batch), static_cast<long long>(batches), loss,
               100 * accuracy, images_per_second, clock_text(eta).c_str());
  std::fflush(out_);
}

void TerminalProgress::on_epoch(const EpochMetrics& m, int epochs) {
  if (bar_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_,
               "epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  lr %.3g  %.1f s  %.0f img/s\n",
               m.epoch, epochs, m.train_loss, 100 * m.train_acc, m.test_loss, 100 * m.test_acc, m.lr,
               m.seconds, m.images_per_second);
  std::fflush(out_);
}

}  // namespace nnmass
