#ifndef STUB_HAL_GPIO_LL_H
#define STUB_HAL_GPIO_LL_H
#include <stdint.h>
typedef struct { uint32_t out; uint32_t in; } gpio_dev_t;
extern gpio_dev_t GPIO;
void gpio_ll_set_level(gpio_dev_t *hw, uint32_t gpio_num, uint32_t level);
int gpio_ll_get_level(gpio_dev_t *hw, uint32_t gpio_num);
#endif
