// src/observe/page_assets.hpp: the Observer's dashboard (src/observe/page/), embedded
// into libsnow at build time by src/observe/page/embed.py.
#pragma once

#include <string_view>
#include <vector>

namespace snow::internal {

struct PageAsset {
  std::string_view path;          // as requested: "/", "/observer.js", ...
  std::string_view content_type;
  std::string_view body;
};

/// Every embedded file.
const std::vector<PageAsset>& page_assets();

}  // namespace snow::internal
