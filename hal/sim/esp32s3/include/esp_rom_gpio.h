/* ESP-IDF v6.0.2 components/esp_rom/include/esp_rom_gpio.h: the GPIO matrix routing functions in ROM. */
#pragma once

#include <stdint.h>
#include <stdbool.h>

void esp_rom_gpio_connect_in_signal(uint32_t gpio_num, uint32_t signal_idx, bool inv);
void esp_rom_gpio_connect_out_signal(uint32_t gpio_num, uint32_t signal_idx, bool out_inv, bool oen_inv);
