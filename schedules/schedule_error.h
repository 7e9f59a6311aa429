#pragma once
// ScheduleError: a bad keyframe string, prompt schedule or expression, located precisely.
// The message names the schedule, the keyframe (0-based, in the order written), the column
// (1-based, in the schedule string as given) and, for evaluation errors, the frame; a second
// line repeats the offending text and a third puts a caret under the column.
#include "base/errors.h"

#include <string>

namespace k3::sched {

enum class ScheduleErrorKind {
  Syntax,            // unexpected character or token, unbalanced parenthesis, missing operand
  MissingColon,      // a keyframe without `key:value`
  EmptyValue,        // `10:` or `10:()`
  EmptyKey,          // `:(1)`
  BadFrameKey,       // a frame key that is not an integer (`1.5:(0)`) or evaluates to NaN
  UnknownVariable,   // a name that is not t, max_f, s, fps, pi, e (or `t` in a frame key)
  UnknownFunction,   // a call of a function that is not in the whitelist
  WrongArgumentCount,
  NumberOutOfRange,  // a literal that does not fit a double
  TooLong,           // a schedule or expression beyond the length bound
  TooDeep,           // an expression nested beyond the depth bound
  EmptySchedule,     // nothing but whitespace and commas
  NoKeyframeInRange, // every frame key falls outside 0..max_frames-1
  NonFinite,         // NaN or infinity at some frame
  BadInterpolation,  // an unknown or malformed interpolation prefix
  BadPrompt,         // prompt schedule: value not a string, two `--neg`, duplicate frame
  BadContext,        // max_frames < 1 or beyond the bound, fps <= 0
};

const char* to_string(ScheduleErrorKind kind);

struct ScheduleErrorInfo {
  ScheduleErrorKind kind = ScheduleErrorKind::Syntax;
  std::string schedule;  // schedule name, e.g. "zoom"
  std::string text;      // the whole schedule string (or the prompt key/value at fault)
  int keyframe = -1;     // 0-based keyframe index in the order written; -1 when not applicable
  int column = 0;        // 1-based byte offset in `text` (the character for ASCII); 0: none
  int frame = -1;        // frame being evaluated; -1 at parse time
  std::string detail;    // "unknown function 'sinn'", "expected ')', got end of text", ...
};

struct ScheduleError : k3::ConfigError {
  explicit ScheduleError(ScheduleErrorInfo info);
  const ScheduleErrorInfo& info() const { return info_; }
  ScheduleErrorKind kind() const { return info_.kind; }
  int column() const { return info_.column; }
  int keyframe() const { return info_.keyframe; }
  int frame() const { return info_.frame; }

 private:
  ScheduleErrorInfo info_;
};

// "schedule 'zoom', keyframe 2, column 17: <detail>" followed by the excerpt and caret lines.
std::string format_schedule_error(const ScheduleErrorInfo& info);

}  // namespace k3::sched
