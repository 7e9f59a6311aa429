// Recursive-descent parser for schedule expressions, compiled to a postfix program.
// Follows numexpr's operator set and Python's precedence (see expression.h for the deviations).
#include "schedules/expression.h"

#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>

namespace k3::sched {

enum class Expression::Op : std::uint8_t {
  PushConstant, PushT, PushMaxF, PushSeed, PushFps,
  Negate, Not,
  Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power,
  Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, And, Or,
  Call,
};

namespace {

double floor_mod(double a, double b) { return a - std::floor(a / b) * b; }

using FunctionImpl = double (*)(const double* args, int argc);

struct FunctionInfo {
  const char* name;
  int min_args;
  int max_args;
  FunctionImpl impl;
};

// The whitelist. Nothing outside this table can be called.
#define K3_UNARY(NAME, EXPR) {NAME, 1, 1, [](const double* a, int) { return EXPR; }}
const FunctionInfo kFunctions[] = {
    K3_UNARY("sin", std::sin(a[0])),     K3_UNARY("cos", std::cos(a[0])),
    K3_UNARY("tan", std::tan(a[0])),     K3_UNARY("arcsin", std::asin(a[0])),
    K3_UNARY("arccos", std::acos(a[0])), K3_UNARY("arctan", std::atan(a[0])),
    K3_UNARY("asin", std::asin(a[0])),   K3_UNARY("acos", std::acos(a[0])),
    K3_UNARY("atan", std::atan(a[0])),   K3_UNARY("sinh", std::sinh(a[0])),
    K3_UNARY("cosh", std::cosh(a[0])),   K3_UNARY("tanh", std::tanh(a[0])),
    K3_UNARY("arcsinh", std::asinh(a[0])), K3_UNARY("arccosh", std::acosh(a[0])),
    K3_UNARY("arctanh", std::atanh(a[0])), K3_UNARY("asinh", std::asinh(a[0])),
    K3_UNARY("acosh", std::acosh(a[0])), K3_UNARY("atanh", std::atanh(a[0])),
    K3_UNARY("exp", std::exp(a[0])),     K3_UNARY("expm1", std::expm1(a[0])),
    K3_UNARY("log", std::log(a[0])),     K3_UNARY("log10", std::log10(a[0])),
    K3_UNARY("log2", std::log2(a[0])),   K3_UNARY("log1p", std::log1p(a[0])),
    K3_UNARY("sqrt", std::sqrt(a[0])),   K3_UNARY("abs", std::fabs(a[0])),
    K3_UNARY("floor", std::floor(a[0])), K3_UNARY("ceil", std::ceil(a[0])),
    K3_UNARY("trunc", std::trunc(a[0])),
    // numpy.round: halves go to the even neighbour (nearbyint in the default rounding mode).
    K3_UNARY("round", std::nearbyint(a[0])),
    K3_UNARY("sign", static_cast<double>((a[0] > 0) - (a[0] < 0))),
    {"arctan2", 2, 2, [](const double* a, int) { return std::atan2(a[0], a[1]); }},
    {"atan2", 2, 2, [](const double* a, int) { return std::atan2(a[0], a[1]); }},
    {"pow", 2, 2, [](const double* a, int) { return std::pow(a[0], a[1]); }},
    {"mod", 2, 2, [](const double* a, int) { return floor_mod(a[0], a[1]); }},
    {"min", 2, kMaxFunctionArguments,
     [](const double* a, int n) { return *std::min_element(a, a + n); }},
    {"max", 2, kMaxFunctionArguments,
     [](const double* a, int n) { return *std::max_element(a, a + n); }},
    {"clip", 3, 3, [](const double* a, int) { return std::min(std::max(a[0], a[1]), a[2]); }},
    {"where", 3, 3, [](const double* a, int) { return a[0] != 0 ? a[1] : a[2]; }},
    {"if", 3, 3, [](const double* a, int) { return a[0] != 0 ? a[1] : a[2]; }},
};
#undef K3_UNARY
constexpr int kFunctionCount = static_cast<int>(sizeof(kFunctions) / sizeof(kFunctions[0]));

using k3::edit_distance;

// "'sinn' (did you mean 'sin'?)" when one candidate is close, else the whole list.
std::string unknown_name_detail(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits, and less than half the name
  if (name.size() <= 64)
    for (const std::string& c : candidates) {
      const std::size_t d = edit_distance(name, c);
      if (d < best_distance && 2 * d < std::max(name.size(), c.size())) {
        best = c;
        best_distance = d;
      }
    }
  if (!best.empty()) return "'" + name + "' (did you mean '" + best + "'?)";
  std::string list;
  for (const std::string& c : candidates) list += (list.empty() ? "" : ", ") + c;
  return "'" + name + "' (expected one of " + list + ")";
}

std::vector<std::string> function_name_list() {
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.emplace_back(f.name);
  return names;
}

enum class TokenKind { Number, Name, Operator, LeftParen, RightParen, Comma, End };

struct Token {
  TokenKind kind = TokenKind::End;
  std::size_t begin = 0;
  std::size_t end = 0;
  double number = 0;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

class ExpressionParser {
 public:
  ExpressionParser(std::string_view source, VariableScope scope) : src_(source), scope_(scope) {}

  Expression run() {
    if (src_.size() > kMaxExpressionLength)
      fail(ScheduleErrorKind::TooLong, 0,
           "expected at most " + std::to_string(kMaxExpressionLength) + " characters, got " +
               std::to_string(src_.size()));
    advance();
    if (token_.kind == TokenKind::End) fail(ScheduleErrorKind::EmptyValue, 0, "expected an expression, got nothing");
    parse_or();
    if (token_.kind != TokenKind::End)
      fail(ScheduleErrorKind::Syntax, token_.begin,
           "expected an operator or the end of the expression, got " + describe(token_));
    return std::move(out_);
  }

 private:
  using Op = Expression::Op;

  [[noreturn]] void fail(ScheduleErrorKind kind, std::size_t offset, std::string detail) const {
    ScheduleErrorInfo info;
    info.kind = kind;
    info.text = std::string(src_);
    info.column = static_cast<int>(std::min(offset, src_.size())) + 1;
    info.detail = std::move(detail);
    throw ScheduleError(std::move(info));
  }

  std::string text_of(const Token& t) const { return std::string(src_.substr(t.begin, t.end - t.begin)); }

  std::string describe(const Token& t) const {
    if (t.kind == TokenKind::End) return "the end of the expression";
    return "'" + text_of(t) + "'";
  }

  void advance() {
    std::size_t i = pos_;
    while (i < src_.size() && is_space(src_[i])) ++i;
    token_ = Token{};
    token_.begin = i;
    if (i >= src_.size()) {
      token_.kind = TokenKind::End;
      token_.end = pos_ = src_.size();
      return;
    }
    const char c = src_[i];
    if (is_digit(c) || (c == '.' && i + 1 < src_.size() && is_digit(src_[i + 1]))) {
      scan_number(i);
      return;
    }
    if (is_name_start(c)) {
      std::size_t j = i;
      while (j < src_.size() && is_name_char(src_[j])) ++j;
      token_.kind = TokenKind::Name;
      token_.end = pos_ = j;
      return;
    }
    token_.end = i + 1;
    switch (c) {
      case '(': token_.kind = TokenKind::LeftParen; break;
      case ')': token_.kind = TokenKind::RightParen; break;
      case ',': token_.kind = TokenKind::Comma; break;
      case '+': case '-': case '%': case '^': case '~': case '&': case '|':
        token_.kind = TokenKind::Operator;
        break;
      case '*': case '/':
        token_.kind = TokenKind::Operator;
        if (i + 1 < src_.size() && src_[i + 1] == c) token_.end = i + 2;  // ** and //
        break;
      case '<': case '>': case '=': case '!':
        token_.kind = TokenKind::Operator;
        if (i + 1 < src_.size() && src_[i + 1] == '=') token_.end = i + 2;
        else if (c == '=') fail(ScheduleErrorKind::Syntax, i, "expected '==', got a single '='");
        break;
      default: {
        std::string shown = std::isprint(static_cast<unsigned char>(c))
                                ? "'" + std::string(1, c) + "'"
                                : "byte " + std::to_string(static_cast<unsigned char>(c));
        fail(ScheduleErrorKind::Syntax, i, "unexpected character " + shown);
      }
    }
    pos_ = token_.end;
  }

  void scan_number(std::size_t i) {
    std::size_t j = i;
    while (j < src_.size() && is_digit(src_[j])) ++j;
    if (j < src_.size() && src_[j] == '.') {
      ++j;
      while (j < src_.size() && is_digit(src_[j])) ++j;
    }
    // An exponent only when digits follow: "2e" is a number followed by the name e (an error).
    if (j < src_.size() && (src_[j] == 'e' || src_[j] == 'E')) {
      std::size_t k = j + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && is_digit(src_[k])) {
        while (k < src_.size() && is_digit(src_[k])) ++k;
        j = k;
      }
    }
    const char* first = src_.data() + i;
    const char* last = src_.data() + j;
    double value = 0;
    auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range) {
      // Underflow (1e-400) is zero; overflow (1e400) is an error.
      const std::string_view text(first, static_cast<std::size_t>(last - first));
      if (text.find("e-") == std::string_view::npos && text.find("E-") == std::string_view::npos)
        fail(ScheduleErrorKind::NumberOutOfRange, i, "expected a number below 1.8e308, got " + std::string(text));
      value = 0;
    } else if (result.ec != std::errc() || result.ptr != last) {
      fail(ScheduleErrorKind::Syntax, i, "malformed number");
    }
    token_.kind = TokenKind::Number;
    token_.number = value;
    token_.end = pos_ = j;
  }

  bool at_operator(const char* op) const {
    return token_.kind == TokenKind::Operator && text_of(token_) == op;
  }

  void emit(Op op, int stack_delta, double constant = 0, int function = 0, int argc = 0) {
    Expression::Instruction ins{};
    ins.op = op;
    ins.constant = constant;
    ins.function = static_cast<std::uint8_t>(function);
    ins.argc = static_cast<std::uint16_t>(argc);
    out_.program_.push_back(ins);
    stack_ += stack_delta;
    out_.max_stack_ = std::max(out_.max_stack_, stack_);
  }

  struct DepthGuard {
    ExpressionParser& p;
    DepthGuard(ExpressionParser& parser, std::size_t offset) : p(parser) {
      if (++p.depth_ > kMaxExpressionDepth)
        p.fail(ScheduleErrorKind::TooDeep, offset,
               "expected at most " + std::to_string(kMaxExpressionDepth) + " nested levels");
    }
    ~DepthGuard() { --p.depth_; }
  };

  void parse_or() {
    DepthGuard guard(*this, token_.begin);
    parse_and();
    while (at_operator("|")) {
      advance();
      parse_and();
      emit(Op::Or, -1);
    }
  }

  void parse_and() {
    parse_comparison();
    while (at_operator("&")) {
      advance();
      parse_comparison();
      emit(Op::And, -1);
    }
  }

  bool comparison_op(Op& op) const {
    if (token_.kind != TokenKind::Operator) return false;
    const std::string t = text_of(token_);
    if (t == "<") op = Op::Less;
    else if (t == "<=") op = Op::LessEqual;
    else if (t == ">") op = Op::Greater;
    else if (t == ">=") op = Op::GreaterEqual;
    else if (t == "==") op = Op::Equal;
    else if (t == "!=") op = Op::NotEqual;
    else return false;
    return true;
  }

  void parse_comparison() {
    parse_sum();
    Op op{};
    if (comparison_op(op)) {
      advance();
      parse_sum();
      emit(op, -1);
      if (comparison_op(op))
        fail(ScheduleErrorKind::Syntax, token_.begin,
             "expected one comparison, got a chain: write (a < b) & (b < c)");
    }
  }

  void parse_sum() {
    parse_term();
    for (;;) {
      if (at_operator("+")) {
        advance();
        parse_term();
        emit(Op::Add, -1);
      } else if (at_operator("-")) {
        advance();
        parse_term();
        emit(Op::Subtract, -1);
      } else {
        return;
      }
    }
  }

  void parse_term() {
    parse_unary();
    for (;;) {
      Op op;
      if (at_operator("*")) op = Op::Multiply;
      else if (at_operator("/")) op = Op::Divide;
      else if (at_operator("//")) op = Op::FloorDivide;
      else if (at_operator("%")) op = Op::Modulo;
      else return;
      advance();
      parse_unary();
      emit(op, -1);
    }
  }

  void parse_unary() {
    DepthGuard guard(*this, token_.begin);
    if (at_operator("-") || at_operator("+") || at_operator("~") || at_operator("!")) {
      const std::string op = text_of(token_);
      advance();
      parse_unary();
      if (op == "-") emit(Op::Negate, 0);
      else if (op == "~" || op == "!") emit(Op::Not, 0);
      return;
    }
    parse_power();
  }

  void parse_power() {
    parse_primary();
    if (at_operator("**") || at_operator("^")) {
      advance();
      parse_unary();  // right associative, and the exponent may carry a sign: 2**-1
      emit(Op::Power, -1);
    }
  }

  void parse_primary() {
    const Token tok = token_;
    switch (tok.kind) {
      case TokenKind::Number:
        advance();
        emit(Op::PushConstant, 1, tok.number);
        return;
      case TokenKind::LeftParen: {
        advance();
        if (token_.kind == TokenKind::RightParen)
          fail(ScheduleErrorKind::Syntax, token_.begin, "expected an expression inside '()', got nothing");
        parse_or();
        expect_right_paren(tok.begin);
        return;
      }
      case TokenKind::Name:
        advance();
        if (token_.kind == TokenKind::LeftParen) parse_call(tok);
        else push_variable(tok);
        return;
      case TokenKind::End:
        fail(ScheduleErrorKind::Syntax, tok.begin, "expected a number, name or '(', got the end of the expression");
      default:
        fail(ScheduleErrorKind::Syntax, tok.begin, "expected a number, name or '(', got " + describe(tok));
    }
  }

  void expect_right_paren(std::size_t open_offset) {
    if (token_.kind == TokenKind::RightParen) {
      advance();
      return;
    }
    if (token_.kind == TokenKind::End)
      fail(ScheduleErrorKind::Syntax, open_offset, "expected ')' to close this '(', got the end of the expression");
    fail(ScheduleErrorKind::Syntax, token_.begin, "expected ')', got " + describe(token_));
  }

  void push_variable(const Token& tok) {
    const std::string name = text_of(tok);
    const bool key = scope_ == VariableScope::FrameKey;
    if (name == "t" && !key) {
      out_.uses_t_ = true;
      emit(Op::PushT, 1);
    } else if (name == "max_f") {
      emit(Op::PushMaxF, 1);
    } else if (name == "s") {
      emit(Op::PushSeed, 1);
    } else if (name == "fps") {
      emit(Op::PushFps, 1);
    } else if (name == "pi") {
      emit(Op::PushConstant, 1, M_PI);
    } else if (name == "e") {
      emit(Op::PushConstant, 1, M_E);
    } else if (name == "t") {
      fail(ScheduleErrorKind::UnknownVariable, tok.begin,
           "variable 't' is not available in a frame key (Deforum evaluates keys once, with max_f, s)");
    } else {
      for (const auto& f : kFunctions)
        if (name == f.name)
          fail(ScheduleErrorKind::Syntax, tok.end, "expected '(' after function '" + name + "'");
      std::vector<std::string> variables = {"max_f", "s", "fps", "pi", "e"};
      if (!key) variables.insert(variables.begin(), "t");
      fail(ScheduleErrorKind::UnknownVariable, tok.begin, unknown_name_detail(name, variables));
    }
  }

  void parse_call(const Token& name_token) {
    const std::string name = text_of(name_token);
    int index = -1;
    for (int i = 0; i < kFunctionCount; ++i)
      if (name == kFunctions[i].name) index = i;
    if (index < 0) {
      if (name == "t" || name == "max_f" || name == "s" || name == "fps" || name == "pi" || name == "e")
        fail(ScheduleErrorKind::UnknownFunction, name_token.begin,
             "'" + name + "' is a variable, not a function (write '*' to multiply)");
      fail(ScheduleErrorKind::UnknownFunction, name_token.begin, unknown_name_detail(name, function_name_list()));
    }
    const std::size_t open = token_.begin;
    DepthGuard guard(*this, open);
    advance();  // '('
    int argc = 0;
    if (token_.kind != TokenKind::RightParen) {
      for (;;) {
        if (argc == kMaxFunctionArguments)
          fail(ScheduleErrorKind::WrongArgumentCount, token_.begin,
               "expected at most " + std::to_string(kMaxFunctionArguments) + " arguments");
        parse_or();
        ++argc;
        if (token_.kind != TokenKind::Comma) break;
        advance();
      }
    }
    expect_right_paren(open);
    const FunctionInfo& f = kFunctions[index];
    if (argc < f.min_args || argc > f.max_args) {
      std::string expected = f.min_args == f.max_args ? std::to_string(f.min_args)
                             : f.max_args == kMaxFunctionArguments
                                 ? "at least " + std::to_string(f.min_args)
                                 : std::to_string(f.min_args) + " to " + std::to_string(f.max_args);
      fail(ScheduleErrorKind::WrongArgumentCount, name_token.begin,
           "function '" + name + "' expected " + expected + " argument" + (expected == "1" ? "" : "s") +
               ", got " + std::to_string(argc));
    }
    emit(Op::Call, 1 - argc, 0, index, argc);
  }

  std::string_view src_;
  VariableScope scope_;
  std::size_t pos_ = 0;
  Token token_;
  Expression out_;
  int stack_ = 0;
  int depth_ = 0;
};

Expression Expression::parse(std::string_view source, VariableScope scope) {
  return ExpressionParser(source, scope).run();
}

double Expression::evaluate(const ExpressionVariables& vars) const {
  // A small fixed buffer covers every realistic expression; deeper ones use the heap.
  double small[32];
  std::vector<double> large;
  double* stack = small;
  if (max_stack_ > 32) {
    large.resize(static_cast<std::size_t>(max_stack_));
    stack = large.data();
  }
  int top = 0;  // number of values on the stack
  for (const Instruction& ins : program_) {
    switch (ins.op) {
      case Op::PushConstant: stack[top++] = ins.constant; break;
      case Op::PushT: stack[top++] = vars.t; break;
      case Op::PushMaxF: stack[top++] = vars.max_f; break;
      case Op::PushSeed: stack[top++] = vars.s; break;
      case Op::PushFps: stack[top++] = vars.fps; break;
      case Op::Negate: stack[top - 1] = -stack[top - 1]; break;
      case Op::Not: stack[top - 1] = stack[top - 1] == 0 ? 1.0 : 0.0; break;
      case Op::Call: {
        const int argc = ins.argc;
        const double r = kFunctions[ins.function].impl(stack + top - argc, argc);
        top -= argc;
        stack[top++] = r;
        break;
      }
      default: {
        const double b = stack[--top];
        double& a = stack[top - 1];
        switch (ins.op) {
          case Op::Add: a = a + b; break;
          case Op::Subtract: a = a - b; break;
          case Op::Multiply: a = a * b; break;
          case Op::Divide: a = a / b; break;
          case Op::FloorDivide: a = std::floor(a / b); break;
          case Op::Modulo: a = floor_mod(a, b); break;
          case Op::Power: a = std::pow(a, b); break;
          case Op::Less: a = a < b; break;
          case Op::LessEqual: a = a <= b; break;
          case Op::Greater: a = a > b; break;
          case Op::GreaterEqual: a = a >= b; break;
          case Op::Equal: a = a == b; break;
          case Op::NotEqual: a = a != b; break;
          case Op::And: a = (a != 0 && b != 0) ? 1.0 : 0.0; break;
          case Op::Or: a = (a != 0 || b != 0) ? 1.0 : 0.0; break;
          default: break;
        }
      }
    }
  }
  return top == 1 ? stack[0] : std::nan("");
}

}  // namespace k3::sched
