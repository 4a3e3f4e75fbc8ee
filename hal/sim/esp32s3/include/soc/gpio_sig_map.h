/* ESP-IDF v6.0.2 components/soc/esp32s3/include/soc/gpio_sig_map.h: the GPIO matrix signals of the
 * UARTs, and the "plain GPIO" output. */
#pragma once

#define U0RXD_IN_IDX                  12
#define U0TXD_OUT_IDX                 12
#define U1RXD_IN_IDX                  15
#define U1TXD_OUT_IDX                 15
#define U2RXD_IN_IDX                  18
#define U2TXD_OUT_IDX                 18
#define SIG_GPIO_OUT_IDX              256
