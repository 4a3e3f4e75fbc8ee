/* ESP-IDF v6.0.2 components/esp_common/include/esp_err.h (the part hal/moddable uses). */
#pragma once

#include <stdint.h>

typedef int esp_err_t;

#define ESP_OK          0
#define ESP_FAIL        -1
