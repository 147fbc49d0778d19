// Memory estimates and the preflight check; see memory.h.
#include "nnmass/memory.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "nnmass/cost.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr int64_t kFloat = 4;
// A training step keeps each layer output, its activation, BatchNorm's or the gather's copy and
// their gradients: about four float copies per activation.
constexpr int64_t kTrainCopies = 4;
// Weights, gradients and two Adam moments.
constexpr int64_t kTrainParamCopies = 4;
// libtorch itself, the process and allocator slack.
constexpr int64_t kBaseBytes = int64_t{256} << 20;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}
int64_t add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kMax : r;
}

// "MemAvailable:  12345 kB" -> bytes.
int64_t meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return -1;
}

int64_t cgroup_limit() {
  std::ifstream v2("/sys/fs/cgroup/memory.max");
  std::string text;
  if (v2 >> text && text != "max") {
    try {
      return std::stoll(text);
    } catch (const std::exception&) {
    }
  }
  return -1;
}

// A cost whose count overflows is itself a refusal: the closed form says so in one line.
Cost cost_of(const Spec& spec) { return count_cost(spec); }

}  // namespace

int64_t available_memory_bytes() {
  const int64_t mem = meminfo_available();
  const int64_t limit = cgroup_limit();
  if (mem < 0) return limit;
  return limit < 0 ? mem : std::min(mem, limit);
}

std::string gib_text(int64_t bytes) {
  char buf[48];
  const double gib = static_cast<double>(bytes) / (int64_t{1} << 30);
  std::snprintf(buf, sizeof buf, gib >= 100 ? "%.0f GiB" : gib >= 0.1 ? "%.1f GiB" : "%.2f GiB", gib);
  return buf;
}

void check_memory(int64_t bytes, const std::string& what) {
  const int64_t available = available_memory_bytes();
  if (available < 0 || bytes <= available) return;
  throw ResourceError(what + " needs about " + (bytes == kMax ? std::string("more than 8 EiB") : gib_text(bytes)) +
                      ", this machine has " + gib_text(available) + " available");
}

int64_t model_bytes(const Spec& spec) { return mul(cost_of(spec).params, kFloat); }

int64_t forward_bytes(const Spec& spec, int64_t batch) {
  const Cost c = cost_of(spec);
  return add(add(kBaseBytes, mul(c.params, kFloat)), mul(mul(c.activations, batch), 2 * kFloat));
}

int64_t training_bytes(const Spec& spec, int64_t batch) {
  const Cost c = cost_of(spec);
  return add(add(kBaseBytes, mul(c.params, kTrainParamCopies * kFloat)),
             mul(mul(c.activations, batch), kTrainCopies * kFloat));
}

int64_t isometry_bytes(const Spec& spec, int64_t batch) {
  // Jacobians are computed in chunks of ~256 MiB (analysis/isometry.cpp), at least one sample's
  // out x fan-in Jacobian and Gram matrix (float64) at a time, plus a few copies around them.
  int64_t widest = 0;
  for (const Cell& cell : spec.cells) {
    const int64_t fan_in = add(cell.width, std::min<int64_t>(cell.tc, mul(cell.width, cell.depth)));
    widest = std::max(widest, mul(mul(cell.width, fan_in), 2 * 8));
  }
  const int64_t chunk = std::max<int64_t>(int64_t{256} << 20, widest);
  return add(forward_bytes(spec, batch), mul(chunk, 4));
}

}  // namespace nnmass
