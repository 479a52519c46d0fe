// The I/O extensions the bridge's own bindings use (topics, devices); documents may declare them too.
import type { AnyExtension } from '../../extensions/registry.js';
import type { IoContext } from './context.js';
import { deviceIn, deviceOut } from './device.js';
import { rosTopicIn, rosTopicOut } from './ros-topic.js';

export const IO_EXTENSIONS: AnyExtension<IoContext>[] = [rosTopicIn, rosTopicOut, deviceIn, deviceOut];
