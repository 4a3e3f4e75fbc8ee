/* TinyUSB src/common/tusb_compiler.h (the attributes the mirrored headers use, GCC form). */
#pragma once

#define TU_ATTR_ALIGNED(Bytes)        __attribute__ ((aligned(Bytes)))
#define TU_ATTR_PACKED                __attribute__ ((packed))
#define TU_ATTR_ALWAYS_INLINE         __attribute__ ((always_inline))
