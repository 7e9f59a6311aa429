#pragma once
// The folder of one render: settings.json (the effective settings), frames/000000.png ...
// (every output frame, lossless), state/ (the run-state journal and its image buffers) and
// the video. Every file is written to a temporary name and renamed, so a killed run leaves
// either the old or the new version of each file, never half of one.
#include "animation/video/video_writer.h"
#include "base/atomic_file.h"
#include <opencv2/core.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace k3::anim {

// Files are written with k3::write_file_atomically (base/atomic_file.h).

// A float image (any cv::Mat type) stored exactly: a small header and the raw bytes.
std::string encode_mat(const cv::Mat& image);
// Decodes the buffer at `pos` of `bytes` and moves `pos` past it; throws k3::FileError naming
// `where` for anything but a complete buffer (sides are bounded, see run_folder.cpp).
cv::Mat decode_mat(const std::string& bytes, std::size_t& pos, const std::string& where);
void write_mat_atomically(const std::string& path, const cv::Mat& image);
cv::Mat read_mat(const std::string& path);  // throws k3::FileError
// The whole content of a file; throws k3::FileError.
std::string read_whole_file(const std::string& path);

// The frame rate a run was rendered at: RUN_DIR/settings.json key "fps" (a number or a string
// such as "24000/1001") when present, else `fallback`.
video::FrameRate run_folder_fps(const std::string& run_dir, video::FrameRate fallback = video::FrameRate{12, 1});

class RunFolder {
 public:
  // Creates `dir` (and frames/, state/) for a new run; refuses a folder that already holds a
  // run (settings.json) and checks that it is writable. On failure nothing is left behind
  // that this call created. Throws k3::FileError.
  static RunFolder create(const std::string& dir);
  // Opens an existing run folder for --resume. Throws k3::FileError when it is not one.
  static RunFolder open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string settings_path() const { return dir_ + "/settings.json"; }
  std::string frames_dir() const { return dir_ + "/frames"; }
  std::string state_dir() const { return dir_ + "/state"; }
  // The run-state journal: one file, replaced atomically after every frame (run_state.h).
  std::string journal_path() const { return dir_ + "/state/journal.k3state"; }
  std::string frame_path(int index) const;  // frames/000042.png
  std::string default_video_path() const { return dir_ + "/video.mp4"; }

  // Removes what create() made (the folders it created, or else the run's own files), for a
  // start that failed after the folder existed.
  void remove_created() const;

  void write_settings(const nlohmann::json& settings) const;
  nlohmann::json read_settings() const;
  // Writes an RGB8 frame (CV_8UC3, RGB order) as a PNG, atomically.
  void write_frame(int index, const cv::Mat& rgb8) const;
  cv::Mat read_frame(int index) const;  // RGB8

 private:
  explicit RunFolder(std::string dir, std::string created = "") : dir_(std::move(dir)), created_(std::move(created)) {}
  std::string dir_;
  std::string created_;  // the top folder create() made, "" when the folder existed
};

// Default run folder name: runs/<name>-<YYYYmmdd-HHMMSS> (name made safe for a path).
std::string default_run_dir(const std::string& preset_name);
// The preset name made safe for a path (letters, digits, - and _; others become _).
std::string run_folder_name(const std::string& preset_name);

}  // namespace k3::anim
