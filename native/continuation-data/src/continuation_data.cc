// V8's continuation-preserved embedder data, for JavaScript (see ../index.cjs).
//
// V8 stores this value on every promise reaction it creates (a `then` callback, the code after an
// `await`) and sets it again while the reaction runs, clearing it afterwards. Node 22+ builds
// AsyncContextFrame on it; Node 20 (V8 11.3) has the V8 API but gives JavaScript no access.
#include <node.h>

namespace {

using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

// get(): the value set or restored for what runs now (undefined if none).
void Get(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(
      info.GetIsolate()->GetCurrentContext()->GetContinuationPreservedEmbedderData());
}

// swap(value): sets it and returns the one it replaces, so that entering and leaving a scope take
// one call each.
void Swap(const FunctionCallbackInfo<Value>& info) {
  Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  info.GetReturnValue().Set(context->GetContinuationPreservedEmbedderData());
  context->SetContinuationPreservedEmbedderData(info[0]);
}

}  // namespace

// Context-aware: loadable in worker threads too.
NODE_MODULE_INIT() {
  NODE_SET_METHOD(exports, "get", Get);
  NODE_SET_METHOD(exports, "swap", Swap);
}
