// `k3anim schedule`: prints a keyframe schedule's per-frame values (text, CSV or JSON) and can
// plot the curve, so the motion can be checked before rendering.
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/schedule_plot.h"
#include "schedules/keyframe_schedule.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <iostream>
#include <memory>

namespace {

struct ScheduleOptions {
  std::string text;
  std::string name = "schedule";
  int frames = 0;
  double fps = 12;
  std::int64_t seed = 0;
  std::string interpolation = "linear";
  bool csv = false;
  bool json = false;
  std::string plot;
};

// Shortest text that reads back to the same double.
std::string number(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

k3::sched::Interpolation parse_mode(const std::string& s) {
  using k3::sched::Interpolation;
  if (s == "step") return Interpolation::Step;
  if (s == "cubic") return Interpolation::Cubic;
  if (s == "bezier") return Interpolation::Bezier;
  return Interpolation::Linear;
}

int run_schedule(const ScheduleOptions& o) {
  using namespace k3::sched;
  std::vector<double> values;
  std::vector<int> keys;
  KeyframeSchedule schedule;
  const ScheduleContext ctx{o.frames, o.fps, o.seed};
  try {
    schedule = KeyframeSchedule::parse(o.name, o.text, parse_mode(o.interpolation));
    values = schedule.evaluate(ctx);
    keys = schedule.keyframe_frames(ctx);
  } catch (const ScheduleError& e) {
    // Printed whole (not through run_guarded's one-line form) so the caret lines up.
    std::cerr << "k3anim: error: " << e.what() << "\n";
    return k3::cli::kExitConfig;
  }
  if (o.json) {
    nlohmann::json j;
    j["schedule"] = o.name;
    j["text"] = o.text;
    j["interpolation"] = to_string(schedule.interpolation());
    j["frames"] = o.frames;
    j["fps"] = o.fps;
    j["seed"] = o.seed;
    j["keyframes"] = keys;
    j["values"] = values;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << (o.csv ? "frame,value\n" : "");
    for (std::size_t f = 0; f < values.size(); ++f)
      std::cout << f << (o.csv ? "," : "\t") << number(values[f]) << "\n";
  }
  if (!o.plot.empty()) {
    k3::cli::SchedulePlot plot;
    plot.title = o.name + ": " + o.text;
    plot.values = values;
    plot.keyframes = keys;
    k3::cli::write_schedule_plot(plot, o.plot);
    if (!k3::cli::global_options().quiet) std::cerr << "k3anim: plot written to " << o.plot << "\n";
  }
  return k3::cli::kExitOk;
}

k3::cli::RegisterCommand registration("schedule", [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<ScheduleOptions>();
  auto* sub = app.add_subcommand("schedule", "Print (and plot) the per-frame values of a Deforum keyframe schedule");
  sub->add_option("text", o->text, "keyframe string, e.g. '0:(1.0), 10:(1.02), 30:(1.0+0.002*sin(t/5))'")->required();
  sub->add_option("--frames", o->frames, "number of frames (max_f = frames - 1)")->required()->check(CLI::Range(1, k3::sched::kMaxFrames));
  sub->add_option("--fps", o->fps, "frames per second (the fps variable)")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--seed", o->seed, "seed (the s variable)")->capture_default_str();
  sub->add_option("--name", o->name, "schedule name used in messages")->capture_default_str();
  sub->add_option("--interpolation", o->interpolation, "mode when the string has no prefix")->capture_default_str()
      ->check(CLI::IsMember({"linear", "step", "cubic", "bezier"}));
  auto* csv = sub->add_flag("--csv", o->csv, "print CSV (frame,value)");
  auto* json = sub->add_flag("--json", o->json, "print JSON");
  csv->excludes(json);
  sub->add_option("--plot", o->plot, "also draw the curve into this PNG file");
  return [o] { return run_schedule(*o); };
});

}  // namespace
