// Thread-local tap recorder (tap.h).
#include "nnmass/nn/tap.h"

#include "nnmass/error.h"

namespace nnmass {
namespace {
thread_local TapRecorder* live = nullptr;
}  // namespace

TapRecorder::TapRecorder() {
  if (live) throw Error("a tap recorder is already recording on this thread");
  live = this;
}

TapRecorder::~TapRecorder() { live = nullptr; }

void TapRecorder::clear() {
  activations.clear();
  layers.clear();
  pre_pool = torch::Tensor();
}

torch::Tensor tap(Tap kind, const torch::Tensor& t) {
  if (!live) return t;
  const size_t index = kind == Tap::kActivation ? live->activations.size()
                       : kind == Tap::kLayer    ? live->layers.size()
                                                : 0;
  const torch::Tensor out = live->transform ? live->transform(kind, t, index) : t;
  switch (kind) {
    case Tap::kActivation: live->activations.push_back(out); break;
    case Tap::kLayer: live->layers.push_back(out); break;
    case Tap::kPrePool: live->pre_pool = out; break;
  }
  return out;
}

}  // namespace nnmass
