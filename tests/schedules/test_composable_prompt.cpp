// Composable prompts: AND parts with weights, backtick weights evaluated per frame.
#include "schedules/composable_prompt.h"

#include <catch2/catch.hpp>

using namespace k3::sched;

TEST_CASE("composable prompts split at AND and read each part's weight", "[unit]") {
  auto parts = split_composable("a misty forest :0.7 AND snow on the ground: 1.5 AND a fox");
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].text == "a misty forest");
  CHECK(parts[0].weight == 0.7);
  CHECK(parts[1].text == "snow on the ground");
  CHECK(parts[1].weight == 1.5);
  CHECK(parts[2].text == "a fox");
  CHECK(parts[2].weight == 1);
  // AND only as a whole word; a colon not followed by a number is text; negative weights.
  parts = split_composable("SANDY beach, ratio 16:9 AND BRAND :-0.5");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].text == "SANDY beach, ratio 16");
  CHECK(parts[0].weight == 9);  // A1111 reads a trailing ":9" as a weight too
  CHECK(parts[1].text == "BRAND");
  CHECK(parts[1].weight == -0.5);
  parts = split_composable("a plain prompt");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].text == "a plain prompt");
  CHECK(parts[0].weight == 1);
}

TEST_CASE("backtick weights take the frame's t and max_f", "[unit]") {
  ExpressionVariables vars;
  vars.t = 3;
  vars.max_f = 12;
  CHECK(evaluate_backticks("a fox :`1-t/max_f` AND a castle :`t/max_f`", vars, "prompts") == "a fox :0.75 AND a castle :0.25");
  CHECK(evaluate_backticks("no weights here", vars, "prompts") == "no weights here");
  vars.t = 1;
  vars.max_f = 3;
  CHECK(evaluate_backticks("`t/max_f`", vars, "prompts") == "0.3333333333333333");  // round-trips the double
  try {
    evaluate_backticks("a fox :`1-sinn(t)`", vars, "prompts");
    FAIL("no error");
  } catch (const ScheduleError& e) {
    CHECK(e.column() == 11);  // the 's' of sinn, counted in the whole prompt
    CHECK_THAT(std::string(e.what()), Catch::Contains("sinn"));
  }
  CHECK_THROWS_AS(evaluate_backticks("a fox :`1-t", vars, "prompts"), ScheduleError);
}

TEST_CASE("weighted parts merge equal texts", "[unit]") {
  std::vector<WeightedPrompt> parts;
  add_weighted(parts, split_composable("a :1 AND b :0.5"), 0.5);
  add_weighted(parts, split_composable("b AND c :2"), 0.5);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].weight == 0.5);
  CHECK(parts[1].weight == 0.75);
  CHECK(parts[2].weight == 1.0);
}
