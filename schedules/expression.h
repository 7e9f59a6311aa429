#pragma once
// A safe evaluator for the numexpr subset Deforum users write in schedules
// (reference: numexpr as called by deforum-art/sd-webui-deforum animation_key_frames.py).
//
// Why our own parser instead of numexpr-like eval or muparser: the text is parsed by a
// whitelist grammar into a small postfix program, so a shared settings file can run no code
// (no attribute access, no loops, no calls outside the table below); every error carries
// the exact column; and the spelling is numexpr's (`**`, `%`, `where`, `arctan2`) where
// muparser differs (`^` only, no `%`, `-2^2` rules).
//
// Language (numexpr's, plus what the issue asks for):
//   numbers    1  1.5  .5  1e-3  2.5E+2
//   variables  t (frame), max_f (max_frames - 1), s (seed), fps; constants pi, e
//   operators  by increasing precedence:
//                |   (logical or: nonzero -> 1)        &  (logical and)
//                < <= > >= == !=   (1 or 0; one per level: `a<b<c` is an error, as in numexpr)
//                + -      * / // %      unary - + ~ !  (~ and ! are logical not)
//                ** and ^ (power, right associative; -2**2 == -4 as in Python)
//              `^` is power here (numexpr reads it as xor, which no schedule wants).
//              & and | bind looser than comparisons (unlike Python), so `t>5 & t<10` works;
//              every string numexpr accepts keeps its meaning.
//   `%` is Python's floor modulo (numexpr: a - floor(a/b)*b); `//` floors.
//   functions  sin cos tan arcsin arccos arctan arctan2(y,x) (also asin acos atan atan2)
//              sinh cosh tanh arcsinh arccosh arctanh (also asinh acosh atanh)
//              exp expm1 log (natural) log10 log2 log1p sqrt abs sign
//              floor ceil trunc round (half to even, as numpy.round)
//              min(a,b,...) max(a,b,...) pow(a,b) mod(a,b) clip(x,lo,hi)
//              where(c,a,b) and if(c,a,b) (c nonzero -> a; both sides are evaluated)
// All arithmetic is in double. numexpr keeps integer subexpressions (t, max_f, s, integer
// literals) in int64; results differ only beyond 2^53 or on int64 overflow, which no
// schedule reaches. `/` is true division in both (numexpr's truediv='auto' on Python 3).
// Bounds: kMaxExpressionLength characters, kMaxExpressionDepth nesting levels,
// kMaxFunctionArguments arguments per call.
#include "schedules/schedule_error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace k3::sched {

constexpr std::size_t kMaxExpressionLength = 8192;
constexpr int kMaxExpressionDepth = 100;
constexpr int kMaxFunctionArguments = 64;

struct ExpressionVariables {
  double t = 0;
  double max_f = 0;
  double s = 0;
  double fps = 12;
};

// Which names an expression may read. Deforum evaluates frame keys with only max_f and s in
// scope (no t); values see t as well. fps is our addition to both.
enum class VariableScope { FrameValue, FrameKey };

class Expression {
 public:
  // Parses `source`. Throws ScheduleError whose column is 1-based within `source` (callers
  // that embed the expression in a longer text add their offset and name the schedule).
  static Expression parse(std::string_view source, VariableScope scope = VariableScope::FrameValue);

  double evaluate(const ExpressionVariables& vars) const;
  bool uses_frame() const { return uses_t_; }  // false: the value is the same on every frame

 private:
  enum class Op : std::uint8_t;
  struct Instruction {
    Op op;
    std::uint8_t function = 0;  // index into the function table (Call)
    std::uint16_t argc = 0;     // Call: number of arguments
    double constant = 0;        // PushConstant
  };
  friend class ExpressionParser;
  std::vector<Instruction> program_;  // postfix
  int max_stack_ = 0;
  bool uses_t_ = false;
};

}  // namespace k3::sched
