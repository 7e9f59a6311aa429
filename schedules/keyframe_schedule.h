#pragma once
// Deforum keyframe schedules: `0:(1.0), 10:(1.02), 30:(1.0 + 0.002*sin(1.25*3.14*t/30))`
// turned into one value per frame.
// Follows deforum-art/sd-webui-deforum scripts/deforum_helpers/animation_key_frames.py
// (FrameInterpolater.parse_key_frames + get_inbetweens); each deliberate difference is listed.
//
// Syntax
//   schedule  := [mode ':'] keyframe (',' keyframe)* [',']
//   keyframe  := key ':' value
//   mode      := step | linear | cubic | bezier | bezier(x1,y1,x2,y2)     (case-insensitive)
//   Splitting happens only at commas outside parentheses and quotes, so `max(t,5)` and
//   `where(t>5,1,2)` work (Deforum splits on every comma and breaks them).
//   A key is an integer (`10`, `"10"`, `(10)`) or an expression of max_f, s, fps in optional
//   quotes (`"max_f-1"`); an expression key is truncated toward zero as Python's int() does.
//   A literal key with a fraction (`1.5`) is an error (Deforum's int('1.5') raises).
//   A value is a number or an expression of t, max_f, s, fps (expression.h), usually in
//   parentheses; `0:1.0` without them is accepted, as Deforum accepts it. Quotes in a value
//   are ignored (Deforum strips them before its number test).
//   Whitespace (newlines included) around keys and values and one trailing comma are
//   accepted; an empty keyframe between two commas is an error.
//   Columns in errors are 1-based offsets into the whole string (bytes; characters for ASCII).
//
// Interpolation mode, chosen without breaking Deforum's syntax
//   1. An optional prefix in the string: `cubic: 0:(1), 10:(2), 20:(1)`. The mode names are
//      not variables, so no valid Deforum string starts with one; Deforum strings parse as
//      they are and mean what they meant.
//   2. Otherwise the `mode` argument of parse(), which a settings loader fills from a
//      separate key (e.g. `zoom_interpolation`). The prefix wins when both are given.
//   linear : Deforum's behaviour (its Cubic/Quadratic branches are dead code there).
//   step   : a numeric keyframe's value holds until the next keyframe.
//   cubic  : Catmull-Rom: cubic Hermite through the keyframes with tangents
//            (v[j+1]-v[j-1])/(x[j+1]-x[j-1]) in frame units; one-sided at the first and last
//            keyframe, so two keyframes give a straight line.
//   bezier : each gap eased by the cubic Bezier (0,0),(x1,y1),(x2,y2),(1,1) as in Parseq's
//            bez() and CSS; default control points (0.5, 0, 0.5, 1), an ease-in-out.
//
// Semantics (exactly Deforum's, for every mode where a mode does not apply)
//   - A value is "a plain number" when, after removing quotes and parentheses, it matches
//     Deforum's number test ^[+-]?[0-9]*(\.[0-9]+)?$ (no exponent, no inner spaces).
//     Plain numbers are interpolated between. Anything else is an expression keyframe, even
//     a constant one like `(1e-3)`, `(1/3)` or `( 1.0 )`: Deforum does the same.
//   - An expression keyframe is evaluated on every frame from its key up to the next
//     keyframe, with t = the frame, max_f = max_frames - 1, s = seed. It does not blend into
//     the next keyframe: the value jumps there.
//   - Between a plain-number keyframe and the next keyframe, frames are interpolated toward
//     the next keyframe's value at its own frame (for an expression key: evaluated at t = key).
//   - Before the first keyframe the first value holds (Deforum raises UnboundLocalError when
//     frame 0 has no key; holding is what its first_valid_index copy intends); after the last
//     numeric keyframe the last value holds.
//   - Keyframes outside 0..max_frames-1 are dropped, as Deforum's frame loop never visits
//     them: `0:(0), 100:(10)` over 50 frames is 0 throughout, not a partial ramp.
//   - Duplicate frames: the keyframe written last wins (Deforum's dict assignment).
//   - NaN or infinity at any frame is an error naming the frame (Deforum lets NaN through).
#include "schedules/expression.h"
#include "schedules/schedule_error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace k3::sched {

constexpr std::size_t kMaxScheduleLength = 1 << 20;  // a per-frame Parseq export of ~50k frames
constexpr int kMaxFrames = 10'000'000;

struct ScheduleContext {
  int max_frames = 1;
  double fps = 12;
  std::int64_t seed = 0;
};

enum class Interpolation { Linear /*Deforum default*/, Step, Cubic, Bezier };

const char* to_string(Interpolation mode);

struct BezierControlPoints {
  double x1 = 0.5, y1 = 0.0, x2 = 0.5, y2 = 1.0;
};

class KeyframeSchedule {
 public:
  // Throws ScheduleError naming `name`.
  static KeyframeSchedule parse(const std::string& name, const std::string& text,
                                Interpolation mode = Interpolation::Linear);

  // One value per frame 0..max_frames-1; throws ScheduleError on NaN/inf naming the frame.
  std::vector<double> evaluate(const ScheduleContext& ctx) const;
  // The value at one frame (0 <= frame < max_frames), same result as evaluate(ctx)[frame].
  double at(int frame, const ScheduleContext& ctx) const;
  // The frames that carry a keyframe in this context (sorted; duplicates and out-of-range
  // keys removed), e.g. to mark them on a plot.
  std::vector<int> keyframe_frames(const ScheduleContext& ctx) const;

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  Interpolation interpolation() const { return mode_; }
  const BezierControlPoints& bezier_points() const { return bezier_; }
  std::size_t keyframe_count() const { return keyframes_.size(); }

 private:
  struct Keyframe {
    std::size_t key_offset = 0;    // where the key starts in text_
    bool key_is_literal = false;
    double literal_frame = 0;      // when key_is_literal
    Expression key;                // otherwise
    std::size_t value_offset = 0;  // where the value starts in text_
    bool value_is_number = false;  // Deforum's "plain number" test
    double number = 0;
    Expression value;              // otherwise
  };
  // A keyframe placed on a frame for one context.
  struct Knot {
    int frame = 0;
    int keyframe = 0;         // index into keyframes_
    double value_at_key = 0;  // the number, or the expression at t = frame
  };
  struct Resolved;

  Resolved resolve(const ScheduleContext& ctx) const;
  double value_at(const Resolved& r, std::size_t knot, int frame) const;
  double expression_at(int keyframe, int frame, const Resolved& r) const;
  [[noreturn]] void fail(ScheduleErrorKind kind, int keyframe, std::size_t offset, int frame,
                         std::string detail) const;

  std::string name_;
  std::string text_;
  Interpolation mode_ = Interpolation::Linear;
  BezierControlPoints bezier_;
  std::vector<Keyframe> keyframes_;
};

}  // namespace k3::sched
