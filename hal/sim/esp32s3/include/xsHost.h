/* Moddable SDK 8.2.3 xs/platforms/esp/xsHost.h (the part hal/moddable uses): messages from any task
 * or interrupt to the XS machine, and the C library names. As in the real header, the message
 * functions are declared only after xs.h (which defines __XS__): include xsmc.h first. */
#ifndef __XSHOST__
#define __XSHOST__

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*modMessageDeliver)(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

#if defined(__XS__)
	int modMessagePostToMachine(xsMachine *the, uint8_t *message, uint16_t messageLength, modMessageDeliver callback, void *refcon);
	#if ESP32
		int modMessagePostToMachineFromISR(xsMachine *the, modMessageDeliver callback, void *refcon);
	#endif
#endif

#define c_calloc calloc
#define c_free free
#define c_malloc malloc

#endif
