// A small seeded PRNG (SplitMix64) whose sequence is the same on every
// machine and standard library; fusesim never uses std:: distributions.
#ifndef FUSESIM_SIM_ENGINE_RANDOM_H_
#define FUSESIM_SIM_ENGINE_RANDOM_H_

#include <cstdint>

namespace fusesim::sim {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n > 0 (rejection sampling, no modulo bias).
  uint64_t Uniform(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return x % n;
  }

 private:
  uint64_t state_;
};

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_ENGINE_RANDOM_H_
