#include "tests/depth/depth_fixtures.h"

#include "base/errors.h"
#include "src/io/model_folder.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace k3::test::depth {

std::vector<GoldenModel> golden_models() {
  std::vector<GoldenModel> out;
  if (!fixtures_present("depth-tiny-golden")) return out;
  const auto meta = k3::read_json_file(golden_dir() + "/meta.json");
  std::vector<GoldenPicture> pictures;
  for (const auto& image : meta.at("images"))
    pictures.push_back({image.at("name").get<std::string>(), golden_dir() + "/" + image.at("file").get<std::string>()});
  for (const auto& item : meta.at("models").items())
    out.push_back({item.key(), models_dir() + "/" + item.key(), golden_dir() + "/" + item.key() + ".safetensors", pictures});
  return out;
}

ImageRGB8 read_rgb_png(const std::string& path) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw k3::FileError(path + ": expected a readable picture, got none");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  ImageRGB8 out{rgb.cols, rgb.rows, {}};
  out.pixels.assign(rgb.data, rgb.data + rgb.total() * 3);
  return out;
}

}  // namespace k3::test::depth
