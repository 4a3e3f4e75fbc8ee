/* The C library of the virtual ESP32-S3 board: setjmp without longjmp. xs.h's xsBeginHost saves a
 * jump buffer; on the virtual board an XS exception is a JavaScript exception that unwinds the
 * WebAssembly stack itself (hal/sim/esp32s3/xs-host.ts), so nothing ever jumps back here. */
#pragma once

typedef long jmp_buf[8];

static inline int setjmp(jmp_buf env)
{
	(void)env;
	return 0;
}
