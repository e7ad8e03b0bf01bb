// write_report: picks the writer from the file extension and writes atomically.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "ir/atomic_file.h"
#include "ir/status.h"
#include "report/report.h"

namespace edge::report {

void write_report(const Report& r, const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string text;
  if (ext == ".json") {
    text = to_json(r);
  } else if (ext == ".md" || ext == ".markdown") {
    text = to_markdown(r);
  } else if (ext == ".html" || ext == ".htm") {
    text = to_html(r);
  } else {
    fail("report " + path + ": unknown report format '" + ext +
         "' (the extension must be .json, .md, .markdown, .html or .htm)");
  }
  write_file_atomic(path, text);
}

}  // namespace edge::report
