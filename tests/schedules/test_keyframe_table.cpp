// Table-driven values of keyframe schedules, derived by hand from Deforum's semantics
// (deforum-art/sd-webui-deforum animation_key_frames.py, FrameInterpolater.get_inbetweens):
//   plain-number keys are linearly interpolated; an expression key is evaluated at every frame
//   up to the next key with t = frame, max_f = max_frames - 1, s = seed; values hold before
//   the first and after the last key.
#include "schedules/keyframe_schedule.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <utility>
#include <vector>

using k3::sched::Interpolation;
using k3::sched::KeyframeSchedule;
using k3::sched::ScheduleContext;

namespace {

struct Case {
  const char* schedule;
  int max_frames;
  std::vector<std::pair<int, double>> expected;  // frame -> value
  const char* why;
  Interpolation mode = Interpolation::Linear;
  std::int64_t seed = 0;
  double fps = 12;
};

const double kPi = std::acos(-1.0);

// The breathing zoom of Deforum's default at frame t.
double breathing(double t) { return 1.0025 + 0.002 * std::sin(1.25 * 3.14 * t / 30); }

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"0:(0), 10:(5)", 20, {{0, 0}, {1, 0.5}, {5, 2.5}, {10, 5}, {19, 5}},
       "spec 2.2 worked example: 0.5 per frame up to 10, then held"},
      {"0: (1.0)", 5, {{0, 1}, {4, 1}}, "Deforum's usual single keyframe (space after the colon)"},
      {"0:(1.0), 10:(1.02), 30:(1.0)", 40, {{5, 1.01}, {20, 1.01}, {35, 1.0}},
       "halfway up 1.0->1.02 at 5, halfway down 1.02->1.0 at 20, held after 30"},
      {"0: (1.0025+0.002*sin(1.25*3.14*t/30))", 31, {{0, breathing(0)}, {12, breathing(12)}, {30, breathing(30)}},
       "Deforum's default zoom: one expression key, evaluated on every frame with t = frame"},
      {"0:(1.0), 10:(1.02), 30:(1.0 + 0.002*sin(1.25*3.14*t/30))", 40,
       {{5, 1.01}, {20, 0.5 * (1.02 + 1.0 + 0.002 * std::sin(1.25 * 3.14))}, {30, 1.0 + 0.002 * std::sin(1.25 * 3.14)},
        {35, 1.0 + 0.002 * std::sin(1.25 * 3.14 * 35 / 30)}},
       "the issue's example. Frame 20 lies between the numeric key 10 (1.02) and the expression key 30, "
       "so it interpolates toward the expression's value at t = 30; from 30 on the expression runs"},
      {"0:(t*2), 5:(0)", 8, {{0, 0}, {4, 8}, {5, 0}, {7, 0}},
       "expression key then numeric key: the formula runs up to frame 4 (t*2 = 8) and jumps to 0 at 5; "
       "no blending into the numeric key"},
      {"0:(0), 4:(t*t)", 8, {{2, 8}, {4, 16}, {6, 36}},
       "numeric then expression key: frame 2 is halfway from 0 to the expression at t = 4 (16), so 8"},
      {"0:(t), 3:(100-t)", 6, {{2, 2}, {3, 97}, {5, 95}}, "a later expression key replaces the formula"},
      {"0:(1e1), 5:(20)", 8, {{0, 10}, {4, 10}, {5, 20}},
       "1e1 fails Deforum's number test (no exponents) so it is an expression: it holds at 10 until frame 5 "
       "instead of ramping to 20"},
      {"0:(1/2), 4:(1)", 6, {{3, 0.5}, {4, 1}}, "a constant expression also holds rather than interpolates"},
      {"0:( 1.0 ), 4:(2.0)", 6, {{2, 1.0}, {4, 2.0}},
       "inner spaces fail Deforum's number test too (it strips only outer whitespace): 1.0 holds"},
      {"0:1, 4:3", 5, {{2, 2}}, "numbers without parentheses are accepted"},
      {"0:(\"2\"), 4:(4)", 5, {{2, 3}}, "quotes are removed before the number test: \"2\" is the number 2"},
      {"0:(0), \"max_f\":(10)", 11, {{5, 5}, {10, 10}}, "max_f = max_frames - 1 = 10 as a frame key"},
      {"\"max_f-1\":(4), 0:(0)", 6, {{2, 2}, {4, 4}, {5, 4}}, "keys may come in any order; max_f-1 = 4"},
      {"0:(0), max_f/2:(10)", 8, {{1, 10.0 / 3}, {3, 10}},
       "max_f/2 = 3.5 and Python's int() truncates to 3; frame 1 is a third of the way to 10"},
      {"5:(2), 10:(4)", 12, {{0, 2}, {4, 2}, {7, 2.8}, {11, 4}},
       "no key at 0: the first value holds before frame 5 (Deforum would raise there)"},
      {"3:(t*10)", 5, {{0, 30}, {3, 30}, {4, 40}},
       "the first key is an expression: frames before it hold its value at t = 3"},
      {"0:(0), 100:(10)", 50, {{25, 0}, {49, 0}},
       "a key beyond the last frame is dropped, as in Deforum: no partial ramp toward it"},
      {"-5:(100), 0:(1)", 3, {{0, 1}, {2, 1}}, "a negative frame key is dropped"},
      {"0:(1), 5:(2), 5:(4)", 6, {{1, 1.6}, {5, 4}}, "duplicate key: the last written wins (1 -> 4 over 5 frames)"},
      {"0:(1), max_f:(2), 4:(3)", 5, {{2, 2}, {4, 3}}, "max_f and 4 are both frame 4; the later 4:(3) wins"},
      {"0:(max(t, 2)), 5:(min(t,3,1))", 7, {{0, 2}, {3, 3}, {5, 1}, {6, 1}},
       "commas inside function calls do not split keyframes"},
      {"0:(where(t>3, 1, -1))", 6, {{3, -1}, {4, 1}}, "numexpr's where(c, a, b)"},
      {"0:(if((t>1) & (t<4), 5, 0))", 6, {{1, 0}, {2, 5}, {3, 5}, {4, 0}}, "if() with a logical and"},
      {"0:(t>1 & t<4)", 5, {{1, 0}, {2, 1}, {4, 0}}, "& binds looser than comparisons here"},
      {"0:(-2**2 + t)", 2, {{0, -4}, {1, -3}}, "Python precedence: -2**2 is -(2**2)"},
      {"0:(2^3^2)", 1, {{0, 512}}, "^ is power and right associative: 2^(3^2)"},
      {"0:(2**-1)", 1, {{0, 0.5}}, "a signed exponent"},
      {"0:(t%15)", 40, {{14, 14}, {15, 0}, {31, 1}}, "the sawtooth idiom"},
      {"0:((t-5)%3)", 3, {{0, 1}, {1, 2}, {2, 0}}, "floor modulo as numexpr: -5 % 3 = 1, -4 % 3 = 2"},
      {"0:(t//4)", 10, {{7, 1}, {8, 2}}, "floor division"},
      {"0:(s), 1:(-1)", 3, {{0, 1234}, {1, -1}, {2, -1}}, "s is the seed", Interpolation::Linear, 1234},
      {"0:(s), 1:(-1), \"max_f-2\":(-1), \"max_f-1\":(s)", 6, {{0, 7}, {1, -1}, {3, -1}, {4, 7}, {5, 7}},
       "Deforum's default seed_schedule: s at 0, -1 from 1 to max_f-2 = 3, then the expression s from 4 to the end",
       Interpolation::Linear, 7},
      {"0:(fps/2)", 1, {{0, 12}}, "fps is a variable (our addition)", Interpolation::Linear, 0, 24},
      {"0:(0), fps:(12)", 13, {{6, 6}}, "fps also in frame keys", Interpolation::Linear, 0, 12},
      {"0:(sin(pi/2)) ", 1, {{0, 1}}, "pi is a constant (numexpr has none)"},
      {"0:(log(e))", 1, {{0, 1}}, "e is a constant and log is natural"},
      {"0:(1),\n 4:(3),\n", 5, {{2, 2}}, "newlines and a trailing comma"},
      {"0:(round(t/2))", 6, {{1, 0}, {3, 2}, {5, 2}}, "round halves to even as numpy: 0.5->0, 1.5->2, 2.5->2"},
      {"0:(abs(-t) + sqrt(16) + floor(2.7) + ceil(0.1) + log(exp(2)))", 2, {{1, 10}}, "1 + 4 + 2 + 1 + 2"},
      {"0:(arctan2(1, 1)*4)", 1, {{0, kPi}}, "arctan2 takes two arguments"},
      {"0:(2.5e1 + 0)", 1, {{0, 25}}, "exponents are fine inside expressions"},
      {"0:(t/max_f)", 5, {{2, 0.5}, {4, 1}}, "t is the frame index, not normalised: t/max_f is"},
      {"0:(+5), 2:(-.5)", 3, {{1, 2.25}}, "+5 and -.5 pass the number test"},
      {"(10):(3), 0:(1)", 11, {{5, 2}}, "parentheses around a key are removed"},
      {"0:((t >= 2) + (t == 3))", 4, {{1, 0}, {2, 1}, {3, 2}}, "comparisons give 1 or 0"},
      {"0:(clip(t, 1, 3) + sign(-2))", 5, {{0, 0}, {4, 2}}, "clip and sign"},
      {"step: 0:(0), 4:(8)", 6, {{3, 0}, {4, 8}, {5, 8}}, "step prefix: held until the next key"},
      {"0:(1), 2:(3)", 3, {{1, 1}}, "step chosen through the API argument", Interpolation::Step},
      {"step: 0:(0), 2:(t*10)", 4, {{1, 0}, {2, 20}, {3, 30}}, "step mode leaves expression keys alone"},
      {"cubic: 0:(0), 10:(10)", 11, {{3, 3}}, "two keys: one-sided tangents make cubic a straight line"},
      {"cubic: 0:(0), 10:(10), 20:(0), 30:(10)", 31, {{5, 6.25}, {15, 5}, {25, 3.75}},
       "Catmull-Rom: tangents (v[j+1]-v[j-1])/(x[j+1]-x[j-1]) are 1, 0, 0, 1 per frame. At 5: u = 0.5, "
       "h00 = h01 = 0.5, h10 = 0.125, h11 = -0.125, span 10: 0.125*10*1 + 0.5*10 = 6.25. At 15 both tangents "
       "are 0: 0.5*10 = 5. At 25: 0.5*10 - 0.125*10*1 = 3.75"},
      {"cubic: 0:(0), 4:(4), 8:(0)", 9, {{2, 2.5}, {4, 4}, {6, 2.5}},
       "tangents 1, 0, -1: at 2, 0.125*4*1 + 0.5*4 = 2.5 (a curve above the straight line's 2)"},
      {"0:(0), 10:(10), 20:(0)", 21, {{5, 6.25}}, "cubic chosen through the API argument: tangents 1, 0, -1",
       Interpolation::Cubic},
      {"linear: 0:(0), 2:(2)", 3, {{1, 1}}, "the prefix wins over the API argument", Interpolation::Cubic},
      {"  CUBIC : 0:(0), 10:(10)", 11, {{5, 5}}, "the prefix ignores case and spaces"},
      {"bezier: 0:(0), 10:(1)", 11, {{0, 0}, {5, 0.5}, {10, 1}},
       "default ease (0.5,0,0.5,1) is symmetric about its middle: 0.5 at u = 0.5"},
      {"bezier(0,0,1,1): 0:(0), 10:(10)", 11, {{3, 3}, {7, 7}},
       "control points (0,0), (1,1): x(s) = y(s) = 3s^2 - 2s^3, so y = x, a straight line"},
      {"bezier(0.5,0,0.5,1): 0:(0), 4:(t*2), 8:(0)", 9, {{2, 4}, {5, 10}, {8, 0}},
       "bezier eases the gap from 0 toward the expression's 8 at t = 4 (the symmetric ease gives 4 at u = 0.5); "
       "from 4 the expression runs (t*2 = 10 at 5) and 8:(0) ends it"},
  };
  return table;
}

}  // namespace

TEST_CASE("keyframe schedules give Deforum's values at chosen frames", "[unit]") {
  REQUIRE(cases().size() >= 40);
  for (const Case& c : cases()) {
    INFO("schedule: " << c.schedule << "\nwhy: " << c.why);
    const KeyframeSchedule s = KeyframeSchedule::parse("test", c.schedule, c.mode);
    ScheduleContext ctx;
    ctx.max_frames = c.max_frames;
    ctx.seed = c.seed;
    ctx.fps = c.fps;
    const std::vector<double> values = s.evaluate(ctx);
    REQUIRE(values.size() == static_cast<std::size_t>(c.max_frames));
    for (const auto& [frame, expected] : c.expected) {
      INFO("frame " << frame);
      CHECK(values[static_cast<std::size_t>(frame)] == Approx(expected).epsilon(1e-12).margin(1e-12));
      CHECK(s.at(frame, ctx) == values[static_cast<std::size_t>(frame)]);
    }
  }
}

TEST_CASE("bezier ease starts slowly and ends slowly", "[unit]") {
  const auto v = KeyframeSchedule::parse("z", "bezier: 0:(0), 10:(1)").evaluate({11, 12, 0});
  for (int f = 1; f < 5; ++f) CHECK(v[static_cast<std::size_t>(f)] < f / 10.0);
  for (int f = 6; f < 10; ++f) CHECK(v[static_cast<std::size_t>(f)] > f / 10.0);
  for (int f = 1; f < 11; ++f) CHECK(v[static_cast<std::size_t>(f)] > v[static_cast<std::size_t>(f - 1)]);
}

TEST_CASE("the schedule reports its mode and keyframes", "[unit]") {
  const auto s = KeyframeSchedule::parse("zoom", "bezier(0.25,0.1,0.25,1): 0:(1), 10:(2),");
  CHECK(s.interpolation() == Interpolation::Bezier);
  CHECK(s.bezier_points().x1 == 0.25);
  CHECK(s.bezier_points().y1 == 0.1);
  CHECK(s.keyframe_count() == 2);
  CHECK(s.name() == "zoom");
}
