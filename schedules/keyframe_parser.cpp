// KeyframeSchedule::parse: the keyframe string into keys and values.
// Follows deforum-art/sd-webui-deforum animation_key_frames.py parse_key_frames (see the header
// for where and why this parser differs: commas in parentheses, trailing comma, errors).
#include "schedules/keyframe_schedule.h"
#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace k3::sched {

const char* to_string(Interpolation mode) {
  switch (mode) {
    case Interpolation::Linear: return "linear";
    case Interpolation::Step: return "step";
    case Interpolation::Cubic: return "cubic";
    case Interpolation::Bezier: return "bezier";
  }
  return "linear";
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_quote(char c) { return c == '"' || c == '\''; }

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;  // exclusive
  bool empty() const { return begin >= end; }
};

Span trim(const std::string& s, Span span) {
  while (span.begin < span.end && is_space(s[span.begin])) ++span.begin;
  while (span.end > span.begin && is_space(s[span.end - 1])) --span.end;
  return span;
}

// Deforum's check_is_number: ^(?=.)([+-]?([0-9]*)(\.([0-9]+))?)$ applied after removing quotes
// and parentheses. A lone sign matches that regex but float('-') then raises in Deforum; it is
// not a number here (it fails later as an expression).
bool deforum_is_number(const std::string& s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t frac = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac;
    if (frac == 0) return false;
    digits += frac;
  }
  return i == s.size() && digits > 0;
}

std::string without_quotes_and_parens(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!is_quote(c) && c != '(' && c != ')') out += c;
  return out;
}

// Value of a string that passed deforum_is_number (from_chars takes no leading '+').
double parse_plain_number(std::string s) {
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) return HUGE_VAL;  // rejected by the caller
  return v;
}

}  // namespace

void KeyframeSchedule::fail(ScheduleErrorKind kind, int keyframe, std::size_t offset, int frame,
                            std::string detail) const {
  ScheduleErrorInfo info;
  info.kind = kind;
  info.schedule = name_;
  info.text = text_;
  info.keyframe = keyframe;
  info.column = static_cast<int>(std::min(offset, text_.size())) + 1;
  info.frame = frame;
  info.detail = std::move(detail);
  throw ScheduleError(std::move(info));
}

namespace {

// Parses the expression text_[span] (with `blanked` quote characters) and re-throws its errors
// located in the whole schedule string.
Expression parse_embedded(const std::string& text, Span span, VariableScope scope, const std::string& name,
                          int keyframe) {
  std::string piece = text.substr(span.begin, span.end - span.begin);
  for (char& c : piece)
    if (is_quote(c)) c = ' ';  // quotes are ignored; blanking them keeps the columns
  try {
    return Expression::parse(piece, scope);
  } catch (const ScheduleError& e) {
    ScheduleErrorInfo info = e.info();
    info.schedule = name;
    info.text = text;
    info.keyframe = keyframe;
    info.column = static_cast<int>(span.begin) + std::max(info.column, 1);
    throw ScheduleError(std::move(info));
  }
}

}  // namespace

KeyframeSchedule KeyframeSchedule::parse(const std::string& name, const std::string& text, Interpolation mode) {
  KeyframeSchedule s;
  s.name_ = name;
  s.text_ = text;
  s.mode_ = mode;
  if (text.size() > kMaxScheduleLength) {
    s.text_ = text.substr(0, 80);
    s.fail(ScheduleErrorKind::TooLong, -1, 0, -1,
           "expected at most " + std::to_string(kMaxScheduleLength) + " characters, got " +
               std::to_string(text.size()));
  }

  std::size_t pos = 0;
  while (pos < text.size() && is_space(text[pos])) ++pos;

  // Optional interpolation prefix `word:` or `bezier(x1,y1,x2,y2):`. A leading word followed
  // by ':' is a prefix only if it names a mode; any other word there is a frame key
  // expression (`max_f:(1)`) and is parsed as one.
  {
    std::size_t w = pos;
    while (w < text.size() && std::isalpha(static_cast<unsigned char>(text[w]))) ++w;
    const std::string word = lower(text.substr(pos, w - pos));
    const bool known = word == "linear" || word == "step" || word == "cubic" || word == "bezier";
    std::size_t after = w;
    while (after < text.size() && is_space(text[after])) ++after;
    if (known && word == "bezier" && after < text.size() && text[after] == '(') {
      const std::size_t close = text.find(')', after);
      if (close == std::string::npos)
        s.fail(ScheduleErrorKind::BadInterpolation, -1, after, -1, "expected ')' to close bezier(x1,y1,x2,y2)");
      double p[4];
      std::size_t q = after + 1;
      for (int i = 0; i < 4; ++i) {
        std::size_t end = text.find(i < 3 ? ',' : ')', q);
        if (end == std::string::npos || end > close)
          s.fail(ScheduleErrorKind::BadInterpolation, -1, close, -1,
                 "expected four numbers in bezier(x1,y1,x2,y2), got " + std::to_string(i + (i < 3 ? 1 : 0)));
        Span field = trim(text, {q, end});
        const std::string num = text.substr(field.begin, field.end - field.begin);
        if (!deforum_is_number(num))
          s.fail(ScheduleErrorKind::BadInterpolation, -1, field.begin, -1,
                 "expected a number in bezier(x1,y1,x2,y2), got '" + num + "'");
        p[i] = parse_plain_number(num);
        if ((i == 0 || i == 2) && (p[i] < 0 || p[i] > 1))
          s.fail(ScheduleErrorKind::BadInterpolation, -1, field.begin, -1,
                 "expected x1 and x2 in [0, 1] (so the ease is a function of time), got " + num);
        if (!std::isfinite(p[i]))
          s.fail(ScheduleErrorKind::BadInterpolation, -1, field.begin, -1, "number out of range: " + num);
        q = end + 1;
      }
      s.bezier_ = {p[0], p[1], p[2], p[3]};
      after = close + 1;
      while (after < text.size() && is_space(text[after])) ++after;
      if (after >= text.size() || text[after] != ':')
        s.fail(ScheduleErrorKind::BadInterpolation, -1, after, -1, "expected ':' after bezier(x1,y1,x2,y2)");
    }
    if (known && after < text.size() && text[after] == ':') {
      s.mode_ = word == "step" ? Interpolation::Step
                : word == "cubic" ? Interpolation::Cubic
                : word == "bezier" ? Interpolation::Bezier
                                   : Interpolation::Linear;
      pos = after + 1;
    } else if (!word.empty() && after < text.size() && text[after] == ':' && w - pos > 0) {
      // `cubc: 0:(1)`: a word, a colon, and then another top-level colon before the first
      // comma means the word was meant as a mode.
      std::size_t depth = 0, k = after + 1;
      bool second_colon = false;
      for (; k < text.size(); ++k) {
        const char c = text[k];
        if (c == '(') ++depth;
        else if (c == ')' && depth > 0) --depth;
        else if (c == ',' && depth == 0) break;
        else if (c == ':' && depth == 0) second_colon = true;
      }
      if (second_colon)
        s.fail(ScheduleErrorKind::BadInterpolation, -1, pos, -1,
               "unknown interpolation '" + text.substr(pos, w - pos) +
                   "' (expected linear, step, cubic, bezier or bezier(x1,y1,x2,y2))");
    }
  }

  // Split into keyframes at commas outside parentheses and quotes.
  std::vector<Span> pieces;
  {
    int depth = 0;
    char quote = 0;
    std::size_t quote_at = 0;
    std::vector<std::size_t> open_at;
    std::size_t start = pos;
    for (std::size_t i = pos; i < text.size(); ++i) {
      const char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (is_quote(c)) {
        quote = c;
        quote_at = i;
      } else if (c == '(') {
        ++depth;
        open_at.push_back(i);
      } else if (c == ')') {
        if (depth == 0)
          s.fail(ScheduleErrorKind::Syntax, static_cast<int>(pieces.size()), i, -1,
                 "expected ',' or a keyframe, got an unmatched ')'");
        --depth;
        open_at.pop_back();
      } else if (c == ',' && depth == 0) {
        pieces.push_back({start, i});
        start = i + 1;
      }
    }
    if (quote)
      s.fail(ScheduleErrorKind::Syntax, static_cast<int>(pieces.size()), quote_at, -1,
             std::string("expected a closing ") + quote + ", got the end of the schedule");
    if (depth > 0)
      s.fail(ScheduleErrorKind::Syntax, static_cast<int>(pieces.size()), open_at.back(), -1,
             "expected ')' to close this '(', got the end of the schedule");
    pieces.push_back({start, text.size()});
  }
  // One trailing comma (and trailing whitespace) is accepted.
  if (pieces.size() > 1 && trim(text, pieces.back()).empty()) pieces.pop_back();

  for (std::size_t index = 0; index < pieces.size(); ++index) {
    const int kf = static_cast<int>(index);
    const Span piece = trim(text, pieces[index]);
    if (piece.empty()) {
      if (pieces.size() == 1)
        s.fail(ScheduleErrorKind::EmptySchedule, -1, 0, -1, "expected at least one 'frame:(value)', got nothing");
      s.fail(ScheduleErrorKind::Syntax, kf, pieces[index].begin, -1,
             "expected a keyframe 'frame:(value)' between two commas, got nothing");
    }
    // The key ends at the first ':' outside parentheses and quotes.
    std::size_t colon = std::string::npos;
    {
      int depth = 0;
      char quote = 0;
      for (std::size_t i = piece.begin; i < piece.end; ++i) {
        const char c = text[i];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (is_quote(c)) {
          quote = c;
        } else if (c == '(') {
          ++depth;
        } else if (c == ')') {
          --depth;
        } else if (c == ':' && depth == 0) {
          colon = i;
          break;
        }
      }
    }
    if (colon == std::string::npos)
      s.fail(ScheduleErrorKind::MissingColon, kf, piece.begin, -1,
             "expected 'frame:(value)', got '" + text.substr(piece.begin, std::min<std::size_t>(piece.end - piece.begin, 40)) +
                 "' without ':'");
    const Span key_span = trim(text, {piece.begin, colon});
    const Span value_span = trim(text, {colon + 1, piece.end});
    if (key_span.empty()) s.fail(ScheduleErrorKind::EmptyKey, kf, colon, -1, "expected a frame number before ':'");
    if (value_span.empty()) s.fail(ScheduleErrorKind::EmptyValue, kf, colon + 1, -1, "expected a value after ':'");

    Keyframe k;
    k.key_offset = key_span.begin;
    k.value_offset = value_span.begin;

    // Key: Deforum removes quotes and parentheses and takes int() of a plain number; anything
    // else is evaluated (max_f, s in scope) and truncated by int().
    const std::string key_text = text.substr(key_span.begin, key_span.end - key_span.begin);
    const std::string key_plain = without_quotes_and_parens(key_text);
    k.key = parse_embedded(text, key_span, VariableScope::FrameKey, name, kf);
    if (deforum_is_number(key_plain)) {
      if (key_plain.find('.') != std::string::npos)
        s.fail(ScheduleErrorKind::BadFrameKey, kf, key_span.begin, -1,
               "expected an integer frame, got " + key_plain);
      k.key_is_literal = true;
      k.literal_frame = parse_plain_number(key_plain);  // huge keys are out of range, dropped later
    }

    // Value: a plain number (interpolated) or an expression (evaluated per frame).
    const std::string value_text = text.substr(value_span.begin, value_span.end - value_span.begin);
    const std::string value_plain = without_quotes_and_parens(value_text);
    k.value = parse_embedded(text, value_span, VariableScope::FrameValue, name, kf);
    if (deforum_is_number(value_plain)) {
      k.value_is_number = true;
      k.number = parse_plain_number(value_plain);
      if (!std::isfinite(k.number))
        s.fail(ScheduleErrorKind::NumberOutOfRange, kf, value_span.begin, -1,
               "expected a number below 1.8e308, got " + value_plain.substr(0, 40));
    }
    s.keyframes_.push_back(std::move(k));
  }
  if (s.keyframes_.empty())
    s.fail(ScheduleErrorKind::EmptySchedule, -1, 0, -1, "expected at least one 'frame:(value)', got nothing");
  return s;
}

}  // namespace k3::sched
