// Golden CDR bytes from Cyclone DDS (Debian's cyclonedds-dev), an implementation independent of the
// @foxglove serializer Flux uses: each sample is written by a DDS writer, taken raw by a reader in the
// same process (dds_takecdr) and printed as hex with the JSON of its values. Run make.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dds/dds.h"
#include "dds/ddsi/ddsi_serdata.h"
#include "msgs.h"

static dds_entity_t pp;
static int first = 1;

static void dump(const char *type, const char *json, const dds_topic_descriptor_t *desc, const void *sample) {
  char topic[64];
  snprintf(topic, sizeof topic, "golden_%d", first ? 0 : rand());
  dds_entity_t tp = dds_create_topic(pp, desc, topic, NULL, NULL);
  dds_qos_t *q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(1));
  dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
  dds_entity_t rd = dds_create_reader(pp, tp, q, NULL);
  dds_entity_t wr = dds_create_writer(pp, tp, q, NULL);
  if (dds_write(wr, sample) < 0) { fprintf(stderr, "write failed: %s\n", type); exit(1); }
  struct ddsi_serdata *sd = NULL;
  dds_sample_info_t si;
  for (int i = 0; i < 200 && dds_takecdr(rd, &sd, 1, &si, DDS_ANY_STATE) != 1; i++) dds_sleepfor(DDS_MSECS(5));
  if (!sd) { fprintf(stderr, "no sample: %s\n", type); exit(1); }
  size_t n = ddsi_serdata_size(sd);
  unsigned char *buf = malloc(n);
  ddsi_serdata_to_ser(sd, 0, n, buf);
  printf("%s{\"type\": \"%s\", \"value\": %s, \"hex\": \"", first ? "[\n" : ",\n", type, json);
  for (size_t i = 0; i < n; i++) printf("%02x", buf[i]);
  printf("\"}");
  first = 0;
  free(buf);
  ddsi_serdata_unref(sd);
  dds_delete_qos(q);
}

#define HEADER_JSON "{\"stamp\": {\"sec\": 1700000000, \"nanosec\": 123456789}, \"frame_id\": \"base_link\"}"
#define HEADER { { 1700000000, 123456789 }, "base_link" }
#define TWIST { { 0.5, -1.25, 3.0 }, { 0.0, 0.125, -2.5 } }
#define TWIST_JSON "{\"linear\": {\"x\": 0.5, \"y\": -1.25, \"z\": 3}, \"angular\": {\"x\": 0, \"y\": 0.125, \"z\": -2.5}}"

int main(void) {
  pp = dds_create_participant(DDS_DOMAIN_DEFAULT, NULL, NULL);
  if (pp < 0) { fprintf(stderr, "no participant\n"); return 1; }

  geometry_msgs_msg_Twist tw = TWIST;
  dump("geometry_msgs/msg/Twist", TWIST_JSON, &geometry_msgs_msg_Twist_desc, &tw);

  geometry_msgs_msg_TwistStamped ts = { HEADER, TWIST };
  dump("geometry_msgs/msg/TwistStamped", "{\"header\": " HEADER_JSON ", \"twist\": " TWIST_JSON "}", &geometry_msgs_msg_TwistStamped_desc, &ts);

  float ranges[5] = { 0.5f, 1.25f, 3.0f, 10.0f, 0.125f };
  float intens[2] = { 100.0f, 7.5f };
  sensor_msgs_msg_LaserScan ls = { HEADER, -1.5f, 1.5f, 0.75f, 0.0f, 0.1f, 0.05f, 12.0f, { 5, 5, ranges, false }, { 2, 2, intens, false } };
  dump("sensor_msgs/msg/LaserScan",
       "{\"header\": " HEADER_JSON ", \"angle_min\": -1.5, \"angle_max\": 1.5, \"angle_increment\": 0.75, \"time_increment\": 0, \"scan_time\": 0.10000000149011612, \"range_min\": 0.05000000074505806, \"range_max\": 12, \"ranges\": [0.5, 1.25, 3, 10, 0.125], \"intensities\": [100, 7.5]}",
       &sensor_msgs_msg_LaserScan_desc, &ls);

  sensor_msgs_msg_Imu imu;
  memset(&imu, 0, sizeof imu);
  imu.header = (std_msgs_msg_Header)HEADER;
  imu.orientation = (geometry_msgs_msg_Quaternion){ 0.0, 0.0, 0.7071, 0.7071 };
  for (int i = 0; i < 9; i++) imu.orientation_covariance[i] = i == 0 ? -1.0 : 0.0;
  imu.angular_velocity = (geometry_msgs_msg_Vector3){ 0.01, -0.02, 0.5 };
  for (int i = 0; i < 9; i++) imu.angular_velocity_covariance[i] = i % 4 == 0 ? 0.001 : 0.0;
  imu.linear_acceleration = (geometry_msgs_msg_Vector3){ 0.1, 0.0, 9.81 };
  dump("sensor_msgs/msg/Imu",
       "{\"header\": " HEADER_JSON ", \"orientation\": {\"x\": 0, \"y\": 0, \"z\": 0.7071, \"w\": 0.7071}, \"orientation_covariance\": [-1, 0, 0, 0, 0, 0, 0, 0, 0], \"angular_velocity\": {\"x\": 0.01, \"y\": -0.02, \"z\": 0.5}, \"angular_velocity_covariance\": [0.001, 0, 0, 0, 0.001, 0, 0, 0, 0.001], \"linear_acceleration\": {\"x\": 0.1, \"y\": 0, \"z\": 9.81}, \"linear_acceleration_covariance\": [0, 0, 0, 0, 0, 0, 0, 0, 0]}",
       &sensor_msgs_msg_Imu_desc, &imu);

  nav_msgs_msg_Odometry od;
  memset(&od, 0, sizeof od);
  od.header = (std_msgs_msg_Header)HEADER;
  od.child_frame_id = "odom";
  od.pose.pose.position = (geometry_msgs_msg_Point){ 1.0, 2.0, 0.0 };
  od.pose.pose.orientation = (geometry_msgs_msg_Quaternion){ 0.0, 0.0, 0.0, 1.0 };
  od.pose.covariance[0] = 0.25;
  od.pose.covariance[35] = 0.5;
  od.twist.twist = (geometry_msgs_msg_Twist)TWIST;
  od.twist.covariance[7] = 0.125;
  {
    char json[4096];
    char pc[1024] = "", tc[1024] = "";
    for (int i = 0; i < 36; i++) {
      char v[32];
      snprintf(v, sizeof v, "%s%g", i ? ", " : "", od.pose.covariance[i]);
      strcat(pc, v);
      snprintf(v, sizeof v, "%s%g", i ? ", " : "", od.twist.covariance[i]);
      strcat(tc, v);
    }
    snprintf(json, sizeof json, "{\"header\": " HEADER_JSON ", \"child_frame_id\": \"odom\", \"pose\": {\"pose\": {\"position\": {\"x\": 1, \"y\": 2, \"z\": 0}, \"orientation\": {\"x\": 0, \"y\": 0, \"z\": 0, \"w\": 1}}, \"covariance\": [%s]}, \"twist\": {\"twist\": " TWIST_JSON ", \"covariance\": [%s]}}", pc, tc);
    dump("nav_msgs/msg/Odometry", json, &nav_msgs_msg_Odometry_desc, &od);
  }

  char *names[3] = { "left_wheel", "right_wheel", "caster" };
  double pos[3] = { 0.5, -0.25, 3.0 }, vel[3] = { 1.0, 2.0, 0.0 };
  sensor_msgs_msg_JointState js = { HEADER, { 3, 3, names, false }, { 3, 3, pos, false }, { 3, 3, vel, false }, { 0, 0, NULL, false } };
  dump("sensor_msgs/msg/JointState",
       "{\"header\": " HEADER_JSON ", \"name\": [\"left_wheel\", \"right_wheel\", \"caster\"], \"position\": [0.5, -0.25, 3], \"velocity\": [1, 2, 0], \"effort\": []}",
       &sensor_msgs_msg_JointState_desc, &js);

  sensor_msgs_msg_Range rh = { HEADER, 1, 0.5f, 0.02f, 4.0f, 1.25f };
  dump("sensor_msgs/msg/Range@humble",
       "{\"header\": " HEADER_JSON ", \"radiation_type\": 1, \"field_of_view\": 0.5, \"min_range\": 0.019999999552965164, \"max_range\": 4, \"range\": 1.25}",
       &sensor_msgs_msg_Range_desc, &rh);
  jazzy_sensor_msgs_msg_Range rj = { HEADER, 1, 0.5f, 0.02f, 4.0f, 1.25f, 0.0625f };
  dump("sensor_msgs/msg/Range@jazzy",
       "{\"header\": " HEADER_JSON ", \"radiation_type\": 1, \"field_of_view\": 0.5, \"min_range\": 0.019999999552965164, \"max_range\": 4, \"range\": 1.25, \"variance\": 0.0625}",
       &jazzy_sensor_msgs_msg_Range_desc, &rj);

  std_msgs_msg_MultiArrayDimension dims[1] = { { "x", 3, 3 } };
  float data[3] = { 1.5f, -2.0f, 0.25f };
  std_msgs_msg_Float32MultiArray fa = { { { 1, 1, dims, false }, 0 }, { 3, 3, data, false } };
  dump("std_msgs/msg/Float32MultiArray",
       "{\"layout\": {\"dim\": [{\"label\": \"x\", \"size\": 3, \"stride\": 3}], \"data_offset\": 0}, \"data\": [1.5, -2, 0.25]}",
       &std_msgs_msg_Float32MultiArray_desc, &fa);

  test_msgs_msg_Strings st = { "", "Hello world!", "Hello'world!", "Hello\"world!", "Hello'world!", "Hello\"world!",
                               "bounded", "Hello world!", "Hello'world!", "Hello\"world!", "Hello'world!", "Hello\"world!" };
  dump("test_msgs/msg/Strings",
       "{\"string_value\": \"\", \"string_value_default1\": \"Hello world!\", \"string_value_default2\": \"Hello'world!\", \"string_value_default3\": \"Hello\\\"world!\", \"string_value_default4\": \"Hello'world!\", \"string_value_default5\": \"Hello\\\"world!\", \"bounded_string_value\": \"bounded\", \"bounded_string_value_default1\": \"Hello world!\", \"bounded_string_value_default2\": \"Hello'world!\", \"bounded_string_value_default3\": \"Hello\\\"world!\", \"bounded_string_value_default4\": \"Hello'world!\", \"bounded_string_value_default5\": \"Hello\\\"world!\"}",
       &test_msgs_msg_Strings_desc, &st);

  printf("\n]\n");
  dds_delete(pp);
  return 0;
}
