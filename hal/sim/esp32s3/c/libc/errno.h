/* The C library of the virtual ESP32-S3 board: xs.h includes errno.h; nothing here uses errno. */
#pragma once
