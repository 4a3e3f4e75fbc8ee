/**
 * For the host type-checks only: tsconfig.device.json takes firmware/**, and firmware/main.ts (the
 * device's composition root) imports Moddable modules and, through hal/moddable, uses the XS
 * globals. These references bring our declarations of them (hal/moddable/typings). mcconfig never
 * reads this file: nothing imports it, and the device build uses the Moddable SDK's declarations.
 */
/// <reference path="../hal/moddable/typings/xs-globals.d.ts" />
/// <reference path="../hal/moddable/typings/embedded-io.d.ts" />
/// <reference path="../hal/moddable/typings/moddable.d.ts" />
