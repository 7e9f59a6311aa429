// `k3anim status ROOT [--json] [--lease-timeout S]`: per clip of a farm's run root, done /
// running (host, frame, heartbeat age) / stale / stopped / not started.
#include "animation/render/farm_status.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/render_farm.h"

#include <cstdio>
#include <iostream>
#include <memory>

namespace {

using namespace k3::anim;

struct StatusOptions {
  std::string root;
  bool json = false;
  double lease_timeout_s = 0;
};

void print_table(const std::vector<ClipStatus>& clips) {
  int counts[5] = {};
  for (const auto& c : clips) {
    ++counts[static_cast<int>(c.state)];
    char frames[32];
    std::snprintf(frames, sizeof frames, "%d/%d", c.frames_done, c.total_frames);
    std::cout << c.name << "  " << clip_state_name(c.state) << "  frames " << frames;
    if (c.lease && (c.state == ClipState::kRunning || c.state == ClipState::kStale)) {
      char age[32];
      std::snprintf(age, sizeof age, "%.1f", c.heartbeat_age_s);
      std::cout << "  " << c.lease->host << ":" << c.lease->pid << " frame " << c.lease->frame << " heartbeat " << age << " s ago";
    }
    if (c.state == ClipState::kStopped) std::cout << "  (" << c.lease->reason << ")";
    if (c.state == ClipState::kDone && !c.video.empty()) std::cout << "  " << c.video;
    std::cout << "\n";
  }
  std::cout << clips.size() << " clips: " << counts[4] << " done, " << counts[1] << " running, " << counts[2] << " stale, "
            << counts[3] << " stopped, " << counts[0] << " not started\n";
}

k3::cli::RegisterCommand registration("status", [](CLI::App& app) -> std::function<int()> {
  auto options = std::make_shared<StatusOptions>();
  auto* sub = app.add_subcommand("status", "State of each clip under a farm's run root (render --run-root)");
  sub->add_option("root", options->root, "the run root shared by the workers")->required();
  sub->add_flag("--json", options->json, "machine-readable output");
  sub->add_option("--lease-timeout", options->lease_timeout_s,
                  "seconds without heartbeat after which a worker counts as dead (default K3ANIM_LEASE_TIMEOUT or 120)")
      ->check(CLI::PositiveNumber);
  return [options] {
    double timeout = k3::cli::lease_timeout(options->lease_timeout_s);
    auto clips = farm_status(options->root, timeout);
    if (options->json)
      std::cout << nlohmann::json{{"root", options->root}, {"lease_timeout_s", timeout}, {"clips", status_to_json(clips)}}.dump(2)
                << "\n";
    else
      print_table(clips);
    return k3::cli::kExitOk;
  };
});

}  // namespace
