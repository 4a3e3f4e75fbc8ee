/* TinyUSB src/common/tusb_common.h: options and types. */
#pragma once

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "tusb_option.h"
#include "common/tusb_types.h"
