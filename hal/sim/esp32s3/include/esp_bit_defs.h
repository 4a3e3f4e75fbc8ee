/* ESP-IDF v6.0.2 components/esp_common/include/esp_bit_defs.h (the bits gpio_types.h uses). */
#pragma once

#define BIT2 0x00000004
#define BIT1 0x00000002
#define BIT0 0x00000001
