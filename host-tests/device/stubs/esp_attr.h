#ifndef STUB_ESP_ATTR_H
#define STUB_ESP_ATTR_H
/* Places a function in internal RAM so it runs while flash is busy (interrupt handlers). */
#define IRAM_ATTR __attribute__((section(".iram1")))
#endif
