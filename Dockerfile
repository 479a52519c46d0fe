# Flux as a ROS 2 (jazzy) node: the flux_ros launch file running the Braitenberg example by default.
#   docker build -t flux .
#   docker run --rm -it --net=host --ipc=host flux namespace:=robot1 cmd_vel:=/diff_drive_controller/cmd_vel stamped:=true
# (host network and IPC, so that DDS reaches the robot's nodes, shared memory included.)
# Arguments name:=value go to `ros2 launch flux_ros flux.launch.py`; anything else runs as a command.
# Not built or run where Flux is developed (no Docker engine there): see the README.
FROM ros:jazzy-ros-base

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Node.js from the official nodejs.org tarball, pinned; rclnodejs 2.2.0 needs >= 20.20.2. The
# tarball is checked against the release's SHASUMS256.txt.
ARG NODE_VERSION=20.20.2
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl xz-utils python3-colcon-common-extensions \
    pkg-config g++ ros-jazzy-cyclonedds \
 && rm -rf /var/lib/apt/lists/* \
 && case "$(dpkg --print-architecture)" in amd64) arch=x64 ;; arm64) arch=arm64 ;; *) echo "no Node.js build for $(dpkg --print-architecture)" >&2; exit 1 ;; esac \
 && tarball="node-v${NODE_VERSION}-linux-${arch}.tar.xz" \
 && cd /tmp \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}" \
 && curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt" \
 && grep " ${tarball}\$" SHASUMS256.txt | sha256sum -c - \
 && tar -xJf "${tarball}" -C /usr/local --strip-components=1 --no-same-owner \
 && rm "${tarball}" SHASUMS256.txt \
 && node --version

# Flux: `npm ci` runs `prepare`, which builds the TypeScript and the WebAssembly kernels, so the
# sources come first. Its install step builds the DDS transport (native/dds) against the image's own
# Cyclone DDS (found through the sourced ROS 2; FLUX_DDS_REQUIRED makes a failed build fail the image).
# rclnodejs builds against the sourced ROS 2 and generates its message classes.
WORKDIR /opt/flux
COPY . .
RUN source /opt/ros/jazzy/setup.bash \
 && FLUX_DDS_REQUIRED=1 npm ci \
 && npm install --no-save rclnodejs@2.2.0

# The flux_ros package: its flux_node records /opt/flux as FLUX_HOME.
WORKDIR /opt/flux_ws
RUN source /opt/ros/jazzy/setup.bash \
 && colcon build --base-paths /opt/flux/launch \
 && rm -rf build log

ENV FLUX_HOME=/opt/flux
# `docker stop` then stops it as Ctrl-C would: launch passes SIGINT on, and Flux publishes the safe
# command before it exits.
STOPSIGNAL SIGINT
ENTRYPOINT ["/opt/flux/launch/docker/entrypoint.sh"]
