#pragma once
// Whole-file reads for the small text files calo4pq loads (configs, binning XML, checkpoint
// metadata). Callers word their own error, since they know what the file was for.
#include <optional>
#include <string>

namespace calo {

// The file's bytes, or nullopt when it cannot be opened.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace calo
