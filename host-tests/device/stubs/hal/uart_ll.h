/* The UART low-level layer of ESP-IDF for the ESP32-S3 (hal/esp32s3/include/hal/uart_ll.h):
 * inline register accessors, safe in interrupt handlers. */
#ifndef STUB_HAL_UART_LL_H
#define STUB_HAL_UART_LL_H
#include <stdint.h>
#include "driver/uart.h"
typedef struct {
	union { struct { uint32_t st_urx_out: 4; uint32_t reserved4: 4; uint32_t st_utx_out: 4; uint32_t reserved12: 20; }; uint32_t val; } fsm_status;
} uart_dev_t;
uart_dev_t *stub_uart_dev(int port);
#define UART_LL_GET_HW(num) stub_uart_dev(num)
#define UART_INTR_RXFIFO_FULL  (0x1 << 0)
#define UART_INTR_TXFIFO_EMPTY (0x1 << 1)
#define UART_INTR_PARITY_ERR   (0x1 << 2)
#define UART_INTR_FRAM_ERR     (0x1 << 3)
#define UART_INTR_RXFIFO_OVF   (0x1 << 4)
#define UART_LL_INTR_MASK      (0x7ffff)
uint32_t uart_ll_get_intsts_mask(uart_dev_t *hw);
void uart_ll_clr_intsts_mask(uart_dev_t *hw, uint32_t mask);
void uart_ll_ena_intr_mask(uart_dev_t *hw, uint32_t mask);
void uart_ll_disable_intr_mask(uart_dev_t *hw, uint32_t mask);
uint32_t uart_ll_get_rxfifo_len(uart_dev_t *hw);
uint32_t uart_ll_get_txfifo_len(uart_dev_t *hw);
void uart_ll_read_rxfifo(uart_dev_t *hw, uint8_t *buf, uint32_t rd_len);
void uart_ll_write_txfifo(uart_dev_t *hw, const uint8_t *buf, uint32_t wr_len);
void uart_ll_rxfifo_rst(uart_dev_t *hw);
void uart_ll_txfifo_rst(uart_dev_t *hw);
void uart_ll_set_rxfifo_full_thr(uart_dev_t *hw, uint16_t full_thrhd);
void uart_ll_set_txfifo_empty_thr(uart_dev_t *hw, uint16_t empty_thrhd);
void uart_ll_set_parity(uart_dev_t *hw, uart_parity_t parity_mode);
#endif
