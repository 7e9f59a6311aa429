// libFuzzer target for the keyframe schedule parser and evaluator (run by scripts/fuzz.sh).
// Input: byte 0 picks the frame count (1..64), byte 1 the interpolation mode and the seed,
// the rest is the schedule text. Anything but a ScheduleError escaping is a bug, and so is a
// non-finite value, a wrong length, or at() disagreeing with evaluate().
#include "schedules/keyframe_schedule.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace k3::sched;
  if (size < 2) return 0;
  ScheduleContext ctx;
  ctx.max_frames = 1 + data[0] % 64;
  ctx.fps = 1 + data[1] % 60;
  ctx.seed = static_cast<std::int64_t>(data[1]) * 7919 - 1000;
  const Interpolation mode = static_cast<Interpolation>(data[1] % 4);
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    const KeyframeSchedule schedule = KeyframeSchedule::parse("fuzz", text, mode);
    const std::vector<double> values = schedule.evaluate(ctx);
    if (values.size() != static_cast<std::size_t>(ctx.max_frames)) std::abort();
    for (double v : values)
      if (!std::isfinite(v)) std::abort();
    for (int f : {0, ctx.max_frames / 2, ctx.max_frames - 1}) {
      const double v = schedule.at(f, ctx);
      if (!(v == values[static_cast<std::size_t>(f)])) std::abort();
    }
  } catch (const ScheduleError& e) {
    if (e.info().schedule != "fuzz" || std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
