// Re-encoding a run's PNG frames, as Deforum's ffmpeg_stitch_video does from its image pattern
// (scripts/deforum_helpers/video_audio_utilities.py), but through our own writer.
#include "animation/video/frames_folder_encoder.h"

#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace k3::video {

namespace {
std::string frame_file(const std::string& dir, long index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06ld.png", index);
  return (fs::path(dir) / name).string();
}

// Index of a name made of six or more digits and ".png"; -1 otherwise.
long frame_index(const std::string& name) {
  if (name.size() < 10 || name.substr(name.size() - 4) != ".png") return -1;
  const std::string digits = name.substr(0, name.size() - 4);
  for (char c : digits)
    if (c < '0' || c > '9') return -1;
  return std::stol(digits);
}
}  // namespace

std::vector<std::string> list_frame_files(const std::string& frames_dir) {
  if (!fs::is_directory(frames_dir)) throw k3::FileError("frames folder " + frames_dir + ": no such folder");
  std::set<long> present;
  for (const auto& entry : fs::directory_iterator(frames_dir))
    if (entry.is_regular_file())
      if (long index = frame_index(entry.path().filename().string()); index >= 0) present.insert(index);
  std::vector<std::string> files;
  for (long i = 0; present.count(i); ++i) files.push_back(frame_file(frames_dir, i));
  if (files.empty())
    throw k3::FileError("frames folder " + frames_dir + ": expected frames named 000000.png, 000001.png, ..., found " +
                        (present.empty() ? std::string("none") : "the first at index " + std::to_string(*present.begin())));
  if (present.size() != files.size())
    throw k3::FileError("frames folder " + frames_dir + ": expected " + frame_file(frames_dir, static_cast<long>(files.size())) +
                        " after " + std::to_string(files.size()) + " frames, but it is missing while later frames exist");
  return files;
}

long encode_frames_folder(const std::string& frames_dir, VideoOptions options, const EncodeProgress& progress) {
  const std::vector<std::string> files = list_frame_files(frames_dir);
  options.frames_dir.clear();
  std::unique_ptr<VideoWriter> writer = open_video_writer(options);
  cv::Mat bgr, rgb;
  const long total = static_cast<long>(files.size());
  for (long i = 0; i < total; ++i) {
    bgr = cv::imread(files[i], cv::IMREAD_COLOR);
    if (bgr.empty()) throw k3::FileError("frame " + files[i] + ": cannot read it as an image");
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    writer->write(rgb);
    if (progress && !progress(i + 1, total)) throw k3::Cancelled("encoding " + options.path + " cancelled at frame " + std::to_string(i + 1));
  }
  writer->finish();
  return total;
}

}  // namespace k3::video
