/* ESP-IDF v6.0.2 components/esp_hal_uart/esp32s3/include/hal/uart_ll.h: the UART register accessors
 * hal/moddable uses (FORCE_INLINE_ATTR in ESP-IDF, safe in interrupt handlers; declarations here,
 * see README.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "hal/uart_types.h"
#include "soc/uart_struct.h"

#define UART_LL_FIFO_DEF_LEN  (SOC_UART_FIFO_LEN)
#define UART_LL_GET_HW(num) (((num) == UART_NUM_0) ? (&UART0) : (((num) == UART_NUM_1) ? (&UART1) : (&UART2)))
#define UART_LL_INTR_MASK         (0x7ffff)

typedef enum {
	UART_INTR_RXFIFO_FULL      = (0x1 << 0),
	UART_INTR_TXFIFO_EMPTY     = (0x1 << 1),
	UART_INTR_PARITY_ERR       = (0x1 << 2),
	UART_INTR_FRAM_ERR         = (0x1 << 3),
	UART_INTR_RXFIFO_OVF       = (0x1 << 4),
	UART_INTR_DSR_CHG          = (0x1 << 5),
	UART_INTR_CTS_CHG          = (0x1 << 6),
	UART_INTR_BRK_DET          = (0x1 << 7),
	UART_INTR_RXFIFO_TOUT      = (0x1 << 8),
	UART_INTR_SW_XON           = (0x1 << 9),
	UART_INTR_SW_XOFF          = (0x1 << 10),
	UART_INTR_GLITCH_DET       = (0x1 << 11),
	UART_INTR_TX_BRK_DONE      = (0x1 << 12),
	UART_INTR_TX_BRK_IDLE      = (0x1 << 13),
	UART_INTR_TX_DONE          = (0x1 << 14),
	UART_INTR_RS485_PARITY_ERR = (0x1 << 15),
	UART_INTR_RS485_FRM_ERR    = (0x1 << 16),
	UART_INTR_RS485_CLASH      = (0x1 << 17),
	UART_INTR_CMD_CHAR_DET     = (0x1 << 18),
	UART_INTR_WAKEUP           = (0x1 << 19),
} uart_intr_t;

void uart_ll_ena_intr_mask(uart_dev_t *hw, uint32_t mask);
void uart_ll_disable_intr_mask(uart_dev_t *hw, uint32_t mask);
uint32_t uart_ll_get_intsts_mask(uart_dev_t *hw);
void uart_ll_clr_intsts_mask(uart_dev_t *hw, uint32_t mask);
void uart_ll_read_rxfifo(uart_dev_t *hw, uint8_t *buf, uint32_t rd_len);
void uart_ll_write_txfifo(uart_dev_t *hw, const uint8_t *buf, uint32_t wr_len);
void uart_ll_rxfifo_rst(uart_dev_t *hw);
void uart_ll_txfifo_rst(uart_dev_t *hw);
uint32_t uart_ll_get_rxfifo_len(uart_dev_t *hw);
uint32_t uart_ll_get_txfifo_len(uart_dev_t *hw);
void uart_ll_set_parity(uart_dev_t *hw, uart_parity_t parity_mode);
void uart_ll_set_rxfifo_full_thr(uart_dev_t *hw, uint16_t full_thrhd);
void uart_ll_set_txfifo_empty_thr(uart_dev_t *hw, uint16_t empty_thrhd);
