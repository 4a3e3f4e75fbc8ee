/* ESP-IDF v6.0.2 components/soc/esp32s3/include/soc/interrupts.h: the interrupt sources the drivers
 * reach (values as the real enumeration numbers them). */
#pragma once

typedef enum {
	ETS_UART0_INTR_SOURCE = 27,
	ETS_UART1_INTR_SOURCE = 28,
	ETS_UART2_INTR_SOURCE = 29,
	ETS_USB_INTR_SOURCE = 38,
	ETS_TG0_T0_LEVEL_INTR_SOURCE = 50,
} periph_interrupt_t;
