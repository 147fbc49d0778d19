// The library's own PRNG, so that a seed gives the same links on every machine and compiler
// (std::uniform_int_distribution's output is implementation-defined).
//   SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, full period, passes BigCrush.
//   uniform_below(n): unbiased, by rejecting the top (2^64 mod n) values.
#pragma once

#include <cstdint>

namespace nnmass::detail {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform integer in [0, n), n > 0.
  uint64_t uniform_below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = next();
      if (x >= threshold) return x % n;
    }
  }

 private:
  uint64_t state_;
};

// Mixes a seed with a stream index (e.g. a cell), so streams are independent of each other.
inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  SplitMix64 g(seed ^ (stream * 0xD1B54A32D192ED03ULL));
  return g.next();
}

}  // namespace nnmass::detail
