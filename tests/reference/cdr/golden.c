// Golden CDR bytes from Cyclone DDS (Debian's cyclonedds-dev), an implementation independent of the
// @foxglove serializer Flux uses: each sample is written by a DDS writer, taken raw by a reader in the
// same process (dds_takecdr) and printed as hex with the JSON of its values. Run make.sh.
#include <inttypes.h>
#include <stdarg.h>
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

/* The test_msgs sequence samples print their JSON from the very structs that are serialized. int64 and
   uint64 values are JSON strings (JSON numbers lose precision past 2^53); the test makes them BigInts. */
static char jbuf[1 << 16];
static size_t jlen;
static void jp(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  jlen += (size_t)vsnprintf(jbuf + jlen, sizeof jbuf - jlen, fmt, ap);
  va_end(ap);
  if (jlen >= sizeof jbuf) { fprintf(stderr, "JSON too long\n"); exit(1); }
}
static void jdouble(double v) { /* the shortest text that reads back as the same double */
  char s[40];
  for (int p = 1; p <= 17; p++) { snprintf(s, sizeof s, "%.*g", p, v); if (strtod(s, NULL) == v) break; }
  jp("%s", s);
}
static void jfloat(float v) { jdouble((double)v); }
static void jbool(bool v) { jp(v ? "true" : "false"); }
static void jint(int64_t v) { jp("%" PRId64, v); }
static void jint64(int64_t v) { jp("\"%" PRId64 "\"", v); }
static void juint64(uint64_t v) { jp("\"%" PRIu64 "\"", v); }
static void jstr(const char *v) { /* the samples' strings are printable ASCII */
  jp("\"");
  for (const char *c = v; *c; c++) jp(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
  jp("\"");
}
#define JSEQ(seq, item) do { jp("["); for (uint32_t i_ = 0; i_ < (seq)._length; i_++) { if (i_) jp(", "); item((seq)._buffer[i_]); } jp("]"); } while (0)
#define JFIELD(name, m, item) do { jp("%s\"" #name "\": ", jlen > 1 ? ", " : ""); JSEQ((m).name, item); } while (0)
#define NOFIELD(name, m, item)
/* The primitive sequences of test_msgs' BoundedPlainSequences, BoundedSequences and UnboundedSequences;
   STR is JFIELD for the two that have string sequences. */
#define JPRIMS(m, sfx, STR) \
  JFIELD(bool_values##sfx, m, jbool); JFIELD(byte_values##sfx, m, jint); JFIELD(char_values##sfx, m, jint); \
  JFIELD(float32_values##sfx, m, jfloat); JFIELD(float64_values##sfx, m, jdouble); JFIELD(int8_values##sfx, m, jint); \
  JFIELD(uint8_values##sfx, m, jint); JFIELD(int16_values##sfx, m, jint); JFIELD(uint16_values##sfx, m, jint); \
  JFIELD(int32_values##sfx, m, jint); JFIELD(uint32_values##sfx, m, jint); JFIELD(int64_values##sfx, m, jint64); \
  JFIELD(uint64_values##sfx, m, juint64); STR(string_values##sfx, m, jstr)
#define JBASIC(b) do { \
  jp("{\"bool_value\": "); jbool((b).bool_value); jp(", \"byte_value\": %d, \"char_value\": %d, \"float32_value\": ", (b).byte_value, (b).char_value); \
  jfloat((b).float32_value); jp(", \"float64_value\": "); jdouble((b).float64_value); \
  jp(", \"int8_value\": %d, \"uint8_value\": %d, \"int16_value\": %d, \"uint16_value\": %d, \"int32_value\": %" PRId32 ", \"uint32_value\": %" PRIu32 ", \"int64_value\": ", \
     (b).int8_value, (b).uint8_value, (b).int16_value, (b).uint16_value, (b).int32_value, (b).uint32_value); \
  jint64((b).int64_value); jp(", \"uint64_value\": "); juint64((b).uint64_value); jp("}"); } while (0)
static void jbasic(test_msgs_msg_BasicTypes b) { JBASIC(b); }
static void jdefaults(test_msgs_msg_Defaults b) { JBASIC(b); }
static void jconstants(test_msgs_msg_Constants c) { (void)c; jp("{}"); } /* no fields but rosidl's placeholder */
#define JSEQUENCES(m, STR) do { \
  jlen = 0; jp("{"); JPRIMS(m, , STR); \
  JFIELD(basic_types_values, m, jbasic); JFIELD(constants_values, m, jconstants); JFIELD(defaults_values, m, jdefaults); \
  JPRIMS(m, _default, STR); jp(", \"alignment_check\": %" PRId32 "}", (m).alignment_check); } while (0)

/* A sequence of the listed values, and the empty sequence. */
#define SEQ(T, ...) { sizeof((T[]){ __VA_ARGS__ }) / sizeof(T), sizeof((T[]){ __VA_ARGS__ }) / sizeof(T), (T[]){ __VA_ARGS__ }, false }
#define EMPTY { 0, 0, NULL, false }
/* The values test_msgs' .msg files give the *_default fields. */
#define DEFAULT_SEQS(STRINGS) \
  .bool_values_default = SEQ(bool, false, true, false), .byte_values_default = SEQ(uint8_t, 0, 1, 255), \
  .char_values_default = SEQ(uint8_t, 0, 1, 127), .float32_values_default = SEQ(float, 1.125f, 0.0f, -1.125f), \
  .float64_values_default = SEQ(double, 3.1415, 0.0, -3.1415), .int8_values_default = SEQ(int8_t, 0, 127, -128), \
  .uint8_values_default = SEQ(uint8_t, 0, 1, 255), .int16_values_default = SEQ(int16_t, 0, 32767, -32768), \
  .uint16_values_default = SEQ(uint16_t, 0, 1, 65535), .int32_values_default = SEQ(int32_t, 0, INT32_MAX, INT32_MIN), \
  .uint32_values_default = SEQ(uint32_t, 0, 1, UINT32_MAX), .int64_values_default = SEQ(int64_t, 0, INT64_MAX, INT64_MIN), \
  .uint64_values_default = SEQ(uint64_t, 0, 1, UINT64_MAX) STRINGS
#define STRING_DEFAULTS , .string_values_default = SEQ(char *, "", "max value", "min value")

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

  /* test_msgs' sequences. Element values cross the 8-byte boundaries at different offsets; some
     sequences are empty (the length of an empty double sequence ends 4 bytes past an 8-byte boundary),
     the bounded ones are at their bound, and nested structs of 1- to 8-byte members repeat in them. */
  test_msgs_msg_BasicTypes b1 = { true, 0xff, 'A', 1.5f, -2.25, INT8_MIN, 200, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX, INT64_MIN, UINT64_MAX };
  test_msgs_msg_BasicTypes b2 = { false, 0, 0, 0.1f, 1e-300, 1, 2, 3, 4, 5, 6, -9007199254740993LL, 9007199254740993ULL };
  test_msgs_msg_BasicTypes b3 = { true, 7, 'z', -65504.0f, 6.02214076e23, -7, 7, -700, 700, -70000, 70000, 7, 7 };
  test_msgs_msg_Defaults d = { true, 50, 100, 1.125f, 1.125, -50, 200, -1000, 2000, -30000, 60000, -40000000, 50000000 };
  test_msgs_msg_Defaults d2 = { false, 1, 2, -0.5f, 1e10, 3, 4, 5, 6, 7, 8, 9, 10 };
  test_msgs_msg_Constants c0 = { 0 };

  test_msgs_msg_BoundedPlainSequences bp = {
    .bool_values = SEQ(bool, true, false, true), .byte_values = SEQ(uint8_t, 0x00, 0x80, 0xff), .char_values = SEQ(uint8_t, 'A'),
    .float32_values = SEQ(float, 1.125f), .float64_values = EMPTY, .int8_values = SEQ(int8_t, INT8_MIN, INT8_MAX),
    .uint8_values = EMPTY, .int16_values = SEQ(int16_t, -300), .uint16_values = SEQ(uint16_t, 1, UINT16_MAX, 2),
    .int32_values = SEQ(int32_t, -7, INT32_MAX), .uint32_values = SEQ(uint32_t, 4000000000u), .int64_values = SEQ(int64_t, INT64_MIN, -1),
    .uint64_values = SEQ(uint64_t, UINT64_MAX), .basic_types_values = SEQ(test_msgs_msg_BasicTypes, b1, b2),
    .constants_values = SEQ(test_msgs_msg_Constants, c0, c0, c0), .defaults_values = SEQ(test_msgs_msg_Defaults, d),
    DEFAULT_SEQS(), .alignment_check = 0x0a0b0c0d };
  JSEQUENCES(bp, NOFIELD);
  dump("test_msgs/msg/BoundedPlainSequences", jbuf, &test_msgs_msg_BoundedPlainSequences_desc, &bp);

  test_msgs_msg_BoundedSequences bs = {
    .bool_values = SEQ(bool, false), .byte_values = EMPTY, .char_values = SEQ(uint8_t, 'x', 'y', 'z'),
    .float32_values = SEQ(float, 0.5f, -1.5f, 0.1f), .float64_values = SEQ(double, -0.5, 1e10, 3.141592653589793),
    .int8_values = SEQ(int8_t, -1, 0, 1), .uint8_values = SEQ(uint8_t, 9), .int16_values = EMPTY, .uint16_values = SEQ(uint16_t, 65000),
    .int32_values = SEQ(int32_t, INT32_MIN), .uint32_values = SEQ(uint32_t, 1, 2, 3), .int64_values = SEQ(int64_t, 42),
    .uint64_values = EMPTY, .string_values = SEQ(char *, "", "abc", "seven77"),
    .basic_types_values = SEQ(test_msgs_msg_BasicTypes, b3, b1, b2), .constants_values = SEQ(test_msgs_msg_Constants, c0),
    .defaults_values = EMPTY, DEFAULT_SEQS(STRING_DEFAULTS), .alignment_check = -1 };
  JSEQUENCES(bs, JFIELD);
  dump("test_msgs/msg/BoundedSequences", jbuf, &test_msgs_msg_BoundedSequences_desc, &bs);

  test_msgs_msg_UnboundedSequences us = {
    .bool_values = EMPTY, .byte_values = SEQ(uint8_t, 1, 2, 3, 4, 5), .char_values = SEQ(uint8_t, 'h', 'i'),
    .float32_values = SEQ(float, 0.5f, -1.5f, 3.25f, 1e-3f, 65504.0f), .float64_values = SEQ(double, 1e-300, -2.5, 6.02214076e23, 3.141592653589793),
    .int8_values = SEQ(int8_t, -1, -2, -3, -4, -5, -6, -7), .uint8_values = SEQ(uint8_t, 255), .int16_values = EMPTY,
    .uint16_values = SEQ(uint16_t, 65535, 0, 1, 2, 3), .int32_values = SEQ(int32_t, -1), .uint32_values = EMPTY,
    .int64_values = SEQ(int64_t, 1, -9007199254740993LL, INT64_MAX), .uint64_values = EMPTY,
    .string_values = SEQ(char *, "hello", "", "world!!", "x", "a longer string \"quoted\" crossing 8-byte boundaries"),
    .basic_types_values = SEQ(test_msgs_msg_BasicTypes, b2, b1, b3, b2), .constants_values = EMPTY,
    .defaults_values = SEQ(test_msgs_msg_Defaults, d, d2), DEFAULT_SEQS(STRING_DEFAULTS), .alignment_check = INT32_MAX };
  JSEQUENCES(us, JFIELD);
  dump("test_msgs/msg/UnboundedSequences", jbuf, &test_msgs_msg_UnboundedSequences_desc, &us);

  printf("\n]\n");
  dds_delete(pp);
  return 0;
}
