// NodeAttrs and describe_node live in lib/ir (ir/node_attrs.h), shared with the passes; this
// header forwards there for runtime code that includes it. Names in edge::rt find them.
#pragma once

#include "ir/node_attrs.h"
