#pragma once
// Writes a file so that readers see either the old content or the complete new one: the writer
// fills `<path>.tmp.<pid>`, fsyncs it, then renames it over `path`.
#include <functional>
#include <string>

namespace calo {

// `write` receives the temporary path to fill. On any exception the temporary file is removed and
// the previous `path` is untouched.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string& tmp_path)>& write);
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace calo
