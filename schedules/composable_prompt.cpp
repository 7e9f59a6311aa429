// Follows sd-webui-deforum scripts/deforum_helpers/prompt.py (parse_weight: backtick sections
// through numexpr with t and max_f) and AUTOMATIC1111 modules/prompt_parser.py
// (re_AND = r"\bAND\b", re_weight = r"^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$").
#include "schedules/composable_prompt.h"

#include "schedules/schedule_error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace k3::sched {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string number_text(double v) {
  char text[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A trailing ":number" (A1111's re_weight): returns the position of the ':' or npos.
std::size_t weight_position(const std::string& part, double& weight) {
  std::size_t end = part.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return std::string::npos;
  std::size_t start = end + 1;
  while (start > 0 && (std::isdigit(static_cast<unsigned char>(part[start - 1])) || part[start - 1] == '.')) --start;
  if (start == end + 1) return std::string::npos;
  std::string digits = part.substr(start, end + 1 - start);
  if (digits == "." || std::count(digits.begin(), digits.end(), '.') > 1) return std::string::npos;
  if (start > 0 && (part[start - 1] == '+' || part[start - 1] == '-')) --start;
  std::size_t colon = start;
  while (colon > 0 && std::isspace(static_cast<unsigned char>(part[colon - 1]))) --colon;
  if (colon == 0 || part[colon - 1] != ':') return std::string::npos;
  weight = std::strtod(part.substr(start, end + 1 - start).c_str(), nullptr);
  return colon - 1;
}

}  // namespace

std::string evaluate_backticks(const std::string& text, const ExpressionVariables& vars, const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t open = text.find('`', pos);
    if (open == std::string::npos) break;
    std::size_t close = text.find('`', open + 1);
    if (close == std::string::npos) {
      ScheduleErrorInfo info;
      info.kind = ScheduleErrorKind::BadPrompt;
      info.schedule = name;
      info.text = text;
      info.column = static_cast<int>(open) + 1;
      info.detail = "expected a closing ` after the weight expression, got end of text";
      throw ScheduleError(info);
    }
    out += text.substr(pos, open - pos);
    const std::string source = text.substr(open + 1, close - open - 1);
    try {
      out += number_text(Expression::parse(source).evaluate(vars));
    } catch (const ScheduleError& e) {
      ScheduleErrorInfo info = e.info();
      info.schedule = name;
      info.text = text;
      info.column = static_cast<int>(open) + 1 + std::max(info.column, 1);
      info.frame = static_cast<int>(vars.t);
      throw ScheduleError(info);
    }
    pos = close + 1;
  }
  return out + text.substr(pos);
}

std::vector<WeightedPrompt> split_composable(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    if (text.compare(i, 3, "AND") != 0) continue;
    if ((i > 0 && is_word_char(text[i - 1])) || (i + 3 < text.size() && is_word_char(text[i + 3]))) continue;
    parts.push_back(text.substr(start, i - start));
    start = i + 3;
    i += 2;
  }
  parts.push_back(text.substr(start));
  std::vector<WeightedPrompt> out;
  for (const auto& part : parts) {
    double weight = 1;
    std::size_t colon = weight_position(part, weight);
    std::string body = trim(colon == std::string::npos ? part : part.substr(0, colon));
    if (body.empty() && colon == std::string::npos) continue;
    out.push_back({body, weight});
  }
  if (out.empty()) out.push_back({trim(text), 1});
  return out;
}

void add_weighted(std::vector<WeightedPrompt>& into, const std::vector<WeightedPrompt>& parts, double scale) {
  for (const auto& part : parts) {
    bool merged = false;
    for (auto& existing : into)
      if (existing.text == part.text) existing.weight += scale * part.weight, merged = true;
    if (!merged) into.push_back({part.text, scale * part.weight});
  }
}

}  // namespace k3::sched
