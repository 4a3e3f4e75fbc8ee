#ifndef STUB_ESP_ROM_GPIO_H
#define STUB_ESP_ROM_GPIO_H
#include <stdint.h>
#include <stdbool.h>
void esp_rom_gpio_connect_out_signal(uint32_t gpio_num, uint32_t signal_idx, bool out_inv, bool oen_inv);
void esp_rom_gpio_connect_in_signal(uint32_t gpio_num, uint32_t signal_idx, bool inv);
#endif
