// Deforum stitches the video after the last frame (scripts/deforum_helpers/video_audio_utilities.py
// ffmpeg_stitch_video, then add_soundtrack and frame interpolation as separate passes); here the
// frames are encoded while they are made, with the soundtrack and interpolation in the same pass.
#include "animation/render/render_video.h"

#include "base/fault_point.h"
#include "animation/render/run_folder.h"
#include "animation/video/video_writer.h"

#include <filesystem>

namespace k3::anim {

namespace fs = std::filesystem;

std::string render_video_path(const RenderSettings& settings, const RunFolder& folder) {
  return settings.output.video.empty() ? folder.default_video_path() : settings.output.video;
}

RenderVideo::RenderVideo(std::unique_ptr<video::VideoWriter> writer, std::string path)
    : writer_(std::move(writer)), path_(std::move(path)) {}
RenderVideo::~RenderVideo() = default;

std::unique_ptr<RenderVideo> RenderVideo::open(const RenderSettings& s, const RunFolder& folder, int first_new_frame) {
  if (!s.output.write_video) return nullptr;
  video::VideoOptions options;
  options.path = render_video_path(s, folder);
  options.codec = video::codec_from_extension(options.path);
  options.fps = video::frame_rate_from_double(s.fps);
  options.width = s.width;
  options.height = s.height;
  options.crf = s.output.crf;
  options.preset = s.output.x264_preset;
  options.audio_path = s.output.soundtrack;
  options.audio_offset = s.output.soundtrack_offset;
  options.interpolate = s.output.interpolate;
  std::error_code ec;
  fs::path parent = fs::path(options.path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  fault_point("video.before");
  std::unique_ptr<RenderVideo> video(new RenderVideo(video::open_video_writer(options), options.path));
  for (int j = 0; j < first_new_frame; ++j) video->add(folder.read_frame(j));
  return video;
}

void RenderVideo::add(const cv::Mat& rgb8) {
  writer_->write(rgb8);
  fault_point("video.frame");
}

std::string RenderVideo::finish() {
  writer_->finish();
  fault_point("video.after");
  return path_;
}

}  // namespace k3::anim
