// Seed behaviours (spec deforum.md 1.11) and their resumable state.
#include "animation/render/seed_sequence.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace k3::anim;

namespace {
std::vector<std::uint64_t> take(SeedBehavior behavior, std::int64_t seed, int n, int iter_n = 1) {
  SeedSequence sequence(behavior, seed, iter_n, [](int frame) { return frame == 2 ? -1.0 : 100.0 + frame; });
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(sequence.take(i));
  return out;
}
}  // namespace

TEST_CASE("seed behaviours give Deforum's sequences", "[unit][render]") {
  CHECK(take(SeedBehavior::Iter, 10, 4) == std::vector<std::uint64_t>{10, 11, 12, 13});
  CHECK(take(SeedBehavior::Iter, 10, 5, 2) == std::vector<std::uint64_t>{10, 10, 11, 11, 12});
  CHECK(take(SeedBehavior::Fixed, 10, 3) == std::vector<std::uint64_t>{10, 10, 10});
  CHECK(take(SeedBehavior::Ladder, 10, 5) == std::vector<std::uint64_t>{10, 12, 11, 13, 12});
  CHECK(take(SeedBehavior::Alternate, 10, 4) == std::vector<std::uint64_t>{10, 11, 10, 11});
  auto scheduled = take(SeedBehavior::Schedule, 10, 4);
  CHECK(scheduled[0] == 100);
  CHECK(scheduled[1] == 101);
  CHECK(scheduled[3] == 103);
  auto random = take(SeedBehavior::Random, 10, 4);
  CHECK(random[0] == 10);
  CHECK(random[1] != random[2]);
  CHECK(random == take(SeedBehavior::Random, 10, 4));  // reproducible from the start seed
}

TEST_CASE("a restored seed state continues the same sequence", "[unit][render]") {
  for (auto behavior : {SeedBehavior::Random, SeedBehavior::Ladder, SeedBehavior::Iter}) {
    SeedSequence whole(behavior, 5, 1);
    std::vector<std::uint64_t> expected;
    for (int i = 0; i < 6; ++i) expected.push_back(whole.take(i));
    SeedSequence first(behavior, 5, 1);
    for (int i = 0; i < 3; ++i) first.take(i);
    SeedSequence resumed(behavior, 5, 1);
    resumed.restore(first.state());
    for (int i = 3; i < 6; ++i) CHECK(resumed.take(i) == expected[static_cast<std::size_t>(i)]);
  }
}
