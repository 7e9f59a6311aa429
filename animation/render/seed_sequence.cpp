// Follows A1111 sd-webui-deforum scripts/deforum_helpers/seed.py (next_seed).
#include "animation/render/seed_sequence.h"

#include <chrono>
#include <cmath>

namespace k3::anim {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

SeedSequence::SeedSequence(SeedBehavior behavior, std::int64_t start_seed, int iter_n,
                           std::function<double(int)> scheduled)
    : behavior_(behavior), start_(start_seed), iter_n_(iter_n < 1 ? 1 : iter_n), scheduled_(std::move(scheduled)) {
  state_.seed = start_seed;
  state_.rng_state = static_cast<std::uint64_t>(start_seed) ^ 0x6B33616E696DULL;  // "k3anim"
}

std::uint64_t SeedSequence::take(int frame) {
  SplitMix64 rng{state_.rng_state};
  std::int64_t current = state_.seed;
  if (behavior_ == SeedBehavior::Schedule && scheduled_) {
    double value = scheduled_(frame);
    current = value < 0 ? static_cast<std::int64_t>(rng.next_u32()) : static_cast<std::int64_t>(std::llround(value));
  }
  // Seeds live in [0, 2^32): Deforum's range; negative steps wrap like unsigned 32-bit values.
  std::uint64_t result = static_cast<std::uint64_t>(current) & 0xFFFFFFFFULL;

  std::int64_t n = state_.diffused;
  switch (behavior_) {
    case SeedBehavior::Iter:
      if ((n + 1) % iter_n_ == 0) state_.seed += 1;
      break;
    case SeedBehavior::Fixed:
    case SeedBehavior::Schedule: break;
    case SeedBehavior::Random: state_.seed = rng.next_u32(); break;
    case SeedBehavior::Ladder: state_.seed += (n % 2 == 0) ? 2 : -1; break;
    case SeedBehavior::Alternate: state_.seed += (n % 2 == 0) ? 1 : -1; break;
  }
  state_.diffused = n + 1;
  state_.rng_state = rng.state;
  (void)start_;
  return result;
}

std::int64_t draw_random_seed() {
  SplitMix64 rng{static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count()) ^
                 reinterpret_cast<std::uintptr_t>(&rng)};
  return static_cast<std::int64_t>(rng.next_u32());
}

}  // namespace k3::anim
