// Formatting of schedule errors: location line, excerpt, caret.
#include "schedules/schedule_error.h"

#include <algorithm>

namespace k3::sched {

const char* to_string(ScheduleErrorKind kind) {
  switch (kind) {
    case ScheduleErrorKind::Syntax: return "syntax error";
    case ScheduleErrorKind::MissingColon: return "missing ':'";
    case ScheduleErrorKind::EmptyValue: return "empty value";
    case ScheduleErrorKind::EmptyKey: return "empty frame key";
    case ScheduleErrorKind::BadFrameKey: return "bad frame key";
    case ScheduleErrorKind::UnknownVariable: return "unknown variable";
    case ScheduleErrorKind::UnknownFunction: return "unknown function";
    case ScheduleErrorKind::WrongArgumentCount: return "wrong argument count";
    case ScheduleErrorKind::NumberOutOfRange: return "number out of range";
    case ScheduleErrorKind::TooLong: return "too long";
    case ScheduleErrorKind::TooDeep: return "nested too deeply";
    case ScheduleErrorKind::EmptySchedule: return "empty schedule";
    case ScheduleErrorKind::NoKeyframeInRange: return "no keyframe in range";
    case ScheduleErrorKind::NonFinite: return "not a finite number";
    case ScheduleErrorKind::BadInterpolation: return "bad interpolation";
    case ScheduleErrorKind::BadPrompt: return "bad prompt";
    case ScheduleErrorKind::BadContext: return "bad context";
  }
  return "error";
}

namespace {

// Control characters would break the caret alignment (and the terminal): show them as '?'.
std::string printable(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

// The excerpt line and the caret line. Long texts are cut to a window around the column so
// the caret stays on screen: "...<window>...".
void append_excerpt(std::string& out, const std::string& text, int column) {
  constexpr std::size_t kWindow = 72;
  std::size_t begin = 0;
  std::size_t end = text.size();
  std::size_t caret = column > 0 ? static_cast<std::size_t>(column - 1) : 0;
  caret = std::min(caret, text.size());
  std::string prefix, suffix;
  if (text.size() > kWindow) {
    begin = caret > kWindow / 2 ? caret - kWindow / 2 : 0;
    end = std::min(text.size(), begin + kWindow);
    if (begin > 0) prefix = "...";
    if (end < text.size()) suffix = "...";
  }
  out += "\n  " + prefix + printable(text.substr(begin, end - begin)) + suffix;
  if (column > 0) {
    // One space per displayed character: UTF-8 continuation bytes take no room.
    std::size_t width = 0;
    for (std::size_t i = begin; i < caret; ++i)
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++width;
    out += "\n  " + std::string(prefix.size() + width, ' ') + "^";
  }
}

}  // namespace

std::string format_schedule_error(const ScheduleErrorInfo& info) {
  std::string out = "schedule '" + info.schedule + "'";
  if (info.frame >= 0) out += ", frame " + std::to_string(info.frame);
  if (info.keyframe >= 0) out += ", keyframe " + std::to_string(info.keyframe);
  if (info.column > 0) out += ", column " + std::to_string(info.column);
  out += ": ";
  out += to_string(info.kind);
  if (!info.detail.empty()) out += ": " + info.detail;
  if (!info.text.empty()) append_excerpt(out, info.text, info.column);
  return out;
}

ScheduleError::ScheduleError(ScheduleErrorInfo info)
    : k3::ConfigError(format_schedule_error(info)), info_(std::move(info)) {}

}  // namespace k3::sched
