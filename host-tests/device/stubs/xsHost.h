/* Stand-in for the xsHost.h of Moddable (xs/platforms/esp): what hal/moddable C files use. */
#ifndef STUB_XSHOST_H
#define STUB_XSHOST_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>

#define ICACHE_RAM_ATTR
#define ICACHE_RODATA_ATTR
#define ICACHE_XS6RO_ATTR
#define ICACHE_XS6RO2_ATTR
#define modLog(msg)
#define c_malloc malloc
#define c_calloc calloc
#define c_free free

struct xsMachineRecord;
typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);
int modMessagePostToMachine(struct xsMachineRecord *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);
int modMessagePostToMachineFromISR(struct xsMachineRecord *the, modMessageDeliver callback, void *refcon);
uint32_t modMilliseconds(void);
#endif
