// Prompt schedules: keys to frames, `--neg` split, hold and blend.
// Follows deforum-art/sd-webui-deforum render.py and prompt.py (see prompt_schedule.h).
#include "schedules/prompt_schedule.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace k3::sched {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trimmed(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

[[noreturn]] void fail_prompt(const std::string& name, const std::string& text, int keyframe, std::size_t offset,
                              std::string detail) {
  ScheduleErrorInfo info;
  info.kind = ScheduleErrorKind::BadPrompt;
  info.schedule = name;
  info.text = text;
  info.keyframe = keyframe;
  info.column = text.empty() ? 0 : static_cast<int>(offset) + 1;
  info.detail = std::move(detail);
  throw ScheduleError(std::move(info));
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::pair<std::string, std::string> split_negative_prompt(const std::string& text, const std::string& name) {
  static const std::string kNeg = "--neg";
  const std::size_t first = text.find(kNeg);
  if (first == std::string::npos) return {trimmed(text), ""};
  const std::size_t second = text.find(kNeg, first + kNeg.size());
  if (second != std::string::npos)
    fail_prompt(name, text, -1, second, "expected at most one '--neg', got a second one");
  return {trimmed(text.substr(0, first)), trimmed(text.substr(first + kNeg.size()))};
}

PromptSchedule PromptSchedule::from_json(const nlohmann::json& j, const std::string& name) {
  if (!j.is_object())
    fail_prompt(name, "", -1, 0,
                std::string("expected a JSON object {\"frame\": \"prompt\", ...}, got ") + j.type_name());
  PromptSchedule s;
  s.name_ = name;
  int index = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++index) {
    Entry e;
    e.key = it.key();
    if (!it.value().is_string())
      fail_prompt(name, e.key, index, 0,
                  "expected a string prompt for key '" + e.key + "', got " + it.value().type_name());
    // Deforum: str(key).isdigit() -> int(key); otherwise int(numexpr.evaluate(key)).
    const std::string key = trimmed(e.key);
    if (key.empty()) fail_prompt(name, e.key, index, 0, "expected a frame key, got an empty string");
    try {
      e.key_expression = Expression::parse(e.key, VariableScope::FrameKey);
    } catch (const ScheduleError& err) {
      ScheduleErrorInfo info = err.info();
      info.schedule = name;
      info.keyframe = index;
      info.detail = "in frame key '" + e.key + "': " + info.detail;
      throw ScheduleError(std::move(info));
    }
    if (all_digits(key)) {
      e.key_is_literal = true;
      e.literal_frame = 0;
      for (char c : key) e.literal_frame = std::min(e.literal_frame * 10 + (c - '0'), 1e15);  // huge: dropped later
    }
    try {
      std::tie(e.prompt, e.negative) = split_negative_prompt(it.value().get<std::string>(), name);
    } catch (const ScheduleError& err) {
      ScheduleErrorInfo info = err.info();
      info.keyframe = index;
      info.detail = "in the prompt of key '" + e.key + "': " + info.detail;
      throw ScheduleError(std::move(info));
    }
    s.entries_.push_back(std::move(e));
  }
  if (s.entries_.empty()) fail_prompt(name, "", -1, 0, "expected at least one prompt, got an empty object");
  return s;
}

void PromptSchedule::add_global_prompts(const std::string& positive, const std::string& negative) {
  for (Entry& e : entries_) {
    e.prompt = join(trimmed(positive), e.prompt);
    e.negative = join(e.negative, trimmed(negative));
  }
}

std::vector<PromptSchedule::Placed> PromptSchedule::place(const ScheduleContext& ctx) const {
  if (ctx.max_frames < 1 || ctx.max_frames > kMaxFrames) {
    ScheduleErrorInfo info;
    info.kind = ScheduleErrorKind::BadContext;
    info.schedule = name_;
    info.detail = "expected max_frames in 1.." + std::to_string(kMaxFrames) + ", got " + std::to_string(ctx.max_frames);
    throw ScheduleError(std::move(info));
  }
  ExpressionVariables vars;
  vars.max_f = ctx.max_frames - 1;
  vars.s = static_cast<double>(ctx.seed);
  vars.fps = ctx.fps;
  std::vector<Placed> placed;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    double frame = e.key_is_literal ? e.literal_frame : e.key_expression.evaluate(vars);
    if (std::isnan(frame)) fail_prompt(name_, e.key, static_cast<int>(i), 0, "expected the key to give a frame, got NaN");
    frame = std::trunc(frame);
    if (!(frame >= 0 && frame < ctx.max_frames)) continue;
    placed.push_back({static_cast<int>(frame), i});
  }
  std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) { return a.frame < b.frame; });
  for (std::size_t i = 1; i < placed.size(); ++i)
    if (placed[i].frame == placed[i - 1].frame)
      fail_prompt(name_, entries_[placed[i].entry].key, static_cast<int>(placed[i].entry), 0,
                  "keys '" + entries_[placed[i - 1].entry].key + "' and '" + entries_[placed[i].entry].key +
                      "' both give frame " + std::to_string(placed[i].frame));
  if (placed.empty()) {
    ScheduleErrorInfo info;
    info.kind = ScheduleErrorKind::NoKeyframeInRange;
    info.schedule = name_;
    info.detail = "expected a prompt key in frames 0.." + std::to_string(ctx.max_frames - 1) + ", got none";
    throw ScheduleError(std::move(info));
  }
  return placed;
}

std::vector<FramePrompt> PromptSchedule::evaluate(const ScheduleContext& ctx, int blend_frames) const {
  const std::vector<Placed> placed = place(ctx);
  std::vector<FramePrompt> out(static_cast<std::size_t>(ctx.max_frames));
  std::size_t k = 0;
  for (int f = 0; f < ctx.max_frames; ++f) {
    while (k + 1 < placed.size() && placed[k + 1].frame <= f) ++k;
    const Entry& cur = entries_[placed[k].entry];
    FramePrompt& fp = out[static_cast<std::size_t>(f)];
    fp.prompt = cur.prompt;
    fp.negative = cur.negative;
    if (blend_frames == 0 || f < placed[k].frame || k + 1 == placed.size()) continue;
    const int a = placed[k].frame;
    const int b = placed[k + 1].frame;
    const int window = blend_frames < 0 ? b - a : std::min(blend_frames, b - a);
    const int start = b - window;
    if (f <= start) continue;  // weight 0 at the window's first frame
    const Entry& next = entries_[placed[k + 1].entry];
    fp.next_prompt = next.prompt;
    fp.next_negative = next.negative;
    fp.blend = static_cast<double>(f - start) / window;
  }
  return out;
}

std::vector<std::string> PromptSchedule::unique_prompts(const ScheduleContext& ctx) const {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const Placed& p : place(ctx)) {
    for (const std::string* text : {&entries_[p.entry].prompt, &entries_[p.entry].negative})
      if (seen.insert(*text).second) out.push_back(*text);
  }
  return out;
}

}  // namespace k3::sched
