// The pass registry, generated from passes.def.
#pragma once

#include <string>
#include <vector>

#include "ir/text_util.h"
#include "pass/pass.h"

namespace edge::pass {

const std::vector<PassInfo>& all_passes();
// Throws Error "unknown pass 'x' (did you mean 'y'?)" when absent.
const PassInfo& find_pass(const std::string& name);

using edge::nearest_name;  // ir/text_util.h

}  // namespace edge::pass
