// Malformed schedules: each gives the expected error kind, keyframe and column, and the
// message shows the text with a caret under that column.
#include "schedules/keyframe_schedule.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using k3::sched::KeyframeSchedule;
using k3::sched::ScheduleContext;
using k3::sched::ScheduleError;
using Kind = k3::sched::ScheduleErrorKind;

namespace {

struct BadCase {
  std::string schedule;
  Kind kind;
  int column;    // 1-based; 0 = none
  int max_frames = 10;  // errors found while evaluating need a context
  int frame = -1;       // expected frame for evaluation errors
};

std::string nested(int depth) { return "0:(" + std::string(depth, '(') + "1" + std::string(depth, ')') + ")"; }

std::string long_sum() {
  std::string s = "0:(";
  for (int i = 0; i < 5000; ++i) s += "1+";
  return s + "1)";
}

const std::vector<BadCase>& bad_cases() {
  static const std::vector<BadCase> table = {
      {"0:(sinn(t))", Kind::UnknownFunction, 4},
      {"0:(1), 10:(x+1)", Kind::UnknownVariable, 12},
      {"0:(1), 10:(2", Kind::Syntax, 11},          // the '(' that is never closed
      {"0:(1)), 10:(2)", Kind::Syntax, 6},         // unmatched ')'
      {"0:(1), 10(2)", Kind::MissingColon, 8},
      {"0:(1), :(2)", Kind::EmptyKey, 8},
      {"0:(1), 10:", Kind::EmptyValue, 11},
      {"0:(1), 10:()", Kind::Syntax, 12},          // nothing inside the parentheses
      {"1.5:(0)", Kind::BadFrameKey, 1},
      {"0:(1), t:(2)", Kind::UnknownVariable, 8},  // t is not in scope for keys (Deforum)
      {"0:(1),, 5:(2)", Kind::Syntax, 7},          // empty keyframe between commas
      {"", Kind::EmptySchedule, 1},
      {"  ,  ", Kind::EmptySchedule, 1},
      {"0:(sin(1,2))", Kind::WrongArgumentCount, 4},
      {"0:(min(1))", Kind::WrongArgumentCount, 4},
      {"0:(1 +)", Kind::Syntax, 7},
      {"0:(2 3)", Kind::Syntax, 6},
      {"0:(1e999)", Kind::NumberOutOfRange, 4},
      {"0:(1 = 2)", Kind::Syntax, 6},
      {"0:(t @ 2)", Kind::Syntax, 6},
      {"0:(1), 10:(2) 20:(3)", Kind::Syntax, 15},  // missing comma: "(2) 20" has no operator
      {"0:(\"1)", Kind::Syntax, 4},                // unclosed quote
      {"0:(1<2<3)", Kind::Syntax, 7},              // chained comparison
      {"0:(sin)", Kind::Syntax, 7},                // function without '('
      {"0:(t(2))", Kind::UnknownFunction, 4},      // a variable called like a function
      {"0:(2e)", Kind::Syntax, 5},                 // no digits after the exponent
      {"cubc: 0:(1)", Kind::BadInterpolation, 1},
      {"bezier(2,0,0.5,1): 0:(1)", Kind::BadInterpolation, 8},
      {"bezier(0.5,0,0.5): 0:(1)", Kind::BadInterpolation, 17},
      {"0:(1), 99999999999999999999.5:(2)", Kind::BadFrameKey, 8},
      {nested(60), Kind::TooDeep, 53},  // depth counter: two levels per parenthesis, limit 100
      {long_sum(), Kind::TooLong, 3},
      {"0:(1) : 2", Kind::Syntax, 7},              // a second ':' in a keyframe
      {"0:(__import__(\"os\").system(\"ls\"))", Kind::UnknownFunction, 4},  // no Python, no calls
      {"0:(t.real)", Kind::Syntax, 5},             // no attribute access
      {"0:(sin(t)[0])", Kind::Syntax, 10},         // no indexing
      // Found while evaluating: frame, keyframe and the value's column.
      {"0:(t), 5:(1/(t-7))", Kind::NonFinite, 10, 10, 7},
      {"0:(sqrt(t-3))", Kind::NonFinite, 3, 5, 0},
      {"0:(log(t))", Kind::NonFinite, 3, 5, 0},
      {"100:(1)", Kind::NoKeyframeInRange, 0, 50},
      {"0:(0), (max_f-max_f)/0:(1)", Kind::BadFrameKey, 8},  // key evaluates to NaN
  };
  return table;
}

}  // namespace

TEST_CASE("malformed schedules give the error kind and column", "[unit]") {
  REQUIRE(bad_cases().size() >= 25);
  for (const BadCase& c : bad_cases()) {
    INFO("schedule: " << c.schedule.substr(0, 120));
    try {
      const KeyframeSchedule s = KeyframeSchedule::parse("zoom", c.schedule);
      ScheduleContext ctx;
      ctx.max_frames = c.max_frames;
      s.evaluate(ctx);
      FAIL("expected a ScheduleError of kind " << k3::sched::to_string(c.kind));
    } catch (const ScheduleError& e) {
      INFO("message: " << e.what());
      CHECK(k3::sched::to_string(e.kind()) == std::string(k3::sched::to_string(c.kind)));
      CHECK(e.column() == c.column);
      CHECK(e.frame() == c.frame);
      CHECK(e.info().schedule == "zoom");
      CHECK(std::string(e.what()).find("schedule 'zoom'") == 0);
    }
  }
}

TEST_CASE("a schedule error shows the text and a caret under the column", "[unit]") {
  try {
    KeyframeSchedule::parse("zoom", "0:(1.0), 10:(1.0+sinn(t))");
    FAIL("no error");
  } catch (const ScheduleError& e) {
    const std::string expected =
        "schedule 'zoom', keyframe 1, column 18: unknown function: 'sinn' (did you mean 'sin'?)";
    CHECK(std::string(e.what()).substr(0, expected.size()) == expected);
    const std::string tail = "\n  0:(1.0), 10:(1.0+sinn(t))\n                   ^";
    const std::string what = e.what();
    REQUIRE(what.size() > tail.size());
    CHECK(what.substr(what.size() - tail.size()) == tail);
    CHECK(e.keyframe() == 1);
    // ScheduleError is a ConfigError: the CLI maps it to the configuration exit code.
    CHECK(dynamic_cast<const k3::ConfigError*>(&e) != nullptr);
  }
}

TEST_CASE("a non-finite value names the frame and the keyframe", "[unit]") {
  try {
    KeyframeSchedule::parse("noise", "0:(0.1), 20:(1/(t-25))").evaluate({40, 12, 0});
    FAIL("no error");
  } catch (const ScheduleError& e) {
    CHECK(e.frame() == 25);
    CHECK(e.keyframe() == 1);
    CHECK(std::string(e.what()).find("frame 25") != std::string::npos);
  }
}

TEST_CASE("long schedules show a window around the caret", "[unit]") {
  std::string text;
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + ":(" + std::to_string(i) + "), ";
  text += "60:(oops)";
  try {
    KeyframeSchedule::parse("angle", text);
    FAIL("no error");
  } catch (const ScheduleError& e) {
    const std::string what = e.what();
    CHECK(e.kind() == Kind::UnknownVariable);
    const auto excerpt = what.find("\n  ...");
    REQUIRE(excerpt != std::string::npos);
    const auto caret_line = what.rfind('\n');
    const std::size_t caret_col = what.size() - caret_line - 2;  // position of '^' in its line
    CHECK(what.substr(excerpt + 1 + caret_col, 4) == "oops");
  }
}

TEST_CASE("unknown names get a hint or the list of known ones", "[unit]") {
  auto message = [](const std::string& text) {
    try {
      KeyframeSchedule::parse("zoom", text);
    } catch (const ScheduleError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("0:(maxf)"), Catch::Contains("'maxf' (did you mean 'max_f'?)"));
  CHECK_THAT(message("0:(arcsinn(t))"), Catch::Contains("'arcsinn' (did you mean 'arcsin'?)"));
  CHECK_THAT(message("0:(zoom)"), Catch::Contains("'zoom' (expected one of t, max_f, s, fps, pi, e)"));
  CHECK_THAT(message("0:(x), 5:(t)"), Catch::Contains("'x' (expected one of t, max_f, s, fps, pi, e)"));
  CHECK_THAT(message("0:(frobnicate(t))"), Catch::Contains("(expected one of sin, cos, tan"));
}

TEST_CASE("bad contexts are refused", "[unit]") {
  const auto s = KeyframeSchedule::parse("zoom", "0:(1)");
  CHECK_THROWS_AS(s.evaluate({0, 12, 0}), ScheduleError);
  CHECK_THROWS_AS(s.evaluate({10, 0, 0}), ScheduleError);
  CHECK_THROWS_AS(s.at(10, {10, 12, 0}), ScheduleError);
  CHECK_THROWS_AS(s.at(-1, {10, 12, 0}), ScheduleError);
}
