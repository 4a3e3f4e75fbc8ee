/* ESP-IDF v6.0.2 components/esp_timer/include/esp_timer.h (the part hal/moddable uses). */
#pragma once

#include <stdint.h>
#include "esp_err.h"

int64_t esp_timer_get_time(void);
