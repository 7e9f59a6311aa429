#pragma once
// Deforum's color_force_grayscale: frames turned grey and back to three equal channels, with the
// two conversions Deforum uses at its different steps (render.py): OpenCV's on the warped frame
// and on the tweens, Pillow's (ImageOps.grayscale) on each generated frame.
#include <opencv2/core.hpp>

namespace k3::ops {

// cv2.cvtColor(RGB2GRAY) then GRAY2RGB on the frame rounded to 8 bits (Deforum's frames are uint8
// there): L = (4899 R + 9617 G + 1868 B + 2^13) >> 14. CV_32FC3 in and out, integer values.
cv::Mat grey_as_opencv(const cv::Mat& rgb);
// Pillow's convert("L") then back to RGB: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16.
cv::Mat grey_as_pillow(const cv::Mat& rgb);

}  // namespace k3::ops
