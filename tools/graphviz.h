// Drawing a DOT graph into an image with graphviz's `dot` command: minigradc
// dump-ir --format svg|png. The DOT text goes to a temporary file beside the image,
// `dot` draws it into a temporary image, which is renamed over the target only when
// `dot` succeeded. Without graphviz this is an error that says what to install.
#pragma once

#include <string>

namespace minigrad::tools {

// Draws `dot_text` into `path` in `format` ("svg" or "png"); Error if `dot` is not
// installed or fails (with what it printed).
void render_dot(const std::string& dot_text, const std::string& format, const std::string& path);

}  // namespace minigrad::tools
