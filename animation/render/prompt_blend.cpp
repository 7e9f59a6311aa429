// Blending keyframe prompts as conditions, not as text: Deforum's Interpolation mode and
// prompt blending (sd-webui-deforum scripts/deforum_helpers/render_modes.py, which writes
// `A :w1 AND B :w2` for A1111's composable diffusion).
#include "animation/render/prompt_blend.h"

#include <algorithm>

namespace k3::anim {

std::vector<sched::WeightedPrompt> frame_prompt_parts(const FramePromptText& p) {
  std::vector<sched::WeightedPrompt> parts;
  const bool blending = !p.next_prompt.empty() && p.blend > 0;
  sched::add_weighted(parts, sched::split_composable(p.prompt), blending ? 1.0 - p.blend : 1.0);
  if (blending) sched::add_weighted(parts, sched::split_composable(p.next_prompt), p.blend);
  std::vector<sched::WeightedPrompt> kept;
  for (const auto& part : parts)
    if (part.weight != 0) kept.push_back(part);
  if (kept.empty() && !parts.empty()) kept.push_back(parts.front());  // all zero: the unconditional prediction
  return kept;
}

std::vector<std::string> frame_prompt_texts(const FramePromptText& p) {
  std::vector<std::string> texts;
  for (const auto& part : frame_prompt_parts(p)) texts.push_back(part.text);
  for (const std::string* negative : {&p.negative, &p.next_negative})
    if (std::find(texts.begin(), texts.end(), *negative) == texts.end()) texts.push_back(*negative);
  return texts;
}

}  // namespace k3::anim
