#!/usr/bin/env bash
# Entrypoint of the Flux image: ROS 2 and the flux_ros overlay sourced, then
#   docker run ... flux [name:=value ...]   ros2 launch flux_ros flux.launch.py name:=value ...
#   docker run ... flux COMMAND ...         that command (ros2 topic list, bash, flux ...)
set -e
source /opt/ros/jazzy/setup.bash
source /opt/flux_ws/install/setup.bash
if [ $# -eq 0 ] || [[ "$1" == *:=* ]]; then
  exec ros2 launch flux_ros flux.launch.py "$@"
fi
exec "$@"
