/* ESP-IDF v6.0.2 components/esp_common/include/esp_attr.h: code and data placement. WebAssembly has
 * no linker sections for code, so the virtual board (__wasm__) keeps the names and drops the
 * placement. */
#pragma once

#if defined(__wasm__)
	#define IRAM_ATTR
	#define DRAM_ATTR
#else
	#define _SECTION_ATTR_IMPL(SECTION, COUNTER) __attribute__((section(SECTION "." #COUNTER)))
	#define IRAM_ATTR _SECTION_ATTR_IMPL(".iram1", __COUNTER__)
	#define DRAM_ATTR _SECTION_ATTR_IMPL(".dram1", __COUNTER__)
#endif

#define FORCE_INLINE_ATTR static inline __attribute__((always_inline))
