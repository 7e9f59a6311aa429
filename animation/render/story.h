#pragma once
// Story mode (deforum-kandinsky's API, spec deforum.md 4.1): segments with a prompt (or init
// image), a duration and a motion preset name, stitched into one clip by writing each
// segment's motion into keyframe schedules.
#include "animation/render/render_settings.h"

#include <functional>
#include <string>

namespace k3::anim {

// Loads a motion preset by name (its story_motion is used).
using MotionPresetLoader = std::function<RenderSettings(const std::string& name)>;

// Returns the settings with `story` replaced by prompts, motion schedules, the frame count,
// the animation mode, frame 0's init image and the later segments' images (keyframe_images). Segment i starts at frame round(T_i * fps),
// T_i the sum of the earlier durations (deforum-kandinsky assumed 24 fps for the motion and
// the real fps for the prompts; here both use the real fps). Throws k3::ConfigError naming
// story[i].motion when a motion preset is unknown or has no story_motion.
RenderSettings expand_story(const RenderSettings& settings, const MotionPresetLoader& load_motion);

}  // namespace k3::anim
