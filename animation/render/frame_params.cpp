#include "animation/render/frame_params.h"

#include "animation/render/schedule_fields.h"

#include "animation/render/prompt_blend.h"
#include "base/json_reader.h"
#include "schedules/composable_prompt.h"
#include "schedules/keyframe_schedule.h"
#include "schedules/prompt_schedule.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <functional>

namespace k3::anim {

std::vector<FrameParams> evaluate_frame_params(const RenderSettings& s, std::int64_t seed, const std::string& source) {
  std::vector<FrameParams> frames(static_cast<std::size_t>(s.frames));
  std::vector<JsonProblem> issues;
  sched::ScheduleContext ctx;
  ctx.max_frames = s.frames;
  ctx.fps = s.fps;
  ctx.seed = seed;
  const auto mode = s.interpolation;

  // Evaluates one schedule and stores each frame's value through `store`.
  auto apply = [&](const std::string& path, const std::string& text, double min_value, double max_value,
                   const std::function<void(FrameParams&, double)>& store) {
    try {
      std::string name = path.substr(path.rfind('.') + 1);
      auto values = sched::KeyframeSchedule::parse(name, text, mode).evaluate(ctx);
      for (std::size_t i = 0; i < frames.size(); ++i) {
        double v = values[i];
        if (v < min_value || v > max_value) {
          issues.push_back({path, "expected values in [" + std::to_string(min_value) + ", " + std::to_string(max_value) +
                                      "], got " + std::to_string(v) + " at frame " + std::to_string(i)});
          return;
        }
        store(frames[i], v);
      }
    } catch (const sched::ScheduleError& e) {
      issues.push_back({path, e.what()});
    }
  };
  for (const auto& field : schedule_fields())
    if (!field.active || field.active(s)) apply(field.path(), field.text_of(s), field.min_value, field.max_value, field.store);

  try {
    // {"prompt": ..., "negative": ...} entries become Deforum's "prompt --neg negative".
    nlohmann::json prompts = nlohmann::json::object();
    for (auto it = s.prompts.begin(); it != s.prompts.end(); ++it) {
      const auto& v = it.value();
      if (v.is_object())
        prompts[it.key()] = v.at("prompt").get<std::string>() +
                            (v.contains("negative") ? " --neg " + v.at("negative").get<std::string>() : "");
      else
        prompts[it.key()] = v;
    }
    auto schedule = sched::PromptSchedule::from_json(prompts);
    schedule.add_global_prompts("", s.negative_prompt);
    // Deforum's Interpolation mode blends each keyframe prompt into the next across the gap.
    const int blend_frames = s.animation_mode == AnimationMode::Interpolation ? -1 : s.prompt_blend_frames;
    auto evaluated = schedule.evaluate(ctx, blend_frames);
    for (std::size_t i = 0; i < frames.size() && i < evaluated.size(); ++i) {
      auto& p = frames[i].prompt;
      // Backtick weights (composable prompts) take this frame's values.
      sched::ExpressionVariables vars{static_cast<double>(i), static_cast<double>(s.frames - 1), static_cast<double>(seed), s.fps};
      const std::string name = "prompts (frame " + std::to_string(i) + ")";
      p.prompt = sched::evaluate_backticks(evaluated[i].prompt, vars, name);
      p.negative = sched::evaluate_backticks(evaluated[i].negative, vars, name);
      p.next_prompt = sched::evaluate_backticks(evaluated[i].next_prompt, vars, name);
      p.next_negative = sched::evaluate_backticks(evaluated[i].next_negative, vars, name);
      p.blend = evaluated[i].blend;
    }
  } catch (const sched::ScheduleError& e) {
    issues.push_back({"prompts", e.what()});
  }
  // A blend that follows a schedule instead of the straight line (frames with a next prompt).
  if (!s.prompt_blend_schedule.empty())
    apply("prompt_blend_schedule", s.prompt_blend_schedule, 0.0, 1.0, [](FrameParams& f, double v) {
      if (!f.prompt.next_prompt.empty()) f.prompt.blend = v;
    });
  if (!issues.empty()) throw_json_problems(source, issues);
  return frames;
}

std::vector<std::string> prompt_texts(const std::vector<FrameParams>& params, int from, int to) {
  std::vector<std::string> texts;
  std::set<std::string> seen;
  to = std::min(to, static_cast<int>(params.size()));
  for (int f = std::max(from, 0); f < to; ++f) {
    // The texts the model is conditioned on: composable parts and blends split, negatives.
    for (const std::string& text : frame_prompt_texts(params[static_cast<std::size_t>(f)].prompt))
      if (!text.empty() && seen.insert(text).second) texts.push_back(text);
  }
  return texts;
}

}  // namespace k3::anim
