// Used while src/ has no k3::Generator implementation (src/generator.cpp, by the core work):
// a model folder then gives a clear error instead of a link failure. Replaced by
// kandinsky_backend.cpp once Generator::load exists.
#include "animation/render/frame_backend.h"
#include "src/errors.h"

namespace k3::anim {

std::unique_ptr<FrameBackend> make_kandinsky_backend(const GeneratorOptions&) {
  throw ConfigError("model.dir: this k3anim was built without the Kandinsky 3 generator (src/generator.cpp); "
                    "use --preview");
}

}  // namespace k3::anim
