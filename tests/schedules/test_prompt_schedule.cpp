// Prompt schedules: keys, --neg, hold, back-fill, blending, errors.
#include "schedules/prompt_schedule.h"

#include <catch2/catch.hpp>

using k3::sched::PromptSchedule;
using k3::sched::ScheduleContext;
using k3::sched::ScheduleError;
using Kind = k3::sched::ScheduleErrorKind;
using nlohmann::json;

TEST_CASE("prompts hold forward and fill back, negatives follow --neg", "[unit]") {
  const auto s = PromptSchedule::from_json(json{{"5", "winter forest"}, {"10", "spring forest --neg  blurry "}});
  const auto frames = s.evaluate({15, 12, 0});
  REQUIRE(frames.size() == 15);
  CHECK(frames[0].prompt == "winter forest");  // before the first key: back-filled
  CHECK(frames[0].negative.empty());
  CHECK(frames[7].prompt == "winter forest");
  CHECK(frames[10].prompt == "spring forest");
  CHECK(frames[10].negative == "blurry");
  CHECK(frames[14].prompt == "spring forest");
  for (const auto& f : frames) {
    CHECK(f.blend == 0);  // hard switches by default (Deforum 2D/3D)
    CHECK(f.next_prompt.empty());
  }
}

TEST_CASE("prompt keys may be expressions of max_f", "[unit]") {
  const auto s = PromptSchedule::from_json(json{{"0", "a"}, {"max_f/2", "b"}, {"max_f", "c"}, {"90", "dropped"}});
  const auto f = s.evaluate({8, 12, 0});  // max_f = 7: max_f/2 = 3.5 -> frame 3
  CHECK(f[2].prompt == "a");
  CHECK(f[3].prompt == "b");
  CHECK(f[6].prompt == "b");
  CHECK(f[7].prompt == "c");
  // Digit keys are read like Python's int(): leading zeros are fine.
  const auto z = PromptSchedule::from_json(json{{"0", "a"}, {"000000000000000000005", "b"}}).evaluate({8, 12, 0});
  CHECK(z[4].prompt == "a");
  CHECK(z[5].prompt == "b");
}

TEST_CASE("blend -1 blends across the whole gap like Deforum's Interpolation mode", "[unit]") {
  const auto s = PromptSchedule::from_json(json{{"0", "a --neg x"}, {"4", "b"}});
  const auto f = s.evaluate({6, 12, 0}, -1);
  CHECK(f[0].blend == 0);  // the keyframe keeps its own prompt
  CHECK(f[0].next_prompt.empty());
  CHECK(f[1].blend == Approx(0.25));
  CHECK(f[1].prompt == "a");
  CHECK(f[1].negative == "x");
  CHECK(f[1].next_prompt == "b");
  CHECK(f[1].next_negative.empty());
  CHECK(f[3].blend == Approx(0.75));
  CHECK(f[4].prompt == "b");
  CHECK(f[4].blend == 0);
  CHECK(f[5].blend == 0);  // after the last key: held
}

TEST_CASE("a blend window covers the last frames before each key", "[unit]") {
  const auto s = PromptSchedule::from_json(json{{"0", "a"}, {"10", "b"}, {"12", "c"}});
  const auto f = s.evaluate({14, 12, 0}, 4);
  CHECK(f[6].blend == 0);           // window starts at 10 - 4 = 6, weight 0 there
  CHECK(f[7].blend == Approx(0.25));
  CHECK(f[9].blend == Approx(0.75));
  CHECK(f[9].next_prompt == "b");
  CHECK(f[10].blend == 0);
  CHECK(f[11].blend == Approx(0.5));  // the gap 10..12 caps the window at 2
  CHECK(f[11].next_prompt == "c");
}

TEST_CASE("unique prompts list what the encoder must embed", "[unit]") {
  const auto s = PromptSchedule::from_json(
      json{{"0", "forest --neg blurry"}, {"10", "city --neg blurry"}, {"20", "forest"}, {"500", "never"}});
  const auto u = s.unique_prompts({30, 12, 0});
  REQUIRE(u.size() == 4);
  CHECK(u[0] == "forest");
  CHECK(u[1] == "blurry");
  CHECK(u[2] == "city");
  CHECK(u[3].empty());
}

TEST_CASE("global prompts wrap every prompt as Deforum's positive/negative additions", "[unit]") {
  auto s = PromptSchedule::from_json(json{{"0", "forest --neg blurry"}, {"5", "city"}});
  s.add_global_prompts("photo of", "lowres");
  const auto f = s.evaluate({6, 12, 0});
  CHECK(f[0].prompt == "photo of forest");
  CHECK(f[0].negative == "blurry lowres");
  CHECK(f[5].prompt == "photo of city");
  CHECK(f[5].negative == "lowres");
}

TEST_CASE("bad prompt schedules are reported", "[unit]") {
  auto kind_of = [](const json& j, int frames = 10) {
    try {
      PromptSchedule::from_json(j).evaluate({frames, 12, 0});
    } catch (const ScheduleError& e) {
      INFO(e.what());
      CHECK(e.info().schedule == "prompts");
      return e.kind();
    }
    FAIL("no error for " << j.dump());
    return Kind::Syntax;
  };
  CHECK(kind_of(json::array({"a"})) == Kind::BadPrompt);
  CHECK(kind_of(json::object()) == Kind::BadPrompt);
  CHECK(kind_of(json{{"0", 5}}) == Kind::BadPrompt);
  CHECK(kind_of(json{{"0", "a --neg b --neg c"}}) == Kind::BadPrompt);
  CHECK(kind_of(json{{"4", "a"}, {"max_f-5", "b"}}) == Kind::BadPrompt);  // both frame 4
  CHECK(kind_of(json{{"t", "a"}}) == Kind::UnknownVariable);
  CHECK(kind_of(json{{"0", "a"}, {"2*(", "b"}}) == Kind::Syntax);
  CHECK(kind_of(json{{"50", "a"}}) == Kind::NoKeyframeInRange);
}

TEST_CASE("a second --neg is located in the prompt", "[unit]") {
  try {
    k3::sched::split_negative_prompt("a --neg b --neg c");
    FAIL("no error");
  } catch (const ScheduleError& e) {
    CHECK(e.column() == 11);
  }
}
