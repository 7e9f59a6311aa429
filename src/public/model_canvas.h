#pragma once
// The one size policy. The model takes sizes that are multiples of 64 (MoVQ's x8 times the
// UNet's x8); any other picture is worked on a canvas of the next multiple up, the picture in its
// middle and its edges replicated into the margin, and the result cropped back to the same
// pixels. No pixel is resampled, so an animation's frame feeds the next one without blurring over
// time, and a text-to-image picture is the middle of what diffusers makes at the rounded size.
namespace k3 {

constexpr int kModelSizeMultiple = 64;

struct ModelCanvas {
  int width = 0, height = 0;  // the canvas
  int left = 0, top = 0;      // where the picture sits on it
  bool same_as(int picture_width, int picture_height) const {
    return width == picture_width && height == picture_height;
  }
};

// The next multiple of `multiple` at or above `pixels`.
int model_canvas_size(int pixels, int multiple = kModelSizeMultiple);
ModelCanvas model_canvas(int width, int height, int multiple = kModelSizeMultiple);

}  // namespace k3
