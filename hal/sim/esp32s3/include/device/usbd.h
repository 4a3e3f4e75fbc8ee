/* TinyUSB src/device/usbd.h (the part the CCID driver uses): control transfer replies. */
#pragma once

#include "common/tusb_common.h"

bool tud_control_xfer(uint8_t rhport, tusb_control_request_t const *request, void *buffer, uint16_t len);
bool tud_control_status(uint8_t rhport, tusb_control_request_t const *request);
