#pragma once
// The one size policy. The model takes sizes that are multiples of its MoVQ's factor times the
// UNet's (the UNet halves its latents once per level after the first): 64 for Kandinsky 3 (x8
// and x8), where the pipeline's latent size is diffusers' downscale_height_and_width. Any other
// picture is worked on a canvas of the next multiple up, the picture in its middle and its edges
// replicated into the margin, and the result cropped back to the same pixels. No pixel is
// resampled, so an animation's frame feeds the next one without blurring over time, and a
// text-to-image picture is the middle of what diffusers makes at the rounded size.
namespace k3 {

// The picture size multiple of a MoVQ with `movq_downscale` pixels per latent and a UNet of
// `unet_levels` levels.
constexpr int model_size_multiple(int movq_downscale, int unet_levels) { return movq_downscale << (unet_levels - 1); }
// Kandinsky 3's: MoVQ x8, a UNet of 4 levels.
constexpr int kModelSizeMultiple = model_size_multiple(8, 4);

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
