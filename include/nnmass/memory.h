// Memory preflight: before building, training, measuring LDI or reading a data file, estimate what
// the work needs from the closed forms (parameters, activations of one batch) or a file's header,
// and refuse at once with "needs about N GiB, this machine has M GiB available" rather than
// allocating until the kernel or libtorch gives up. Estimates are deliberately rough upper-ish
// bounds (float32, a few copies of each activation), not measurements. Torch-free.
#pragma once

#include <cstdint>
#include <string>

#include "nnmass/spec.h"

namespace nnmass {

// Bytes this process may still allocate: MemAvailable of /proc/meminfo, or a lower cgroup limit;
// -1 where neither can be read (then nothing is refused).
int64_t available_memory_bytes();

// ResourceError "<what> needs about N GiB, this machine has M GiB available" if `bytes` exceeds
// what is available.
void check_memory(int64_t bytes, const std::string& what);

// Estimates (bytes) from the closed forms; saturate instead of overflowing.
int64_t model_bytes(const Spec& spec);                            // weights, one float32 copy
int64_t forward_bytes(const Spec& spec, int64_t batch);           // weights + one batch's activations
int64_t training_bytes(const Spec& spec, int64_t batch);          // + grads, optimizer state, backward
// Layer-wise Jacobians of a dense MLP for `batch` samples at once (isometry), plus the network.
int64_t isometry_bytes(const Spec& spec, int64_t batch);

// "1.5 GiB" style text.
std::string gib_text(int64_t bytes);

}  // namespace nnmass
