#pragma once
// Prompt schedules: `{ "0": "winter forest", "48": "spring forest --neg blurry" }`.
// Follows deforum-art/sd-webui-deforum render.py (prompt series: keys, ffill/bfill),
// prompt.py (`--neg` split, interpolate_prompts for the blend weights).
//
//   - A key is a digit string or an expression of max_f, s, fps (`"max_f/2"`), truncated
//     toward zero like Python's int(). max_f = max_frames - 1 everywhere (Deforum has it
//     undefined in 2D/3D mode and = max_frames in Interpolation mode; one meaning is better).
//   - Keys outside 0..max_frames-1 are dropped. Two keys on the same frame are an error: the
//     JSON object's order is not kept, so "the last one wins" would be arbitrary.
//   - The negative prompt follows `--neg`; both sides are trimmed. Two `--neg` are an error
//     (Deforum's two-way unpacking raises).
//   - Prompts hold until the next key (forward fill) and the first one also covers the frames
//     before it (back fill).
//   - Blending (for the renderer, which interpolates the two prompts' embeddings): with
//     blend_frames = W > 0, the last W frames before each key b (W capped at the gap a..b)
//     carry the next prompt and weight (f - (b - W)) / W, from 0 up to (W-1)/W; frame b itself
//     is the next prompt alone. blend_frames = -1 blends across the whole gap, which is
//     Deforum's Interpolation mode: weight (f - a) / (b - a). 0 switches hard (2D/3D mode).
//   - Backtick weight expressions (`` `1+t/max_f` ``) are left in the text unchanged.
#include "schedules/expression.h"
#include "schedules/keyframe_schedule.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace k3::sched {

struct FramePrompt {
  std::string prompt, negative;
  std::string next_prompt, next_negative;
  double blend = 0; /* 0 = prompt only; else the weight of next_prompt / next_negative */
};

class PromptSchedule {
 public:
  // Throws ScheduleError (kind BadPrompt, or an expression error in a key) naming `name`.
  static PromptSchedule from_json(const nlohmann::json& j, const std::string& name = "prompts");

  // Deforum's animation_prompts_positive / _negative: the positive text goes before every
  // prompt, the negative text after every negative prompt (joined by one space).
  void add_global_prompts(const std::string& positive, const std::string& negative);

  std::vector<FramePrompt> evaluate(const ScheduleContext& ctx, int blend_frames = 0) const;
  // Every distinct text the frames use (prompts and negatives, "" included when a prompt has
  // no negative), in order of first use: what the text encoder has to embed.
  std::vector<std::string> unique_prompts(const ScheduleContext& ctx) const;

  struct Entry {
    std::string key;  // as written in the JSON
    bool key_is_literal = false;
    double literal_frame = 0;
    Expression key_expression;
    std::string prompt, negative;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  struct Placed {
    int frame;
    std::size_t entry;
  };
  std::vector<Placed> place(const ScheduleContext& ctx) const;

  std::string name_;
  std::vector<Entry> entries_;
};

// Splits "text --neg negative" into its trimmed halves. Throws ScheduleError on a second --neg.
std::pair<std::string, std::string> split_negative_prompt(const std::string& text, const std::string& name = "prompts");

}  // namespace k3::sched
