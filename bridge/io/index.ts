// The I/O extensions the bridge's own bindings use (topics, devices); documents may declare them too.
import { deviceIn, deviceOut } from './device.js';
import { rosTopicIn, rosTopicOut } from './ros-topic.js';

export const IO_EXTENSIONS = [rosTopicIn, rosTopicOut, deviceIn, deviceOut];
