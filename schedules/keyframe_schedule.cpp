// KeyframeSchedule evaluation: keyframes placed on frames, then the frames between filled.
// Follows deforum-art/sd-webui-deforum animation_key_frames.py get_inbetweens (the pandas
// linear fill with limit_direction='both'); see keyframe_schedule.h for the semantics.
#include "schedules/interpolation.h"
#include "schedules/keyframe_schedule.h"

#include <algorithm>
#include <cmath>

namespace k3::sched {

struct KeyframeSchedule::Resolved {
  ExpressionVariables vars;
  int max_frames = 1;
  std::vector<Knot> knots;    // sorted by frame, one per frame
  std::vector<double> slope;  // cubic mode: tangent at each knot, value per frame
};

namespace {

void check_context(const ScheduleContext& ctx, const std::string& name) {
  std::string problem;
  if (ctx.max_frames < 1 || ctx.max_frames > kMaxFrames)
    problem = "expected max_frames in 1.." + std::to_string(kMaxFrames) + ", got " + std::to_string(ctx.max_frames);
  else if (!(std::isfinite(ctx.fps) && ctx.fps > 0))
    problem = "expected fps > 0, got " + std::to_string(ctx.fps);
  if (problem.empty()) return;
  ScheduleErrorInfo info;
  info.kind = ScheduleErrorKind::BadContext;
  info.schedule = name;
  info.detail = problem;
  throw ScheduleError(std::move(info));
}

}  // namespace

double KeyframeSchedule::expression_at(int keyframe, int frame, const Resolved& r) const {
  ExpressionVariables vars = r.vars;
  // Deforum sets t = i, the frame index, before numexpr.evaluate.
  vars.t = frame;
  const double v = keyframes_[static_cast<std::size_t>(keyframe)].value.evaluate(vars);
  if (!std::isfinite(v))
    fail(ScheduleErrorKind::NonFinite, keyframe, keyframes_[static_cast<std::size_t>(keyframe)].value_offset, frame,
         std::string("expected a finite value, the expression gives ") + (std::isnan(v) ? "NaN" : "infinity") +
             " at t = " + std::to_string(frame));
  return v;
}

KeyframeSchedule::Resolved KeyframeSchedule::resolve(const ScheduleContext& ctx) const {
  check_context(ctx, name_);
  Resolved r;
  r.max_frames = ctx.max_frames;
  // Deforum's scope for numexpr: max_f = max_frames - 1, s = seed (t is set per frame).
  r.vars.max_f = ctx.max_frames - 1;
  r.vars.s = static_cast<double>(ctx.seed);
  r.vars.fps = ctx.fps;

  // frame -> keyframe index; later keyframes overwrite earlier ones (Deforum's dict).
  std::vector<Knot> placed;
  placed.reserve(keyframes_.size());
  for (std::size_t i = 0; i < keyframes_.size(); ++i) {
    const Keyframe& k = keyframes_[i];
    double frame = k.key_is_literal ? k.literal_frame : k.key.evaluate(r.vars);
    if (std::isnan(frame))
      fail(ScheduleErrorKind::BadFrameKey, static_cast<int>(i), k.key_offset, -1,
           "expected the frame key to give a number, got NaN");
    frame = std::trunc(frame);  // Python's int(): toward zero
    if (!(frame >= 0 && frame < ctx.max_frames)) continue;  // Deforum's loop never visits it
    placed.push_back({static_cast<int>(frame), static_cast<int>(i), 0});
  }
  // Stable sort keeps the written order within a frame; the last one written wins.
  std::stable_sort(placed.begin(), placed.end(), [](const Knot& a, const Knot& b) { return a.frame < b.frame; });
  for (std::size_t i = 0; i < placed.size(); ++i) {
    if (i + 1 < placed.size() && placed[i + 1].frame == placed[i].frame) continue;
    r.knots.push_back(placed[i]);
  }
  if (r.knots.empty()) {
    ScheduleErrorInfo info;
    info.kind = ScheduleErrorKind::NoKeyframeInRange;
    info.schedule = name_;
    info.text = text_;
    info.detail = "expected a keyframe in frames 0.." + std::to_string(ctx.max_frames - 1) + ", got none";
    throw ScheduleError(std::move(info));
  }
  for (Knot& knot : r.knots) {
    const Keyframe& k = keyframes_[static_cast<std::size_t>(knot.keyframe)];
    knot.value_at_key = k.value_is_number ? k.number : expression_at(knot.keyframe, knot.frame, r);
  }
  if (mode_ == Interpolation::Cubic) {
    const std::size_t n = r.knots.size();
    r.slope.assign(n, 0.0);
    for (std::size_t j = 0; j < n && n > 1; ++j) {
      const Knot& a = r.knots[j == 0 ? 0 : j - 1];
      const Knot& b = r.knots[j + 1 == n ? n - 1 : j + 1];
      r.slope[j] = (b.value_at_key - a.value_at_key) / (b.frame - a.frame);
    }
  }
  return r;
}

double KeyframeSchedule::value_at(const Resolved& r, std::size_t index, int frame) const {
  const Knot& knot = r.knots[index];
  if (frame < knot.frame) return knot.value_at_key;  // before the first keyframe: hold it
  const Keyframe& k = keyframes_[static_cast<std::size_t>(knot.keyframe)];
  if (!k.value_is_number) return frame == knot.frame ? knot.value_at_key : expression_at(knot.keyframe, frame, r);
  if (frame == knot.frame || index + 1 == r.knots.size()) return knot.value_at_key;  // after the last: hold
  const Knot& next = r.knots[index + 1];
  const double u = static_cast<double>(frame - knot.frame) / (next.frame - knot.frame);
  switch (mode_) {
    case Interpolation::Step:
      return knot.value_at_key;
    case Interpolation::Cubic:
      return curves::hermite(knot.frame, knot.value_at_key, r.slope[index], next.frame, next.value_at_key,
                             r.slope[index + 1], frame);
    case Interpolation::Bezier:
      return curves::lerp(knot.value_at_key, next.value_at_key,
                          curves::bezier_ease(bezier_.x1, bezier_.y1, bezier_.x2, bezier_.y2, u));
    case Interpolation::Linear:
      break;
  }
  return curves::lerp(knot.value_at_key, next.value_at_key, u);
}

std::vector<double> KeyframeSchedule::evaluate(const ScheduleContext& ctx) const {
  const Resolved r = resolve(ctx);
  std::vector<double> out(static_cast<std::size_t>(ctx.max_frames));
  std::size_t index = 0;  // the last knot at or before the frame (or the first knot)
  for (int f = 0; f < ctx.max_frames; ++f) {
    while (index + 1 < r.knots.size() && r.knots[index + 1].frame <= f) ++index;
    const double v = value_at(r, index, f);
    if (!std::isfinite(v))  // finite keys can still overshoot to infinity in cubic mode
      fail(ScheduleErrorKind::NonFinite, r.knots[index].keyframe,
           keyframes_[static_cast<std::size_t>(r.knots[index].keyframe)].value_offset, f,
           "expected a finite value, interpolation gives " + std::string(std::isnan(v) ? "NaN" : "infinity"));
    out[static_cast<std::size_t>(f)] = v;
  }
  return out;
}

double KeyframeSchedule::at(int frame, const ScheduleContext& ctx) const {
  const Resolved r = resolve(ctx);
  if (frame < 0 || frame >= ctx.max_frames) {
    ScheduleErrorInfo info;
    info.kind = ScheduleErrorKind::BadContext;
    info.schedule = name_;
    info.frame = frame;
    info.detail = "expected a frame in 0.." + std::to_string(ctx.max_frames - 1) + ", got " + std::to_string(frame);
    throw ScheduleError(std::move(info));
  }
  auto it = std::upper_bound(r.knots.begin(), r.knots.end(), frame,
                             [](int f, const Knot& k) { return f < k.frame; });
  const std::size_t index = it == r.knots.begin() ? 0 : static_cast<std::size_t>(it - r.knots.begin()) - 1;
  const double v = value_at(r, index, frame);
  if (!std::isfinite(v))
    fail(ScheduleErrorKind::NonFinite, r.knots[index].keyframe,
         keyframes_[static_cast<std::size_t>(r.knots[index].keyframe)].value_offset, frame,
         "expected a finite value, interpolation gives " + std::string(std::isnan(v) ? "NaN" : "infinity"));
  return v;
}

std::vector<int> KeyframeSchedule::keyframe_frames(const ScheduleContext& ctx) const {
  std::vector<int> frames;
  for (const Knot& k : resolve(ctx).knots) frames.push_back(k.frame);
  return frames;
}

}  // namespace k3::sched
