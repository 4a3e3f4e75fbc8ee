#ifndef STUB_SOC_UART_PERIPH_H
#define STUB_SOC_UART_PERIPH_H
#include <stdint.h>
#define SOC_UART_TX_PIN_IDX 0
#define SOC_UART_RX_PIN_IDX 1
typedef struct { const uint8_t irq; } uart_signal_conn_t;
extern const uart_signal_conn_t uart_periph_signal[];
uint32_t stub_uart_signal(int port, int pin_index);
#define UART_PERIPH_SIGNAL(IDX, PIN) stub_uart_signal(IDX, PIN)
#endif
