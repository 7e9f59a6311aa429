// libFuzzer target for prompt schedules (run by scripts/fuzz.sh 300 fuzz_prompt_schedule).
// Input: byte 0 picks the frame count (1..64), byte 1 the blend window (-1..6), the rest is
// JSON. Anything but a ScheduleError escaping is a bug, and so is a frame without its
// prompt's fields in order or a blend weight outside [0, 1).
#include "schedules/prompt_schedule.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace k3::sched;
  if (size < 2) return 0;
  ScheduleContext ctx;
  ctx.max_frames = 1 + data[0] % 64;
  const int blend = static_cast<int>(data[1] % 8) - 1;
  const nlohmann::json j = nlohmann::json::parse(data + 2, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const PromptSchedule schedule = PromptSchedule::from_json(j, "fuzz");
    const std::vector<FramePrompt> frames = schedule.evaluate(ctx, blend);
    if (frames.size() != static_cast<std::size_t>(ctx.max_frames)) std::abort();
    for (const FramePrompt& f : frames) {
      if (!(f.blend >= 0 && f.blend < 1)) std::abort();
      if (f.blend == 0 && !f.next_prompt.empty()) std::abort();
    }
    if (schedule.unique_prompts(ctx).empty()) std::abort();
  } catch (const ScheduleError& e) {
    if (e.info().schedule != "fuzz") std::abort();
  }
  return 0;
}
