// A Cyclone DDS type whose samples are opaque serialized bytes (encapsulation header included),
// so one addon carries every ROS 2 message type: encoding and decoding happen in TypeScript.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
#include "dds/dds.h"
#include "dds/ddsi/ddsi_serdata.h"
#include "dds/ddsi/ddsi_sertype.h"
}

namespace flux_dds {

struct RawSerdata {
  ddsi_serdata c;
  uint32_t size;     // bytes of the sample, encapsulation header included
  unsigned char *data;  // capacity rounded up to 4 and zero-padded: Cyclone may read up to there
};

// A keyless sertype named as the wire type (e.g. "geometry_msgs::msg::dds_::Twist_").
ddsi_sertype *make_raw_sertype(const char *type_name);

// A serdata holding a copy of `bytes`; the caller owns one reference (dds_writecdr consumes it).
RawSerdata *make_raw_serdata(const ddsi_sertype *type, const unsigned char *bytes, uint32_t size);

}  // namespace flux_dds
