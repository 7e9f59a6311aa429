#pragma once
// Seed behaviours of Deforum (spec deforum.md 1.11; A1111 scripts/deforum_helpers/seed.py):
// the seed advances once per diffused frame. The whole state is a few integers, so a run
// journal can store it and a resumed run continues the same sequence.
#include <cstdint>
#include <functional>
#include <string>

namespace k3::anim {

// Spelled iter, fixed, random, ladder, alternate, schedule in presets (render_settings.h setting_names).
enum class SeedBehavior { Iter, Fixed, Random, Ladder, Alternate, Schedule };

// splitmix64: tiny, portable, and its state is one integer (Vigna, "Further scramblings of
// Marsaglia's xorshift generators"). Used wherever the run needs "random" values.
struct SplitMix64 {
  std::uint64_t state = 0;
  std::uint64_t next();
  std::uint32_t next_u32() { return static_cast<std::uint32_t>(next() >> 32); }
};

struct SeedState {
  std::int64_t seed = 0;          // the seed the next diffused frame gets
  std::int64_t diffused = 0;      // diffused frames so far
  std::uint64_t rng_state = 0;    // SplitMix64 state for random seeds
};

class SeedSequence {
 public:
  // `scheduled(frame)` gives the seed schedule's value at a frame (-1 = random); only used
  // by SeedBehavior::Schedule.
  SeedSequence(SeedBehavior behavior, std::int64_t start_seed, int iter_n,
               std::function<double(int)> scheduled = {});

  // The seed of the diffused frame `frame`; then advances the state (A1111 next_seed).
  std::uint64_t take(int frame);

  const SeedState& state() const { return state_; }
  void restore(const SeedState& state) { state_ = state; }

 private:
  SeedBehavior behavior_;
  std::int64_t start_;
  int iter_n_;
  std::function<double(int)> scheduled_;
  SeedState state_;
};

// Draws a start seed for seed = -1 (from the clock and the address space; written to
// settings.json so the run can be repeated).
std::int64_t draw_random_seed();

}  // namespace k3::anim
