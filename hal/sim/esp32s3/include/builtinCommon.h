/* Moddable SDK 8.2.3 modules/io/common/builtinCommon.h (the part hal/moddable uses): the registry
 * of pins in use by ECMA-419 IO instances and native modules. */
#ifndef __BUILTINCOMMON_H__
#define __BUILTINCOMMON_H__

#include <stdint.h>

#if ESP32
	#include "freertos/FreeRTOS.h"
	#define kPinBanks (2)
#endif

#ifdef kPinBanks
	#define builtinIsPinFree(pin) builtinArePinsFree(pin >> 5, 1 << (pin & 0x1F))
	#define builtinUsePin(pin) builtinUsePins(pin >> 5, 1 << (pin & 0x1F))
	#define builtinFreePin(pin) builtinFreePins(pin >> 5, 1 << (pin & 0x1F))

	uint8_t builtinArePinsFree(uint32_t bank, uint32_t pin);
	uint8_t builtinUsePins(uint32_t bank, uint32_t pin);
	void builtinFreePins(uint32_t bank, uint32_t pin);
#endif

#endif
