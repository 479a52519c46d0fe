# Flux driving a differential-drive robot in Gazebo Harmonic (gz sim 8, ROS 2 jazzy):
#   ros2 launch flux_ros gazebo_diffdrive.launch.py                      # the default arena, with the GUI
#   ros2 launch flux_ros gazebo_diffdrive.launch.py arena:=cluttered headless:=true bridge:=/abs/my_bridge.yaml
#
# Starts gz sim on a world of worlds/ (arenaToSdf in sim/sdf.ts made each from the built-in arena of
# the same name: the same walls, obstacles and robot as `flux run --sim <arena>`), ros_gz_bridge for
# cmd_vel, scan, odom, imu and clock, and Flux (flux.launch.py) with use_sim_time and a plain Twist
# (Gazebo's DiffDrive takes Twist, not TwistStamped). The world publishes under the built-in
# simulator's topic and frame names (/scan in lidar_link, /odom odom -> base_link, /imu in imu_link,
# /clock, /cmd_vel in), so the same bridge document drives both; the IR ranges (/ir/*) have no Gazebo
# counterpart. Needs ros-jazzy-ros-gz (ros_gz_sim, ros_gz_bridge).
#
# UNTESTED on our machines (no ROS 2 or Gazebo there): tests/gazebo.test.ts checks only that this file
# compiles and what it declares, bridges and includes, and that the worlds are well-formed and current.
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, SetLaunchConfiguration
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument(
            'arena', default_value='default',
            description='built-in arena whose world to load: default or cluttered (worlds/<arena>.sdf)'),
        DeclareLaunchArgument(
            'world',
            default_value=[PathJoinSubstitution([FindPackageShare('flux_ros'), 'worlds', LaunchConfiguration('arena')]), '.sdf'],
            description='SDF world file (wins over arena); it must publish scan, odom, imu and take cmd_vel as worlds/*.sdf do'),
        DeclareLaunchArgument('headless', default_value='false', description='run the gz sim server only (no GUI)'),
        DeclareLaunchArgument(
            'bridge', default_value='',
            description='bridge document (topics <-> circuit); empty: the Braitenberg example in FLUX_HOME'),
        DeclareLaunchArgument(
            'circuit', default_value='',
            description='circuit file (the circuit parameter); empty: the one the bridge names'),
        DeclareLaunchArgument('backend', default_value='auto', description='engine backend: auto, cpu or webgpu'),

        # gz sim -r [-s] <world>: run at once; -s, the server alone. Closing Gazebo ends the launch.
        SetLaunchConfiguration('gz_server_only', '-s ', condition=IfCondition(LaunchConfiguration('headless'))),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([FindPackageShare('ros_gz_sim'), 'launch', 'gz_sim.launch.py'])),
            launch_arguments={
                'gz_args': ['-r ', LaunchConfiguration('gz_server_only', default=''), LaunchConfiguration('world')],
                'on_exit_shutdown': 'true',
            }.items(),
        ),

        # topic@ROS type(direction)gz type: ] ROS -> Gazebo, [ Gazebo -> ROS. The world's relative gz
        # topics (cmd_vel, scan, ...) are these absolute ones; gz sim publishes /clock itself.
        Node(
            package='ros_gz_bridge',
            executable='parameter_bridge',
            name='gz_bridge',
            output='screen',
            arguments=[
                '/cmd_vel@geometry_msgs/msg/Twist]gz.msgs.Twist',
                '/scan@sensor_msgs/msg/LaserScan[gz.msgs.LaserScan',
                '/odom@nav_msgs/msg/Odometry[gz.msgs.Odometry',
                '/imu@sensor_msgs/msg/Imu[gz.msgs.IMU',
                '/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock',
            ],
        ),

        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(PathJoinSubstitution([FindPackageShare('flux_ros'), 'launch', 'flux.launch.py'])),
            launch_arguments={
                'bridge': LaunchConfiguration('bridge'),
                'circuit': LaunchConfiguration('circuit'),
                'backend': LaunchConfiguration('backend'),
                'use_sim_time': 'true',
                'stamped': 'false',
            }.items(),
        ),
    ])
