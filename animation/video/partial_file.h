#pragma once
// Internal to k3_frame: a file written under a temporary name beside its final one and renamed
// into place only when complete, so a crash never leaves a truncated file at the final name.
#include <string>

namespace k3::video {

class PartialFile {
 public:
  // "dir/out.mp4" is written as "dir/.out.mp4.partial". Throws k3::FileError when dir is missing.
  explicit PartialFile(std::string final_path);
  ~PartialFile();  // removes the partial file unless committed
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }
  // Renames the partial file onto the final name (replacing an older file there).
  void commit();

 private:
  std::string final_path_;
  std::string partial_path_;
  bool committed_ = false;
};

}  // namespace k3::video
