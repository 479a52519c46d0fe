# Flux as a ROS 2 node (flux.launch.xml is the same in XML):
#   ros2 launch flux_ros flux.launch.py namespace:=robot1 cmd_vel:=/diff_drive_controller/cmd_vel stamped:=true
# Parameters come from params_file, then from the launch arguments use_sim_time, backend and stamped
# (which win over the file); circuit, when given, wins over both.
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument(
            'bridge', default_value='',
            description='bridge document (topics <-> circuit); empty: the Braitenberg example in FLUX_HOME'),
        DeclareLaunchArgument(
            'circuit', default_value='',
            description='circuit file (the circuit parameter); empty: the one the bridge names'),
        DeclareLaunchArgument(
            'params_file',
            default_value=PathJoinSubstitution([FindPackageShare('flux_ros'), 'config', 'flux_params.yaml']),
            description='ROS parameters file for the node'),
        DeclareLaunchArgument('namespace', default_value='', description='namespace of the node and its relative topics'),
        DeclareLaunchArgument('use_sim_time', default_value='false', description='follow /clock (true in simulation)'),
        DeclareLaunchArgument('cmd_vel', default_value='cmd_vel', description='topic the cmd_vel output is remapped to'),
        DeclareLaunchArgument('scan', default_value='scan', description='topic the scan input is remapped to'),
        DeclareLaunchArgument(
            'stamped', default_value='false',
            description='publish geometry_msgs/TwistStamped (true: ros2_control diff_drive_controller on jazzy) '
                        'or Twist (false: Gazebo ros_gz_bridge DiffDrive)'),
        DeclareLaunchArgument(
            'backend', default_value='auto', choices=['auto', 'cpu', 'webgpu'],
            description='engine backend: auto picks a hardware GPU when there is one'),
        Node(
            package='flux_ros',
            executable='flux_node',
            name='flux',
            namespace=LaunchConfiguration('namespace'),
            output='screen',
            arguments=[LaunchConfiguration('bridge')],
            parameters=[
                LaunchConfiguration('params_file'),
                {
                    'use_sim_time': LaunchConfiguration('use_sim_time'),
                    'backend': LaunchConfiguration('backend'),
                    'outputs.cmd_vel.stamped': LaunchConfiguration('stamped'),
                },
            ],
            remappings=[
                ('cmd_vel', LaunchConfiguration('cmd_vel')),
                ('scan', LaunchConfiguration('scan')),
            ],
            # Passed as a -p rule by flux_node only when non-empty (an empty circuit is no file).
            additional_env={'FLUX_CIRCUIT': LaunchConfiguration('circuit')},
        ),
    ])
