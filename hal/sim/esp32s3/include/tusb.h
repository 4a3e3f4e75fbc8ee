/* TinyUSB src/tusb.h (espressif/tinyusb v0.19.0.3): the device stack's public headers. */
#pragma once

#include "common/tusb_common.h"
#include "osal/osal.h"

#if CFG_TUD_ENABLED
	#include "device/usbd.h"
#endif
