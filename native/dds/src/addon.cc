// Flux's Cyclone DDS addon: participants, writers and readers of opaque CDR bytes for any type.
// JavaScript sees three classes (Participant, Writer, Reader); everything ROS-specific (topic
// naming, type names, encoding) is done in TypeScript (bridge/transport/dds.ts).
//
// Received samples are taken in Cyclone's listener thread, queued, and handed to JavaScript in
// batches through one thread-safe function call per batch, so a flood of small messages costs one
// event-loop turn per batch, not per message. The listener never blocks on JavaScript: dds_delete
// waits for a running listener, so a blocking call there could deadlock close().
#include <napi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "raw_type.h"

extern "C" {
#include "dds/version.h"
}

namespace flux_dds {
namespace {

std::string dds_error(const char *what, dds_return_t rc) {
  return std::string(what) + ": " + dds_strretcode(rc);
}

const char *policy_name(uint32_t id) {
  switch (id) {
    case DDS_DURABILITY_QOS_POLICY_ID: return "durability";
    case DDS_DEADLINE_QOS_POLICY_ID: return "deadline";
    case DDS_LATENCYBUDGET_QOS_POLICY_ID: return "latency_budget";
    case DDS_OWNERSHIP_QOS_POLICY_ID: return "ownership";
    case DDS_LIVELINESS_QOS_POLICY_ID: return "liveliness";
    case DDS_RELIABILITY_QOS_POLICY_ID: return "reliability";
    case DDS_DESTINATIONORDER_QOS_POLICY_ID: return "destination_order";
    case DDS_PRESENTATION_QOS_POLICY_ID: return "presentation";
    case DDS_PARTITION_QOS_POLICY_ID: return "partition";
    case DDS_DATA_REPRESENTATION_QOS_POLICY_ID: return "data_representation";
    case DDS_TYPE_CONSISTENCY_ENFORCEMENT_QOS_POLICY_ID: return "type_consistency";
    default: return "other";
  }
}

// QoS from a JS object {reliability, durability, depth, userData, maxBlockingMs}.
dds_qos_t *qos_from(const Napi::Object &o) {
  dds_qos_t *q = dds_create_qos();
  const bool reliable = o.Get("reliability").ToString().Utf8Value() != "best_effort";
  const double blockMs = o.Has("maxBlockingMs") ? o.Get("maxBlockingMs").ToNumber().DoubleValue() : 100.0;
  dds_qset_reliability(q, reliable ? DDS_RELIABILITY_RELIABLE : DDS_RELIABILITY_BEST_EFFORT, DDS_MSECS(static_cast<int64_t>(blockMs)));
  dds_qset_durability(q, o.Get("durability").ToString().Utf8Value() == "transient_local" ? DDS_DURABILITY_TRANSIENT_LOCAL : DDS_DURABILITY_VOLATILE);
  const int32_t depth = o.Has("depth") ? o.Get("depth").ToNumber().Int32Value() : 10;
  dds_qset_history(q, DDS_HISTORY_KEEP_LAST, depth < 1 ? 1 : depth);
  // As ROS 2 (rmw_cyclonedds) writes them: XCDR1 only.
  dds_data_representation_id_t rep = DDS_DATA_REPRESENTATION_XCDR1;
  dds_qset_data_representation(q, 1, &rep);
  if (o.Has("userData") && o.Get("userData").IsString()) {
    std::string ud = o.Get("userData").ToString().Utf8Value();
    dds_qset_userdata(q, ud.data(), ud.size());
  }
  return q;
}

// Events and samples crossing from Cyclone's threads to JavaScript.
struct Event {
  std::string kind;
  uint32_t total = 0;
  int32_t current = 0;
  std::string policy;
};

struct Inbox {
  std::mutex mu;
  std::deque<std::vector<unsigned char>> samples;
  size_t queuedBytes = 0;
  std::vector<Event> events;
  uint64_t dropped = 0;  // samples dropped because JavaScript fell behind by more than the bounds
  std::atomic<bool> scheduled{false};
  std::atomic<bool> closed{false};
  /** Set by the thread-safe function's finalizer (at environment teardown): Release() must not follow. */
  std::atomic<bool> released{false};
  Napi::ThreadSafeFunction tsfn;
  std::weak_ptr<Inbox> self;  // captured by each queued call, so a call after close finds it alive
  size_t maxSamples = 65536;
  size_t maxBytes = 256u << 20;
};

void deliver(Napi::Env env, Napi::Function callback, Inbox *in);

void wake(Inbox *in) {
  if (in->closed.load()) return;
  bool expected = false;
  if (in->scheduled.compare_exchange_strong(expected, true)) {
    std::shared_ptr<Inbox> keep = in->self.lock();
    if (!keep) return;
    auto call = [keep](Napi::Env env, Napi::Function cb) { deliver(env, cb, keep.get()); };
    if (in->tsfn.NonBlockingCall(call) != napi_ok) in->scheduled.store(false);
  }
}

void push_event(Inbox *in, Event e) {
  {
    std::lock_guard<std::mutex> lock(in->mu);
    in->events.push_back(std::move(e));
  }
  wake(in);
}

// ---- listener callbacks (Cyclone threads) ----

void on_data_available(dds_entity_t reader, void *arg) {
  auto *in = static_cast<Inbox *>(arg);
  ddsi_serdata *sd[64];
  dds_sample_info_t info[64];
  bool any = false;
  for (;;) {
    const dds_return_t n = dds_takecdr(reader, sd, 64, info, DDS_ANY_STATE);
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(in->mu);
    for (dds_return_t i = 0; i < n; i++) {
      if (info[i].valid_data) {
        const uint32_t size = ddsi_serdata_size(sd[i]);
        if (in->samples.size() >= in->maxSamples || in->queuedBytes + size > in->maxBytes) {
          in->dropped++;
        } else {
          std::vector<unsigned char> bytes(size);
          ddsi_serdata_to_ser(sd[i], 0, size, bytes.data());
          in->queuedBytes += size;
          in->samples.push_back(std::move(bytes));
          any = true;
        }
      }
      ddsi_serdata_unref(sd[i]);
    }
  }
  if (any) wake(in);
}

void on_requested_incompatible_qos(dds_entity_t, const dds_requested_incompatible_qos_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"requested_incompatible_qos", st.total_count, 0, policy_name(st.last_policy_id)});
}
void on_offered_incompatible_qos(dds_entity_t, const dds_offered_incompatible_qos_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"offered_incompatible_qos", st.total_count, 0, policy_name(st.last_policy_id)});
}
void on_subscription_matched(dds_entity_t, const dds_subscription_matched_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"subscription_matched", st.total_count, static_cast<int32_t>(st.current_count), ""});
}
void on_publication_matched(dds_entity_t, const dds_publication_matched_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"publication_matched", st.total_count, static_cast<int32_t>(st.current_count), ""});
}
void on_sample_lost(dds_entity_t, const dds_sample_lost_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"sample_lost", st.total_count, 0, ""});
}
void on_sample_rejected(dds_entity_t, const dds_sample_rejected_status_t st, void *arg) {
  push_event(static_cast<Inbox *>(arg), Event{"sample_rejected", st.total_count, 0, ""});
}

// Runs on the JavaScript thread: one call hands over everything queued since the last.
void deliver_unguarded(Napi::Env env, Napi::Function callback, Inbox *in);

// A call can arrive while the environment is being torn down (a reader still open at exit), when
// JavaScript can no longer run: a Napi exception escaping here would terminate the process.
void deliver(Napi::Env env, Napi::Function callback, Inbox *in) {
  in->scheduled.store(false);
  if (env == nullptr || callback.IsEmpty()) return;
  try {
    deliver_unguarded(env, callback, in);
  } catch (...) {
  }
}

void deliver_unguarded(Napi::Env env, Napi::Function callback, Inbox *in) {
  std::deque<std::vector<unsigned char>> samples;
  std::vector<Event> events;
  uint64_t dropped;
  {
    std::lock_guard<std::mutex> lock(in->mu);
    samples.swap(in->samples);
    events.swap(in->events);
    in->queuedBytes = 0;
    dropped = in->dropped;
  }
  if (in->closed.load() || env == nullptr) return;
  Napi::Array jsSamples = Napi::Array::New(env, samples.size());
  for (size_t i = 0; i < samples.size(); i++) {
    auto &b = samples[i];
    jsSamples.Set(static_cast<uint32_t>(i), Napi::Buffer<unsigned char>::Copy(env, b.data(), b.size()));
  }
  Napi::Array jsEvents = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); i++) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("kind", events[i].kind);
    e.Set("total", events[i].total);
    e.Set("current", events[i].current);
    if (!events[i].policy.empty()) e.Set("policy", events[i].policy);
    jsEvents.Set(static_cast<uint32_t>(i), e);
  }
  callback.Call({jsSamples, jsEvents, Napi::Number::New(env, static_cast<double>(dropped))});
}

class Participant;

// Writers being deleted on a worker thread (Writer::DeleteWorker). Cyclone deadlocks when an entity
// is deleted while its participant's delete takes it too (both wait in dds_handle_close_wait for the
// other's pin), so a participant waits for these before it is deleted.
struct PendingDeletes {
  std::mutex mu;
  std::condition_variable cv;
  int n = 0;
  void begin() {
    std::lock_guard<std::mutex> lock(mu);
    n++;
  }
  void end() {
    {
      std::lock_guard<std::mutex> lock(mu);
      n--;
    }
    cv.notify_all();
  }
  // A writer's delete waits at most Cyclone's linger (1 s by default) for acknowledgements: 10 s is ample.
  void wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [this] { return n == 0; });
  }
};

// Shared by Writer and Reader: a topic plus an endpoint, deleted together.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual void Shutdown() = 0;
};

class Participant : public Napi::ObjectWrap<Participant> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Participant",
                       {InstanceMethod("close", &Participant::Close), InstanceAccessor("handle", &Participant::Handle, nullptr),
                        InstanceMethod("guid", &Participant::Guid)});
  }

  explicit Participant(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Participant>(info) {
    Napi::Env env = info.Env();
    const uint32_t domain = info[0].IsNumber() ? info[0].ToNumber().Uint32Value() : DDS_DOMAIN_DEFAULT;
    dds_qos_t *q = dds_create_qos();
    if (info.Length() > 1 && info[1].IsString()) {
      std::string ud = info[1].ToString().Utf8Value();
      dds_qset_userdata(q, ud.data(), ud.size());
    }
    handle_ = dds_create_participant(domain, q, nullptr);
    dds_delete_qos(q);
    if (handle_ < 0) throw Napi::Error::New(env, dds_error("dds_create_participant", handle_));
    // At exit (an environment going away with this participant open): delete it before finalizers
    // run, which stops its listener threads, so nothing calls into a dying environment. Endpoints
    // deleted with it are skipped by their later Shutdown().
    env_ = env;
    napi_add_env_cleanup_hook(env, AtExit, this);
  }

  static void AtExit(void *self) {
    auto *p = static_cast<Participant *>(self);
    p->pending_->wait();
    if (p->handle_ > 0) dds_delete(p->handle_);
    p->handle_ = 0;
    p->hooked_ = false;
  }

  ~Participant() override { CloseAll(); }

  dds_entity_t handle() const { return handle_; }
  std::shared_ptr<PendingDeletes> pending() const { return pending_; }
  void Adopt(Endpoint *e) { children_.insert(e); }
  void Forget(Endpoint *e) { children_.erase(e); }

 private:
  void CloseAll() {
    if (hooked_) napi_remove_env_cleanup_hook(env_, AtExit, this);
    hooked_ = false;
    // Endpoints first, each releasing its thread-safe function, then the participant.
    auto children = children_;
    for (Endpoint *e : children) e->Shutdown();
    children_.clear();
    pending_->wait();
    if (handle_ > 0) dds_delete(handle_);
    handle_ = 0;
  }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    CloseAll();
    return info.Env().Undefined();
  }
  Napi::Value Handle(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), handle_); }
  Napi::Value Guid(const Napi::CallbackInfo &info) {
    dds_guid_t g;
    if (handle_ <= 0 || dds_get_guid(handle_, &g) < 0) return info.Env().Null();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), reinterpret_cast<unsigned char *>(g.v), sizeof(g.v));
  }

  dds_entity_t handle_ = 0;
  std::shared_ptr<PendingDeletes> pending_ = std::make_shared<PendingDeletes>();
  std::set<Endpoint *> children_;
  napi_env env_ = nullptr;
  bool hooked_ = true;
};

// Opens a topic for `type` named `name` on the participant.
// `sertype` receives the type the topic uses (Cyclone interns equal types: it may be another's).
dds_entity_t open_topic(Napi::Env env, dds_entity_t pp, const std::string &name, const std::string &type, const ddsi_sertype **sertype) {
  ddsi_sertype *st = make_raw_sertype(type.c_str());
  const dds_entity_t topic = dds_create_topic_sertype(pp, name.c_str(), &st, nullptr, nullptr, nullptr);
  if (topic < 0) {
    ddsi_sertype_free(st);
    throw Napi::Error::New(env, dds_error(("topic " + name + " (" + type + ")").c_str(), topic));
  }
  *sertype = st;
  return topic;
}

// Endpoint(participant, topic, type, qos, onBatch(samples, events, dropped))
template <class Self>
class EndpointBase : public Napi::ObjectWrap<Self>, public Endpoint {
 public:
  explicit EndpointBase(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Self>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsObject() || !info[1].IsString() || !info[2].IsString() || !info[3].IsObject() || !info[4].IsFunction())
      throw Napi::TypeError::New(env, "expected (participant, topic, type, qos, onBatch)");
    participant_ = Napi::ObjectWrap<Participant>::Unwrap(info[0].As<Napi::Object>());
    if (participant_->handle() <= 0) throw Napi::Error::New(env, "participant is closed");
    ppRef_ = Napi::Persistent(info[0].As<Napi::Object>());
    inbox_ = std::make_shared<Inbox>();
    inbox_->self = inbox_;
    std::weak_ptr<Inbox> weak = inbox_;
    inbox_->tsfn = Napi::ThreadSafeFunction::New(env, info[4].As<Napi::Function>(), "flux-dds", 0, 1, [weak](Napi::Env) {
      if (auto in = weak.lock()) {
        in->released.store(true);
        in->closed.store(true);
      }
    });
    // A subscription alone does not keep Node running; the transport's owner decides when to exit.
    inbox_->tsfn.Unref(env);
    try {
      topic_ = open_topic(env, participant_->handle(), info[1].ToString().Utf8Value(), info[2].ToString().Utf8Value(), &sertype_);
    } catch (...) {
      // Not adopted yet: release what the constructor took before the error goes to JavaScript.
      inbox_->closed.store(true);
      inbox_->tsfn.Release();
      ppRef_.Reset();
      throw;
    }
    participant_->Adopt(this);
  }

  ~EndpointBase() override { Shutdown(); }

  void Shutdown() override {
    if (entity_ > 0) dds_delete(entity_);  // waits for a running listener, which never blocks
    if (topic_ > 0) dds_delete(topic_);
    entity_ = 0;
    topic_ = 0;
    if (inbox_ && !inbox_->closed.exchange(true) && !inbox_->released.load()) inbox_->tsfn.Release();
    if (participant_) participant_->Forget(this);
    participant_ = nullptr;
    if (!ppRef_.IsEmpty()) ppRef_.Reset();
  }

 protected:
  dds_listener_t *listener() { return dds_create_listener(inbox_.get()); }

  void Created(Napi::Env env, dds_entity_t e, const char *what) {
    if (e < 0) {
      Shutdown();
      throw Napi::Error::New(env, dds_error(what, e));
    }
    entity_ = e;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // The endpoint's GUID (16 bytes): ROS 2 calls it the gid and lists it in ros_discovery_info.
  Napi::Value Guid(const Napi::CallbackInfo &info) {
    dds_guid_t g;
    if (entity_ <= 0 || dds_get_guid(entity_, &g) < 0) return info.Env().Null();
    return Napi::Buffer<unsigned char>::Copy(info.Env(), reinterpret_cast<unsigned char *>(g.v), sizeof(g.v));
  }

  Napi::Value Dropped(const Napi::CallbackInfo &info) {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    return Napi::Number::New(info.Env(), static_cast<double>(inbox_->dropped));
  }

  Participant *participant_ = nullptr;
  Napi::ObjectReference ppRef_;
  std::shared_ptr<Inbox> inbox_;
  dds_entity_t topic_ = 0;
  dds_entity_t entity_ = 0;
  const ddsi_sertype *sertype_ = nullptr;
};

class Writer : public EndpointBase<Writer> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Writer",
                       {InstanceMethod("write", &Writer::Write), InstanceMethod("matched", &Writer::Matched),
                        InstanceMethod("close", &Writer::CloseWriter), InstanceMethod("waitForAcks", &Writer::WaitForAcks),
                        InstanceMethod("guid", &Writer::Guid)});
  }

  explicit Writer(const Napi::CallbackInfo &info) : EndpointBase<Writer>(info) {
    Napi::Env env = info.Env();
    dds_qos_t *q = qos_from(info[3].As<Napi::Object>());
    dds_listener_t *l = listener();
    dds_lset_offered_incompatible_qos(l, on_offered_incompatible_qos);
    dds_lset_publication_matched(l, on_publication_matched);
    const dds_entity_t w = dds_create_writer(participant_->handle(), topic_, q, l);
    dds_delete_listener(l);
    dds_delete_qos(q);
    Created(env, w, "dds_create_writer");
  }

 private:
  // Deleting a reliable writer waits for unacknowledged samples (Cyclone's WriterLingerDuration, 1 s
  // by default) when a matched reader is slow or gone: done on a worker thread, so closing an output
  // never freezes the tick loop. The listener's inbox stays alive until the writer is gone.
  class DeleteWorker : public Napi::AsyncWorker {
   public:
    DeleteWorker(Napi::Env env, dds_entity_t w, dds_entity_t t, std::shared_ptr<Inbox> keep, std::shared_ptr<PendingDeletes> pending)
        : Napi::AsyncWorker(env), w_(w), t_(t), keep_(std::move(keep)), pending_(std::move(pending)) {
      if (pending_) pending_->begin();
    }
    void Execute() override {
      if (w_ > 0) dds_delete(w_);
      if (t_ > 0) dds_delete(t_);
      if (pending_) pending_->end();
    }
    void OnOK() override {}

   private:
    dds_entity_t w_, t_;
    std::shared_ptr<Inbox> keep_;
    std::shared_ptr<PendingDeletes> pending_;
  };

  Napi::Value CloseWriter(const Napi::CallbackInfo &info) {
    const dds_entity_t w = entity_, t = topic_;
    entity_ = 0;
    topic_ = 0;
    std::shared_ptr<Inbox> keep = inbox_;
    std::shared_ptr<PendingDeletes> pending = participant_ ? participant_->pending() : nullptr;
    Shutdown();
    if (w > 0) (new DeleteWorker(info.Env(), w, t, keep, pending))->Queue();
    return info.Env().Undefined();
  }

  // write(bytes): true when written, false when a reliable writer's history stayed full for
  // maxBlockingMs (the sample is dropped, not queued).
  Napi::Value Write(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (entity_ <= 0) throw Napi::Error::New(env, "writer is closed");
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "write expects a Uint8Array");
    auto arr = info[0].As<Napi::Uint8Array>();
    if (arr.ByteLength() < 4) throw Napi::RangeError::New(env, "a sample needs its 4-byte CDR encapsulation header");
    if (arr.ByteLength() > UINT32_MAX - 4) throw Napi::RangeError::New(env, "sample too large");
    RawSerdata *d = make_raw_serdata(sertype_, arr.Data(), static_cast<uint32_t>(arr.ByteLength()));
    if (!d) throw Napi::Error::New(env, "out of memory");
    const dds_return_t rc = dds_writecdr(entity_, &d->c);  // consumes the reference
    if (rc == DDS_RETCODE_TIMEOUT) return Napi::Boolean::New(env, false);
    if (rc < 0) throw Napi::Error::New(env, dds_error("dds_writecdr", rc));
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Matched(const Napi::CallbackInfo &info) {
    dds_publication_matched_status_t st{};
    if (entity_ <= 0 || dds_get_publication_matched_status(entity_, &st) < 0) return Napi::Number::New(info.Env(), 0);
    return Napi::Number::New(info.Env(), st.current_count);
  }

  // waitForAcks(timeoutMs): resolves true when every matched reliable reader acknowledged.
  Napi::Value WaitForAcks(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const double ms = info[0].IsNumber() ? info[0].ToNumber().DoubleValue() : 1000.0;
    auto deferred = Napi::Promise::Deferred::New(env);
    auto *worker = new AcksWorker(env, entity_, DDS_MSECS(static_cast<int64_t>(ms)), deferred);
    worker->Queue();
    return deferred.Promise();
  }

  class AcksWorker : public Napi::AsyncWorker {
   public:
    AcksWorker(Napi::Env env, dds_entity_t w, dds_duration_t t, Napi::Promise::Deferred d) : Napi::AsyncWorker(env), w_(w), t_(t), d_(d) {}
    void Execute() override { rc_ = w_ > 0 ? dds_wait_for_acks(w_, t_) : DDS_RETCODE_ALREADY_DELETED; }
    void OnOK() override { d_.Resolve(Napi::Boolean::New(Env(), rc_ == DDS_RETCODE_OK)); }

   private:
    dds_entity_t w_;
    dds_duration_t t_;
    Napi::Promise::Deferred d_;
    dds_return_t rc_ = 0;
  };
};

class Reader : public EndpointBase<Reader> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Reader",
                       {InstanceMethod("matched", &Reader::Matched), InstanceMethod("close", &Reader::Close),
                        InstanceMethod("dropped", &Reader::Dropped), InstanceMethod("guid", &Reader::Guid)});
  }

  explicit Reader(const Napi::CallbackInfo &info) : EndpointBase<Reader>(info) {
    Napi::Env env = info.Env();
    dds_qos_t *q = qos_from(info[3].As<Napi::Object>());
    dds_listener_t *l = listener();
    dds_lset_data_available(l, on_data_available);
    dds_lset_requested_incompatible_qos(l, on_requested_incompatible_qos);
    dds_lset_subscription_matched(l, on_subscription_matched);
    dds_lset_sample_lost(l, on_sample_lost);
    dds_lset_sample_rejected(l, on_sample_rejected);
    const dds_entity_t r = dds_create_reader(participant_->handle(), topic_, q, l);
    dds_delete_listener(l);
    dds_delete_qos(q);
    Created(env, r, "dds_create_reader");
  }

 private:
  Napi::Value Matched(const Napi::CallbackInfo &info) {
    dds_subscription_matched_status_t st{};
    if (entity_ <= 0 || dds_get_subscription_matched_status(entity_, &st) < 0) return Napi::Number::New(info.Env(), 0);
    return Napi::Number::New(info.Env(), st.current_count);
  }
};

}  // namespace
}  // namespace flux_dds

Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  exports.Set("Participant", flux_dds::Participant::Init(env));
  exports.Set("Writer", flux_dds::Writer::Init(env));
  exports.Set("Reader", flux_dds::Reader::Init(env));
  exports.Set("version", Napi::String::New(env, DDS_VERSION));
  return exports;
}

NODE_API_MODULE(flux_dds, InitAll)
