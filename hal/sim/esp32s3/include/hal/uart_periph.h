/* ESP-IDF v6.0.2 components/esp_hal_uart/include/hal/uart_periph.h: which GPIO matrix signal and
 * which interrupt source belong to each UART (before v6: soc/uart_periph.h with
 * SOC_UART_TX_PIN_IDX / SOC_UART_RX_PIN_IDX, both gone). */
#pragma once

#include "soc/soc_caps.h"
#include "soc/interrupts.h"
#include "soc/gpio_sig_map.h"
#include "soc/uart_struct.h"

typedef enum {
	SOC_UART_PERIPH_SIGNAL_TX = 0,
	SOC_UART_PERIPH_SIGNAL_RX = 1,
	SOC_UART_PERIPH_SIGNAL_RTS = 2,
	SOC_UART_PERIPH_SIGNAL_CTS = 3,
	SOC_UART_PERIPH_SIGNAL_DTR = 4,
	SOC_UART_PERIPH_SIGNAL_DSR = 5,
	SOC_UART_PERIPH_SIGNAL_MAX,
} soc_uart_periph_signal_t;

#define UART_PERIPH_SIGNAL(IDX, PIN) (uart_periph_signal[(IDX)].pins[(PIN)].signal)

typedef struct {
	int32_t default_gpio    : 15;
	int32_t iomux_func      : 4;
	uint32_t input          : 1;
	uint32_t signal         : 12;
} uart_periph_sig_t;

typedef struct {
	const uart_periph_sig_t pins[SOC_UART_PERIPH_SIGNAL_MAX];
	const int irq;
} uart_signal_conn_t;

extern const uart_signal_conn_t uart_periph_signal[SOC_UART_NUM];
