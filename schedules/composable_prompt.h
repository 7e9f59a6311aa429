#pragma once
// Composable prompts as Deforum and A1111 users write them: `a forest :0.7 AND snow :0.3`, with
// per-frame weights in backticks (`` a forest :`1-t/max_f` AND snow :`t/max_f` ``).
// Backtick sections are evaluated with the schedule evaluator (expression.h: t = frame,
// max_f = frames - 1, s, fps), as Deforum's prompt.py does with numexpr; the text is then split
// at the word AND, and a trailing `:weight` gives each part its weight (1 when absent), as A1111's
// composable diffusion (modules/prompt_parser.py get_multicond_prompt_list) reads it.
#include "schedules/expression.h"

#include <string>
#include <vector>

namespace k3::sched {

struct WeightedPrompt {
  std::string text;
  double weight = 1;
};

// Replaces every `...` section by its value at `vars` (shortest form that round-trips). Throws
// ScheduleError naming `name` with the column in `text` for a bad expression or an unclosed `.
std::string evaluate_backticks(const std::string& text, const ExpressionVariables& vars, const std::string& name);

// Splits at the word AND (whole word, upper case) and reads each part's trailing `:number`.
// Parts are trimmed; empty parts are dropped; a text without AND is one part of weight 1.
std::vector<WeightedPrompt> split_composable(const std::string& text);

// Adds `parts` scaled by `scale` into `into`, merging equal texts (weights summed).
void add_weighted(std::vector<WeightedPrompt>& into, const std::vector<WeightedPrompt>& parts, double scale);

}  // namespace k3::sched
