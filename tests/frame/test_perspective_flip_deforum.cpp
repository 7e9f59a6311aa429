// The perspective flip against Deforum's own arithmetic for a flip-only frame. The reference is
// derived here step by step from sd-webui-deforum scripts/deforum_helpers/animation.py
// (getRotationMatrixManual, warpMatrix, getPoints_for_PerspectiveTranformEstimation,
// get_flip_perspective_matrix, flip_3d_perspective), numpy's dtypes followed: float64
// matrices, float32 corner points and float32 recentring, cv2.warpPerspective on the uint8
// frame with BORDER_REPLICATE and bilinear sampling.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <vector>

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "animation/ops/perspective_flip.h"
#include "frame_test_images.h"

using namespace k3::ops;

namespace {

double deg2rad(double degrees) { return degrees * (M_PI / 180.0); }  // numpy: x * (pi / 180)

cv::Mat eye4() { return cv::Mat::eye(4, 4, CV_64F); }

// getRotationMatrixManual([phi, gamma, theta]) = Rphi @ Rgamma @ Rtheta.
cv::Mat deforum_rotation(double phi_deg, double gamma_deg, double theta_deg) {
  const double phi = deg2rad(phi_deg), gamma = deg2rad(gamma_deg), theta = deg2rad(theta_deg);
  cv::Mat rphi = eye4(), rgamma = eye4(), rtheta = eye4();
  rphi.at<double>(1, 1) = std::cos(phi);
  rphi.at<double>(2, 2) = rphi.at<double>(1, 1);
  rphi.at<double>(1, 2) = -std::sin(phi);
  rphi.at<double>(2, 1) = std::sin(phi);
  rgamma.at<double>(0, 0) = std::cos(gamma);
  rgamma.at<double>(2, 2) = rgamma.at<double>(0, 0);
  rgamma.at<double>(0, 2) = std::sin(gamma);
  rgamma.at<double>(2, 0) = -std::sin(gamma);
  rtheta.at<double>(0, 0) = std::cos(theta);
  rtheta.at<double>(1, 1) = rtheta.at<double>(0, 0);
  rtheta.at<double>(0, 1) = -std::sin(theta);
  rtheta.at<double>(1, 0) = std::sin(theta);
  return rphi * rgamma * rtheta;
}

// get_flip_perspective_matrix(W, H, ...): warpMatrix(W, H, theta, phi, gamma, 1., fv) then bM.
cv::Mat deforum_flip_matrix(int W, int H, double theta, double phi, double gamma, double fv) {
  const double fVhalf = deg2rad(fv / 2.0);
  const double d = std::sqrt(static_cast<double>(W) * W + static_cast<double>(H) * H);
  const double sideLength = 1.0 * d / std::cos(fVhalf);
  const double h = d / (2.0 * std::sin(fVhalf));
  const double n = h - d / 2.0;
  const double f = h + d / 2.0;
  cv::Mat T = eye4();
  T.at<double>(2, 3) = -h;
  cv::Mat R = deforum_rotation(phi, gamma, theta);
  cv::Mat P = eye4();  // np.eye(4,4): P[3,3] stays 1
  P.at<double>(0, 0) = 1.0 / std::tan(fVhalf);
  P.at<double>(1, 1) = P.at<double>(0, 0);
  P.at<double>(2, 2) = -(f + n) / (f - n);
  P.at<double>(2, 3) = -(2.0 * f * n) / (f - n);
  P.at<double>(3, 2) = -1.0;
  cv::Mat F = P * T * R;
  // ptsIn (1, 4, 3) float64 through cv2.perspectiveTransform.
  std::vector<cv::Point3d> pts_in = {{-W / 2., H / 2., 0.}, {W / 2., H / 2., 0.}, {W / 2., -H / 2., 0.}, {-W / 2., -H / 2., 0.}};
  std::vector<cv::Point3d> pts_out;
  cv::perspectiveTransform(pts_in, pts_out, F);
  // pin = ptsIn2D + [W/2, H/2]; pout = (ptsOut2D + [1, 1]) * (0.5 * sidelength); both .astype(float32).
  cv::Point2f pin[4], pout[4];
  for (int i = 0; i < 4; ++i) {
    pin[i] = cv::Point2f(static_cast<float>(pts_in[i].x + W / 2.), static_cast<float>(pts_in[i].y + H / 2.));
    pout[i] = cv::Point2f(static_cast<float>((pts_out[i].x + 1.) * (0.5 * sideLength)),
                          static_cast<float>((pts_out[i].y + 1.) * (0.5 * sideLength)));
  }
  cv::Mat M33 = cv::getPerspectiveTransform(pin, pout);
  // post_trans_mat = np.float32([[1, 0, (W-sl)/2], [0, 1, (H-sl)/2]]) stacked with [0, 0, 1].
  cv::Mat post = (cv::Mat_<double>(3, 3) << 1, 0, static_cast<float>((W - sideLength) / 2), 0, 1,
                  static_cast<float>((H - sideLength) / 2), 0, 0, 1);
  return M33 * post;  // np.matmul(M, post_trans_mat): float64
}

// A frame with detail at every scale, as a photograph has (8-bit, as Deforum's frames are).
cv::Mat textured_frame(int width, int height) {
  cv::Mat noise = k3::test::random_test_image(width, height, 7);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 1.2);
  cv::Mat centred, frame;
  cv::subtract(noise, cv::Scalar::all(127.5), centred);
  cv::addWeighted(k3::test::smooth_test_image(width, height), 0.5, centred, 1.5, 64.0, frame);
  return to_u8_rgb(frame);
}

struct LevelError {
  double mean = 0, p99 = 0;
};
LevelError level_error(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  std::vector<unsigned char> values(diff.data, diff.data + diff.total() * diff.channels());
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (unsigned char v : values) sum += v;
  return {sum / values.size(), static_cast<double>(values[static_cast<size_t>(0.99 * (values.size() - 1))])};
}

}  // namespace

TEST_CASE("perspective flip matches Deforum's arithmetic for a flip-only frame", "[unit]") {
  struct Case {
    int W, H;
    double theta, phi, gamma, fv;
  };
  for (const Case& c : {Case{512, 512, 5, 3, 7, 53}, Case{640, 384, -12, 8, 0, 40}, Case{384, 512, 0, 0, 0, 53}}) {
    const cv::Mat frame8 = textured_frame(c.W, c.H);
    const cv::Mat bM = deforum_flip_matrix(c.W, c.H, c.theta, c.phi, c.gamma, c.fv);
    cv::Mat reference;
    cv::warpPerspective(frame8, reference, bM, frame8.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);

    PerspectiveFlip flip{c.theta, c.phi, c.gamma, c.fv};
    const SamplingOptions bilinear{BorderMode::Replicate, Interpolation::Bilinear};
    const cv::Mat ours = to_u8_rgb(perspective_flip(to_float_rgb(frame8), flip, bilinear));
    const cv::Matx33d m = perspective_flip_matrix(frame8.size(), flip);
    double matrix_error = 0;
    for (int i = 0; i < 9; ++i) matrix_error = std::max(matrix_error, std::abs(m.val[i] - bM.at<double>(i / 3, i % 3)));
    const LevelError e = level_error(ours, reference);

    PerspectiveFlip exact = flip;
    exact.deforum_arithmetic = false;
    const LevelError before = level_error(to_u8_rgb(perspective_flip(to_float_rgb(frame8), exact, bilinear)), reference);
    std::cout << "flip " << c.W << "x" << c.H << " theta " << c.theta << " phi " << c.phi << " gamma " << c.gamma << " fv "
              << c.fv << ": vs Deforum mean " << e.mean << " p99 " << e.p99 << " levels (matrix max diff " << matrix_error
              << "); the true projection: mean " << before.mean << " p99 " << before.p99 << "\n";
    INFO("mean " << e.mean << " p99 " << e.p99 << " matrix " << matrix_error);
    CHECK(e.mean <= 0.5);
    CHECK(e.p99 <= 4);
    CHECK(matrix_error < 1e-9);
  }
}
