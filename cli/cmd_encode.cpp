// `k3anim encode RUN_DIR -o out.mp4`: builds a video from a run folder's PNG frames at any time
// (Deforum's "stitch existing frames", scripts/deforum_helpers/video_audio_utilities.py).
#include "animation/video/encoder_settings.h"
#include "animation/render/run_folder.h"
#include "animation/video/frames_folder_encoder.h"
#include "animation/video/video_writer.h"
#include "cli/command.h"
#include "base/errors.h"

#include <filesystem>
#include <iostream>

namespace {
struct EncodeOptions {
  std::string run_dir;
  std::string output;
  std::string fps;
  std::string codec;
  std::string audio;
  double audio_offset = 0;
  int crf = 17;
  std::string preset = "medium";
  int interpolate = 1;
  bool refuse_odd = false;
};

k3::cli::RegisterCommand registration("encode", [](CLI::App& app) -> std::function<int()> {
  auto o = std::make_shared<EncodeOptions>();
  auto* sub = app.add_subcommand("encode", "Build a video from a run folder's frames (RUN_DIR/frames/000000.png, ...)");
  sub->add_option("run_dir", o->run_dir, "run folder (holding frames/ and settings.json)")->required()->check(CLI::ExistingDirectory);
  sub->add_option("-o,--output", o->output, "video file: .mp4 (H.264), .webm (VP9) or .gif")->required();
  sub->add_option("--fps", o->fps, "frame rate, e.g. 12, 23.976 or 24000/1001 (default: settings.json \"fps\", else 12)");
  sub->add_option("--codec", o->codec, "h264, h265, vp9 or gif (default: from the output's extension)")
      ->check(CLI::IsMember({"h264", "h265", "vp9", "gif"}));
  sub->add_option("--audio", o->audio, "soundtrack to mux in, cut to the video's length")->check(CLI::ExistingFile);
  sub->add_option("--audio-offset", o->audio_offset, "seconds; > 0 delays the soundtrack, < 0 skips its start");
  sub->add_option("--crf", o->crf, "constant quality (lower is better; Deforum's default 17)")->check(CLI::Range(0, k3::video::kMaxCrfAnyCodec));
  sub->add_option("--preset", o->preset, "x264/x265 preset (ultrafast ... veryslow)");
  sub->add_option("--interpolate", o->interpolate, "multiply the frame rate by optical-flow in-betweens (2 doubles it)")
      ->check(CLI::Range(1, 16));
  sub->add_flag("--no-pad", o->refuse_odd, "refuse odd frame sizes instead of padding by one pixel");
  return [o] {
    namespace fs = std::filesystem;
    k3::video::VideoOptions video;
    video.path = o->output;
    video.codec = o->codec.empty() ? k3::video::codec_from_extension(o->output) : o->codec;
    if (video.codec == "png") throw k3::ConfigError("--output: expected a video file (.mp4, .webm, .gif), got " + o->output);
    // An explicit --fps wins over the rate the run was rendered at.
    video.fps = o->fps.empty() ? k3::anim::run_folder_fps(o->run_dir) : k3::video::parse_frame_rate(o->fps, "--fps");
    video.crf = o->crf;
    video.preset = o->preset;
    video.audio_path = o->audio;
    video.audio_offset = o->audio_offset;
    video.interpolate = o->interpolate;
    video.pad_odd = !o->refuse_odd;
    const bool quiet = k3::cli::global_options().quiet;
    const long frames = k3::video::encode_frames_folder(
        (fs::path(o->run_dir) / "frames").string(), video, [quiet](long done, long total) {
          if (!quiet && (done == total || done % 25 == 0)) std::cerr << "\rencoding frame " << done << "/" << total << std::flush;
          return true;
        });
    if (!quiet)
      std::cerr << "\n"
                << "wrote " << o->output << ": " << frames * video.interpolate << " frames at " << video.fps.num * video.interpolate
                << "/" << video.fps.den << " fps\n";
    return 0;
  };
});
}  // namespace
