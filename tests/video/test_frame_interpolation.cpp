// Optical-flow in-betweens: closer to the true middle frame than a cross-fade, and a writer
// with interpolate = 2 doubles the frame rate and the frame count.
#include "animation/video/frame_interpolator.h"
#include "animation/video/video_writer.h"
#include "tests/video/video_test_util.h"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include <iostream>

using namespace k3::video;

namespace {
cv::Mat textured(int width, int height) {
  cv::Mat noise(height, width, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 2.5);
  cv::normalize(noise, noise, 0, 255, cv::NORM_MINMAX);
  return noise;
}

cv::Mat shifted(const cv::Mat& image, double dx, double dy) {
  cv::Mat out;
  const cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::warpAffine(image, out, m, image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  return out;
}

cv::Mat interior(const cv::Mat& image) { return image(cv::Rect(10, 10, image.cols - 20, image.rows - 20)); }
}  // namespace

TEST_CASE("DIS in-between of a moving texture beats a cross-fade", "[unit]") {
  const cv::Mat base = textured(160, 120);
  const cv::Mat a = base, b = shifted(base, 6, 3), truth = shifted(base, 3, 1.5);
  FrameInterpolator interpolator(2);
  const auto middle = interpolator.between(a, b);
  REQUIRE(middle.size() == 1);
  cv::Mat crossfade;
  cv::addWeighted(a, 0.5, b, 0.5, 0, crossfade);
  const double flow_psnr = k3::test::psnr(interior(middle[0]), interior(truth));
  const double fade_psnr = k3::test::psnr(interior(crossfade), interior(truth));
  std::cout << "in-between PSNR vs the true middle frame: flow " << flow_psnr << " dB, cross-fade " << fade_psnr << " dB\n";
  CHECK(flow_psnr > 30.0);
  CHECK(flow_psnr > fade_psnr + 6.0);

  FrameInterpolator thirds(3);
  CHECK(thirds.between(a, b).size() == 2);
}

TEST_CASE("interpolate = 2 writes twice the frames at twice the rate, same duration", "[unit]") {
  if (!k3::test::command_exists("ffprobe")) FAIL("ffprobe (package ffmpeg) is needed");
  k3::test::TempDir dir("video-interp");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.fps = {12, 1};
  options.interpolate = 2;
  options.preset = "veryfast";
  auto writer = open_video_writer(options);
  for (int i = 0; i < 12; ++i) writer->write(k3::test::smooth_frame(64, 48, i));
  writer->finish();
  CHECK(writer->frames_written() == 12);
  const auto video = k3::test::stream_of_type(k3::test::ffprobe(options.path), "video");
  INFO(video.dump());
  CHECK(video.value("r_frame_rate", "") == "24/1");
  CHECK(std::stol(video.value("nb_read_frames", "0")) == 24);
  CHECK(k3::test::as_number(video, "duration") == Approx(1.0).margin(1e-6));
}
