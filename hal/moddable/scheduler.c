/*
 * The clock behind hal/moddable/scheduler.ts: esp_timer's microsecond counter, which runs from
 * boot, never wraps in practice (64 bits) and is readable from any task. Moddable's own
 * modMicroseconds() truncates it to 32 bits (wraps after 71 minutes), too short for a reader that
 * stays plugged in.
 */
#include "xsmc.h"
#include "xsHost.h"

#include "esp_timer.h"

void xs_scheduler_microseconds(xsMachine *the)
{
	xsmcSetNumber(xsResult, (double)esp_timer_get_time());
}
