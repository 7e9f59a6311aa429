#pragma once
// The conditions of one diffused frame: the composable parts of its prompt (`A :w1 AND B :w2`,
// backtick weights already evaluated for the frame) weighted by 1 - blend, and those of the
// prompt it blends towards weighted by blend; equal texts merged, zero weights dropped. One
// part of weight 1 is the plain prompt (the same computation as a prompt without AND).
#include "animation/render/frame_params.h"
#include "schedules/composable_prompt.h"

#include <string>
#include <vector>

namespace k3::anim {

std::vector<sched::WeightedPrompt> frame_prompt_parts(const FramePromptText& prompt);

// Every text the text encoder sees for this frame (parts and negatives), for the embedding cache.
std::vector<std::string> frame_prompt_texts(const FramePromptText& prompt);

}  // namespace k3::anim
