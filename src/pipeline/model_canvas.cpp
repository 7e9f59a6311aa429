// The one size policy (src/public/model_canvas.h).
#include "src/public/model_canvas.h"

namespace k3 {

int model_canvas_size(int pixels, int multiple) { return (pixels + multiple - 1) / multiple * multiple; }

ModelCanvas model_canvas(int width, int height, int multiple) {
  ModelCanvas canvas;
  canvas.width = model_canvas_size(width, multiple);
  canvas.height = model_canvas_size(height, multiple);
  canvas.left = (canvas.width - width) / 2;
  canvas.top = (canvas.height - height) / 2;
  return canvas;
}

}  // namespace k3
