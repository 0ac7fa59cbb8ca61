package host

import (
	"context"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/hookguard/hookguard/internal/abi"
	"github.com/hookguard/hookguard/internal/pairs"
)

// The proxy-wasm host calls, module "env", with Envoy's semantics. Each
// host function only decodes its arguments (hostCall, memory.go), calls
// the one method that holds Envoy's rule (on the effective Stream in
// stream_hostcalls.go, on the VM in vm.go, or on the plugin's metrics and
// shared data) and encodes the result. Its doc says what each parameter is,
// every status it returns and when, and what Envoy does, citing the
// research notes kept as proxy-wasm-abi.md (§ numbers).
//
// The names, signatures, parameter names and ABI versions are package
// abi's (abi.HostCalls); this file gives each its implementation. The host
// runs ABI 0.1.0, 0.2.0 and 0.2.1 modules, and links for each only the
// host calls Envoy links for its version: most are common to all three;
// proxy_continue_stream and proxy_close_stream are 0.2.x's,
// proxy_get_log_level 0.2.1's, and proxy_get_configuration,
// proxy_continue_request, proxy_continue_response and
// proxy_clear_route_cache 0.1.0's.

// envFunc is one host function of module "env": its declaration in the
// ABI and the host's implementation.
type envFunc struct {
	abi.Func
	fn func(c *hostCall) abi.Status
}

// envFunctions are the host calls the host provides, every one of
// abi.HostCalls, by name. A module links those of its ABI version
// (instantiateEnv).
var envFunctions = map[string]envFunc{}

func init() {
	impl := map[string]func(*hostCall) abi.Status{
		abi.ProxyLogName:                       hostLog,
		abi.ProxyGetLogLevelName:               hostGetLogLevel,
		abi.ProxyGetCurrentTimeNanosecondsName: hostGetCurrentTimeNanoseconds,
		abi.ProxySetTickPeriodMillisecondsName: hostSetTickPeriodMilliseconds,
		abi.ProxyGetBufferBytesName:            hostGetBufferBytes,
		abi.ProxyGetBufferStatusName:           hostGetBufferStatus,
		abi.ProxySetBufferBytesName:            hostSetBufferBytes,
		abi.ProxyGetHeaderMapPairsName:         hostGetHeaderMapPairs,
		abi.ProxySetHeaderMapPairsName:         hostSetHeaderMapPairs,
		abi.ProxyGetHeaderMapSizeName:          hostGetHeaderMapSize,
		abi.ProxyGetHeaderMapValueName:         hostGetHeaderMapValue,
		abi.ProxyAddHeaderMapValueName:         hostAddHeaderMapValue,
		abi.ProxyReplaceHeaderMapValueName:     hostReplaceHeaderMapValue,
		abi.ProxyRemoveHeaderMapValueName:      hostRemoveHeaderMapValue,
		abi.ProxyContinueStreamName:            hostContinueStream,
		abi.ProxyCloseStreamName:               hostCloseStream,
		abi.ProxySendLocalResponseName:         hostSendLocalResponse,
		abi.ProxyGetPropertyName:               hostGetProperty,
		abi.ProxySetPropertyName:               hostSetProperty,
		abi.ProxyGetSharedDataName:             hostGetSharedData,
		abi.ProxySetSharedDataName:             hostSetSharedData,
		abi.ProxyDefineMetricName:              hostDefineMetric,
		abi.ProxyIncrementMetricName:           hostIncrementMetric,
		abi.ProxyRecordMetricName:              hostRecordMetric,
		abi.ProxyGetMetricName:                 hostGetMetric,
		abi.ProxySetEffectiveContextName:       hostSetEffectiveContext,
		abi.ProxyDoneName:                      hostDone,
		abi.ProxyCallForeignFunctionName:       hostCallForeignFunction,
		abi.ProxyHTTPCallName:                  hostHTTPCall,
		abi.ProxyGrpcCallName:                  hostUnimplemented,
		abi.ProxyGrpcStreamName:                hostUnimplemented,
		abi.ProxyGrpcSendName:                  hostUnimplemented,
		abi.ProxyGrpcCancelName:                hostUnimplemented,
		abi.ProxyGrpcCloseName:                 hostUnimplemented,
		abi.ProxyGetStatusName:                 hostUnimplemented,
		abi.ProxyRegisterSharedQueueName:       hostUnimplemented,
		abi.ProxyResolveSharedQueueName:        hostUnimplemented,
		abi.ProxyEnqueueSharedQueueName:        hostUnimplemented,
		abi.ProxyDequeueSharedQueueName:        hostUnimplemented,
		abi.EmscriptenNotifyMemoryGrowthName:   hostEmscriptenNotifyMemoryGrowth,
		abi.PthreadEqualName:                   hostPthreadEqual,
		abi.ProxyGetConfigurationName:          hostGetConfiguration,
		abi.ProxyContinueRequestName:           hostContinueRequest,
		abi.ProxyContinueResponseName:          hostContinueResponse,
		abi.ProxyClearRouteCacheName:           hostClearRouteCache,
	}
	for _, f := range abi.HostCalls {
		fn, ok := impl[f.Name]
		if !ok {
			panic("host: no implementation of " + f.Name)
		}
		envFunctions[f.Name] = envFunc{Func: f, fn: fn}
	}
	if len(impl) != len(envFunctions) {
		panic("host: an implementation of a host call abi.HostCalls does not declare")
	}
}

// call runs the host function on v's module memory mem, with stack its
// wasm stack, and returns its result.
func (ef envFunc) call(v *vm, mem api.Memory, stack []uint64) abi.Status {
	c := v.beginHostCall(mem, stack, len(ef.Params))
	st := ef.fn(c)
	v.endHostCall()
	return st
}

// instantiateEnv registers module "env" in rt with the host calls Envoy
// links for ABI version v (proxy-wasm-cpp-host
// WasmBase::registerCallbacks): a module importing another fails to link.
func instantiateEnv(ctx context.Context, rt wazero.Runtime, v abi.Version) error {
	b := rt.NewHostModuleBuilder(abi.HostModuleName)
	for _, f := range abi.HostCalls {
		if !f.In(v) {
			continue
		}
		ef, name, hasResult := envFunctions[f.Name], f.Name, f.Results != ""
		fb := b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			v := vmFrom(ctx)
			if v == nil {
				stack[0] = uint64(abi.StatusInternalFailure)
				return
			}
			v.checkRestricted(abi.HostModuleName, name)
			st := ef.call(v, mod.Memory(), stack)
			if hasResult {
				stack[0] = uint64(st)
			}
			if v.failed.Load() {
				// The VM failed inside this call (its allocator trapped):
				// abort the caller too, as Envoy's trap does.
				panic("wasm VM failed during " + name)
			}
		}), valueTypes(f.Params), valueTypes(f.Results)).WithParameterNames(f.ParamNames...)
		if hasResult {
			fb = fb.WithResultNames(f.ResultName)
		}
		fb.Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// valueTypes turns abi.Func types ("iI") into wazero's.
func valueTypes(s string) []api.ValueType {
	if s == "" {
		return nil
	}
	ts := make([]api.ValueType, len(s))
	for i := range len(s) {
		switch s[i] {
		case 'i':
			ts[i] = api.ValueTypeI32
		case 'I':
			ts[i] = api.ValueTypeI64
		default:
			panic(fmt.Sprintf("host: abi type %q", s[i]))
		}
	}
	return ts
}

// Logging, clocks, timers.

// hostLog is proxy_log: it logs a line of the module's.
//
// # Parameters
//
//   - log_level: an abi.LogLevel, trace (0) to critical (5); above
//     critical logs as critical
//   - message_data, message_size: the line
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the line is out of memory. Memory is
//     checked whatever the level, as in Envoy; the line is copied only
//     when the logger keeps it.
//
// Envoy logs "wasm log<prefix>: msg" through its wasm logger at the mapped
// level (§2.9); here the line goes to ModuleConfig.Logger with the
// effective stream's context_id. While a VM starts, error lines are kept
// for the start-up error.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_log
func hostLog(c *hostCall) abi.Status {
	level, msg := abi.LogLevel(c.u32(0)), c.view(1)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	c.v.log(level, msg)
	return abi.StatusOK
}

// hostGetLogLevel is proxy_get_log_level: the most verbose level the
// host's logger keeps, so the module can skip lines nobody reads.
//
// # Parameters
//
//   - return_log_level: where the abi.LogLevel is written
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: return_log_level is out of memory
//
// Envoy answers with its wasm logger's level, which can also be 6, off
// (§1.4), and links this call only for modules that declare ABI 0.2.1
// (§1.1): Compile refuses a 0.2.0 module that imports it.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_log_level
func hostGetLogLevel(c *hostCall) abi.Status {
	return c.returnU32(0, uint32(c.v.logLevel()))
}

// hostGetCurrentTimeNanoseconds is proxy_get_current_time_nanoseconds: the
// module's wall clock, ModuleConfig.Clock or else the host's, in the place
// of Envoy's dispatcher clock. Tests pin it; hookguard checks signed
// timestamps against it.
//
// # Parameters
//
//   - return_time: where the time is written, nanoseconds since the Unix
//     epoch, a little-endian u64
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: return_time is out of memory
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_current_time_nanoseconds
func hostGetCurrentTimeNanoseconds(c *hostCall) abi.Status {
	return c.returnU64(0, uint64(c.v.plugin.module.clock().UnixNano()))
}

// hostSetTickPeriodMilliseconds is proxy_set_tick_period_milliseconds: it
// starts, changes or stops the root context's timer (vm.setTickPeriod).
//
// # Parameters
//
//   - tick_period: milliseconds between proxy_on_tick calls; 0 stops the
//     timer
//
// # Result (Status)
//
// Always StatusOK. A module that does not export proxy_on_tick gets no
// timer.
//
// As in Envoy, there is one timer per root context per VM (Envoy: per
// worker), and the first tick comes one period after it is set (§2.6).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_tick_period_milliseconds
func hostSetTickPeriodMilliseconds(c *hostCall) abi.Status {
	c.v.setTickPeriod(time.Duration(c.u32(0)) * time.Millisecond)
	return abi.StatusOK
}

// Buffers.

// hostGetBufferBytes is proxy_get_buffer_bytes: it hands the module a
// window of a buffer (vm.buffer).
//
// # Parameters
//
//   - buffer_type: the abi.BufferType to read
//   - start, max_size: the window, clamped to the buffer: a start past its
//     end reads nothing
//   - return_buffer_data, return_buffer_size: where the address and size of
//     a copy of the window are written, in a block of the module's
//     allocator that the module then owns; an empty window is address 0,
//     size 0, with no allocation
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: the buffer does not exist now (a proxy_http_call
//     response outside its callback, the plugin configuration outside
//     proxy_on_configure), the host keeps no such buffer (TCP data, gRPC,
//     foreign-function arguments), or buffer_type is unknown; Envoy
//     answers BAD_ARGUMENT for a type above 8 (§1.4)
//   - StatusInvalidMemoryAccess: the return pointers are out of memory, or
//     the allocator failed
//
// In Envoy a body buffer exists in every phase and is empty outside a body
// callback; a body callback sees its chunk, or everything buffered since
// it returned Pause, StopIterationAndBuffer (§2.1). The plugin
// configuration exists only during proxy_on_configure (§2.6).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_buffer_bytes
func hostGetBufferBytes(c *hostCall) abi.Status {
	data, st := c.v.buffer(abi.BufferType(c.u32(0)))
	if st != abi.StatusOK {
		return st
	}
	start, end := min(uint64(c.u32(1)), uint64(len(data))), min(uint64(c.u32(1))+uint64(c.u32(2)), uint64(len(data)))
	return c.returnBytes(3, data[start:end])
}

// hostGetBufferStatus is proxy_get_buffer_status: a buffer's size.
//
// # Parameters
//
//   - buffer_type: the abi.BufferType
//   - return_buffer_size: where its size in bytes is written
//   - return_unused: where 0 is written (flags, which no host sets)
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: the buffer does not exist now, or buffer_type is
//     unknown, as for proxy_get_buffer_bytes
//   - StatusInvalidMemoryAccess: a return pointer is out of memory
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_buffer_status
func hostGetBufferStatus(c *hostCall) abi.Status {
	data, st := c.v.buffer(abi.BufferType(c.u32(0)))
	if st != abi.StatusOK {
		return st
	}
	if st := c.returnU32(1, uint32(len(data))); st != abi.StatusOK {
		return st
	}
	return c.returnU32(2, 0)
}

// hostSetBufferBytes is proxy_set_buffer_bytes: it changes the body buffer
// the module sees, and so what goes on (Stream.setBody).
//
// # Parameters
//
//   - buffer_type: abi.BufferHTTPRequestBody or abi.BufferHTTPResponseBody
//   - start, size: where: start 0 drains size bytes and prepends (so
//     (0, 0) prepends and (0, ≥ length) replaces), start at or past the
//     end appends
//   - buffer_data, buffer_size: the bytes to write
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the bytes are out of memory
//   - StatusBadArgument: start is inside the buffer but not 0 (there is no
//     insert in the middle), no body buffer is live, or buffer_type is not
//     a body
//
// This is Envoy's Buffer::copyFrom, with Envoy's BAD_ARGUMENT when there
// is no body buffer (§2.1). The Go SDK appends with (MaxInt32, 0).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_buffer_bytes
func hostSetBufferBytes(c *hostCall) abi.Status {
	t, start, size, data := abi.BufferType(c.u32(0)), c.u32(1), c.u32(2), c.bytes(3)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	return c.v.stream.setBody(t, start, size, data)
}

// Header maps.

// hostGetHeaderMapPairs is proxy_get_header_map_pairs: every entry of a
// header map (vm.headerMap), serialized.
//
// # Parameters
//
//   - map_type: the abi.MapType to read
//   - return_map_data, return_map_size: where the address and size of the
//     serialized map (internal/pairs) are written, in a block of the
//     module's allocator; an empty map is address 0, size 0, with no
//     allocation
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the return pointers are out of memory, or
//     the allocator failed
//
// A map the module may not use now reads as empty with OK, as Envoy's does
// once request headers continued (§0, §2.2); so does an unknown map_type,
// which Envoy answers with BAD_ARGUMENT when above 7 (§1.4). Envoy gives
// every entry in order with the pseudo-headers, lower-case keys (§1.5).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_header_map_pairs
func hostGetHeaderMapPairs(c *hostCall) abi.Status {
	h := c.v.headerMap(abi.MapType(c.u32(0)))
	if h == nil || len(*h) == 0 {
		return c.returnBytes(1, nil)
	}
	return c.returnBytes(1, pairs.Encode(*h))
}

// hostSetHeaderMapPairs is proxy_set_header_map_pairs: it replaces every
// entry of a header map.
//
// # Parameters
//
//   - map_type: the abi.MapType to change
//   - map_data, map_size: the new map, serialized (internal/pairs)
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the map is out of memory
//   - StatusBadArgument: the module may not change that map now
//
// As Envoy, a malformed map clears the header map and answers OK, and keys
// are lower-cased (§1.5).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_header_map_pairs
func hostSetHeaderMapPairs(c *hostCall) abi.Status {
	t, buf := abi.MapType(c.u32(0)), c.bytes(1)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	h := c.v.headerMap(t)
	if h == nil {
		return abi.StatusBadArgument
	}
	*h = decodeHeader(buf)
	return abi.StatusOK
}

// hostGetHeaderMapSize is proxy_get_header_map_size: Envoy's
// HeaderMap::byteSize, the sum of the key and value lengths, which is
// neither the serialized size the spec describes nor the count (§1.5).
//
// # Parameters
//
//   - map_type: the abi.MapType
//   - return_map_size: where the size is written
//
// # Result (Status)
//
// StatusOK except:
//   - StatusBadArgument: the module may not use that map now (Envoy reads
//     the mutable map, §1.5)
//   - StatusInvalidMemoryAccess: return_map_size is out of memory
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_header_map_size
func hostGetHeaderMapSize(c *hostCall) abi.Status {
	h := c.v.headerMap(abi.MapType(c.u32(0)))
	if h == nil {
		return abi.StatusBadArgument
	}
	return c.returnU32(1, uint32(h.byteSize()))
}

// hostGetHeaderMapValue is proxy_get_header_map_value: the first value of
// a header.
//
// # Parameters
//
//   - map_type: the abi.MapType
//   - key_data, key_size: the key, looked up lower-cased
//   - return_value_data, return_value_size: where the address and size of
//     the value are written, in a block of the module's allocator
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the key or the return pointers are out of
//     memory, or the allocator failed
//   - StatusBadArgument: the module may not use that map now, as Envoy
//     answers once request headers continued (§0, §2.2)
//   - StatusNotFound: the map has no such key
//
// Envoy gives only the first value of a repeated header (§1.5).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_header_map_value
func hostGetHeaderMapValue(c *hostCall) abi.Status {
	t, key := abi.MapType(c.u32(0)), c.string(1)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	h := c.v.headerMap(t)
	if h == nil {
		return abi.StatusBadArgument
	}
	val, found := h.Get(key)
	if !found {
		return abi.StatusNotFound
	}
	return c.returnBytes(3, []byte(val))
}

// hostAddHeaderMapValue is proxy_add_header_map_value: it appends an
// entry, key lower-cased, even if the key is there already (Envoy's
// addCopy).
//
// # Parameters
//
//   - map_type: the abi.MapType to change
//   - key_data, key_size: the key
//   - value_data, value_size: the value
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the key or the value is out of memory
//   - StatusBadArgument: the module may not change that map now; Envoy
//     answers so for request headers once they continued, so a filter that
//     changes them from the body must pause in the headers, with
//     allow_on_headers_stop_iteration (§2.2)
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_add_header_map_value
func hostAddHeaderMapValue(c *hostCall) abi.Status { return setHeaderValue(c, (*Header).add) }

// setHeaderValue decodes (map_type, key, value) and applies set to the map
// when the module may change it now.
func setHeaderValue(c *hostCall, set func(h *Header, key, value string)) abi.Status {
	t, key, value := abi.MapType(c.u32(0)), c.string(1), c.string(3)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	h := c.v.headerMap(t)
	if h == nil {
		return abi.StatusBadArgument
	}
	set(h, key, value)
	return abi.StatusOK
}

// hostReplaceHeaderMapValue is proxy_replace_header_map_value: the key
// gets the one value, replacing every entry of it, or is added when absent
// (Envoy's setCopy, §1.5).
//
// # Parameters
//
//   - map_type: the abi.MapType to change
//   - key_data, key_size: the key, lower-cased
//   - value_data, value_size: the value
//
// # Result (Status)
//
// As proxy_add_header_map_value.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_replace_header_map_value
func hostReplaceHeaderMapValue(c *hostCall) abi.Status {
	return setHeaderValue(c, (*Header).replace)
}

// hostRemoveHeaderMapValue is proxy_remove_header_map_value: it removes
// every entry of a key.
//
// # Parameters
//
//   - map_type: the abi.MapType to change
//   - key_data, key_size: the key, lower-cased
//
// # Result (Status)
//
// StatusOK, also when the key was not there, except:
//   - StatusInvalidMemoryAccess: the key is out of memory
//   - StatusBadArgument: the module may not change that map now
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_remove_header_map_value
func hostRemoveHeaderMapValue(c *hostCall) abi.Status {
	t, key := abi.MapType(c.u32(0)), c.string(1)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	h := c.v.headerMap(t)
	if h == nil {
		return abi.StatusBadArgument
	}
	h.del(key)
	return abi.StatusOK
}

// Stream operations.

// hostContinueStream is proxy_continue_stream: a stopped direction of the
// effective stream goes on when the running callback returns
// (Stream.continueStream).
//
// # Parameters
//
//   - stream_type: an abi.StreamType
//
// # Result (Status)
//
// StatusOK except:
//   - StatusUnimplemented: stream_type is UPSTREAM, as in Envoy
//   - StatusBadArgument: stream_type is unknown, as in Envoy
//   - StatusNotFound: HTTP_REQUEST or HTTP_RESPONSE with no stream
//     effective (the root context)
//
// DOWNSTREAM is OK and does nothing for an HTTP filter (Envoy continues
// reading, §2.5). Envoy defers continueDecoding/continueEncoding until the
// VM call returns, after which a stream stopped with StopAll gets what it
// held in one body callback (§2.2); so does the host, also from a root
// callback (a tick, a callout's response), whose effects apply when it
// returns (vm.deferEffect).
//
// ABI 0.2.x only; ABI 0.1.0 modules have proxy_continue_request and
// proxy_continue_response instead.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_continue_stream
func hostContinueStream(c *hostCall) abi.Status {
	return c.v.stream.continueStream(abi.StreamType(c.u32(0)))
}

// hostCloseStream is proxy_close_stream: the effective stream is reset
// when the running callback returns (Stream.closeStream).
//
// # Parameters
//
//   - stream_type: an abi.StreamType; any known one resets the whole
//     stream
//
// # Result (Status)
//
// StatusOK except:
//   - StatusBadArgument: stream_type is unknown
//   - StatusNotFound: no stream is effective (the root context)
//
// Envoy does a deferred resetStream with details wasm_close_stream (§2.5).
//
// ABI 0.2.x only: ABI 0.1.0 has no way to close a stream.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_close_stream
func hostCloseStream(c *hostCall) abi.Status {
	return c.v.stream.closeStream(abi.StreamType(c.u32(0)))
}

// hostSendLocalResponse is proxy_send_local_response: the effective
// stream is answered by the module when the running callback returns
// (Stream.sendLocalResponse, then stream.go deliverLocal).
//
// # Parameters
//
//   - status_code: the HTTP status
//   - status_code_details_data, status_code_details_size: Envoy's
//     response-code details; whitespace becomes '_'
//   - body_data, body_size: the body
//   - headers_data, headers_size: the headers, serialized (internal/pairs);
//     a malformed map sends none, keys are lower-cased, and content-type
//     is text/plain unless the module set one
//   - grpc_status: ignored
//
// # Result (Status)
//
// StatusOK, also when no reply can be sent (no stream effective, or the
// stream answered already), as in Envoy, except:
//   - StatusInvalidMemoryAccess: the details, body or headers are out of
//     memory
//
// As Envoy (§2.4): the reply is sent when the VM call returns, whatever
// the callback returns; only the first one counts (a second hangs clients,
// Envoy issue #28826); from the request phase it passes through the
// module's own response callbacks; after the response headers went out
// the stream is reset instead.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_send_local_response
func hostSendLocalResponse(c *hostCall) abi.Status {
	details, body, headers := c.string(1), c.bytes(3), c.bytes(5)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	return c.v.stream.sendLocalResponse(&LocalResponse{Status: int(c.u32(0)), Header: decodeHeader(headers), Body: body, Details: details})
}

// ABI 0.1.0's own host calls: Envoy links them only for modules that
// declare 0.1.0 (proxy-wasm-cpp-host WasmBase::registerCallbacks), and
// 0.2.x modules use proxy_get_buffer_bytes, proxy_continue_stream and the
// foreign function clear_route_cache instead. The 0.1.0 spec gives
// proxy_continue_request, proxy_continue_response and
// proxy_clear_route_cache no result, but cpp-host's (and the SDKs') return
// the status, () -> i32, which is what Envoy links.

// hostGetConfiguration is proxy_get_configuration (ABI 0.1.0): a copy of
// a configuration (vm.configuration), the plugin's during
// proxy_on_configure and the VM's at any other time.
//
// # Parameters
//
//   - return_value_data, return_value_size: where the address and size of
//     the copy are written, in a block of the module's allocator that the
//     module then owns; an empty configuration is address 0, size 0, with
//     no allocation
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the return pointers are out of memory, or
//     the allocator failed
//
// cpp-host's get_configuration copies the effective context's
// getConfiguration(), which Envoy answers with the plugin configuration
// (PluginConfig.Configuration) while proxy_on_configure (or
// proxy_validate_configuration, which the host does not call) runs, and
// with vm_config.configuration (PluginConfig.VMConfiguration) otherwise:
// in proxy_on_vm_start, as the spec says, but also in a stream's
// callbacks.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.1.0#proxy_get_configuration
func hostGetConfiguration(c *hostCall) abi.Status {
	return c.returnBytes(0, c.v.configuration())
}

// hostContinueRequest is proxy_continue_request (ABI 0.1.0): the
// effective stream's request goes on when the running callback returns,
// as proxy_continue_stream(HTTP_REQUEST) does (Stream.continueStream).
//
// # Parameters
//
// None.
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: no stream is effective (the root context), as
//     proxy_continue_stream answers; Envoy answers OK and does nothing
//
// cpp-host's continue_request is continueStream(Request) on the effective
// context: Envoy defers continueDecoding until the VM call returns, and a
// request stopped with StopAll then gets what it held in one body
// callback (§2.2). So does the host, also from a root callback (a tick, a
// callout's response, after proxy_set_effective_context), whose effects
// apply when it returns (vm.deferEffect).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.1.0#proxy_continue_request
func hostContinueRequest(c *hostCall) abi.Status {
	return c.v.stream.continueStream(abi.StreamRequest)
}

// hostContinueResponse is proxy_continue_response (ABI 0.1.0): as
// proxy_continue_request, for the response (Envoy's continueEncoding).
//
// # Parameters
//
// None.
//
// # Result (Status)
//
// As proxy_continue_request.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.1.0#proxy_continue_response
func hostContinueResponse(c *hostCall) abi.Status {
	return c.v.stream.continueStream(abi.StreamResponse)
}

// hostClearRouteCache is proxy_clear_route_cache (ABI 0.1.0): always
// StatusOK, and nothing to do. Envoy clears the effective stream's cached
// route (decoder callbacks' clearRouteCache; nothing from the root
// context), so that the headers the module changed pick the route again;
// the host has no routes, and its driver sees the headers as the module
// left them.
//
// # Parameters
//
// None.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.1.0#proxy_clear_route_cache
func hostClearRouteCache(*hostCall) abi.Status { return abi.StatusOK }

// Properties.

// hostGetProperty is proxy_get_property: a property of the plugin or the
// effective stream (vm.property).
//
// # Parameters
//
//   - path_data, path_size: the path, its segments each followed by a NUL
//     ("request\x00path\x00")
//   - return_value_data, return_value_size: where the address and size of
//     the value are written, in a block of the module's allocator
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the path or the return pointers are out of
//     memory, or the allocator failed
//   - StatusNotFound: no such property now
//
// The properties are Envoy's wasm ones, plugin_name, plugin_root_id and
// plugin_vm_id; those the driver set with Stream.SetProperty (such as
// source.address) or the module with proxy_set_property; and Envoy's
// request.* and response.* attributes from the headers as they went on.
// Values are serialized as Envoy's: strings raw, integers 8 bytes
// little-endian, maps as pairs (§2.5).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_property
func hostGetProperty(c *hostCall) abi.Status {
	path := c.propertyPath(0)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	val, found := c.v.property(path)
	if !found {
		return abi.StatusNotFound
	}
	return c.returnBytes(2, val)
}

// hostSetProperty is proxy_set_property: it sets a property of the
// effective stream, which proxy_get_property then reads
// (Stream.setProperty).
//
// # Parameters
//
//   - path_data, path_size: the path, as for proxy_get_property
//   - value_data, value_size: the value
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the path or the value is out of memory
//   - StatusNotFound: no stream is effective (the root context)
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_property
func hostSetProperty(c *hostCall) abi.Status {
	path, value := c.propertyPath(0), c.bytes(2)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	return c.v.stream.setProperty(path, value)
}

// Shared data.

// hostGetSharedData is proxy_get_shared_data: a value every VM of the
// plugin shares, from PluginConfig.SharedData (vm.getSharedData).
//
// # Parameters
//
//   - key_data, key_size: the key
//   - return_value_data, return_value_size: where the address and size of
//     the value are written, in a block of the module's allocator
//   - return_cas: where the value's version is written, for
//     proxy_set_shared_data
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the key or a return pointer is out of
//     memory, or the allocator failed
//   - StatusNotFound: the key has no value
//   - StatusInternalFailure: the store failed (it is logged)
//
// Envoy scopes shared data by vm_id (§2.6); the host shares it between
// the VMs of one plugin, or more with a store outside the process.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_shared_data
func hostGetSharedData(c *hostCall) abi.Status {
	key := c.string(0)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	value, cas, st := c.v.getSharedData(key)
	if st != abi.StatusOK {
		return st
	}
	if st := c.returnU32(4, cas); st != abi.StatusOK {
		return st
	}
	return c.returnBytes(2, value)
}

// hostSetSharedData is proxy_set_shared_data: it stores a value every VM
// of the plugin shares, by compare-and-swap (vm.setSharedData).
//
// # Parameters
//
//   - key_data, key_size: the key
//   - value_data, value_size: the value
//   - cas: the version the module read; 0 stores whatever the version
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the key or the value is out of memory
//   - StatusCasMismatch: cas is not 0 and the value changed since
//   - StatusInternalFailure: the store failed (it is logged)
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_shared_data
func hostSetSharedData(c *hostCall) abi.Status {
	key, value, cas := c.string(0), c.bytes(2), c.u32(4)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	return c.v.setSharedData(key, value, cas)
}

// Metrics.

// hostDefineMetric is proxy_define_metric: it defines a metric of the
// plugin's Metrics and returns its id.
//
// # Parameters
//
//   - metric_type: an abi.MetricType
//   - name_data, name_size: the name
//   - return_metric_id: where the id is written; its low two bits are the
//     type, as in Envoy (§2.8)
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: the name or return_metric_id is out of
//     memory
//   - StatusBadArgument: metric_type is unknown, the name is empty, or the
//     name is defined already with another type
//
// As in Envoy, a metric is global by name: every VM that defines a name
// shares one value (§2.8). A name defined again gets its first id back.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_define_metric
func hostDefineMetric(c *hostCall) abi.Status {
	kind, name := MetricKind(c.u32(0)), c.string(1)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	id, st := c.v.plugin.metrics.define(kind, name)
	if st != abi.StatusOK {
		return st
	}
	return c.returnU32(3, id)
}

// hostIncrementMetric is proxy_increment_metric: it adds to a counter or a
// gauge (Metrics.increment).
//
// # Parameters
//
//   - metric_id: the id proxy_define_metric returned
//   - offset: the i64 to add; a gauge also takes a negative one
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: metric_id is unknown
//   - StatusBadArgument: the metric is a histogram, or a counter and
//     offset is below 1, as in Envoy (§2.8)
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_increment_metric
func hostIncrementMetric(c *hostCall) abi.Status {
	return c.v.plugin.metrics.increment(c.u32(0), c.i64(1))
}

// hostRecordMetric is proxy_record_metric: as Envoy (§2.8), a counter adds
// the value, a gauge is set to it and a histogram records it
// (Metrics.record).
//
// # Parameters
//
//   - metric_id: the id proxy_define_metric returned
//   - value: the i64 to record
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: metric_id is unknown
//   - StatusBadArgument: the metric is a counter and value is below 1
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_record_metric
func hostRecordMetric(c *hostCall) abi.Status {
	return c.v.plugin.metrics.record(c.u32(0), c.i64(1))
}

// hostGetMetric is proxy_get_metric: a counter's or a gauge's value
// (Metrics.get).
//
// # Parameters
//
//   - metric_id: the id proxy_define_metric returned
//   - return_value: where the value is written, a little-endian u64
//
// # Result (Status)
//
// StatusOK except:
//   - StatusNotFound: metric_id is unknown
//   - StatusBadArgument: the metric is a histogram, as in Envoy (§2.8)
//   - StatusInvalidMemoryAccess: return_value is out of memory
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_get_metric
func hostGetMetric(c *hostCall) abi.Status {
	value, st := c.v.plugin.metrics.get(c.u32(0))
	if st != abi.StatusOK {
		return st
	}
	return c.returnU64(1, uint64(value))
}

// Contexts.

// hostSetEffectiveContext is proxy_set_effective_context: later host
// calls act on another context, a stream still open or the root
// (vm.setEffectiveContext). What they ask of a stream from a callback not
// its own is applied when that callback returns (vm.deferEffect); the
// stream's own next callback makes it effective again, as Envoy does.
//
// # Parameters
//
//   - context_id: a stream's or the root context's id
//
// # Result (Status)
//
// StatusOK except:
//   - StatusBadArgument: context_id is not an open context of the VM
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_set_effective_context
func hostSetEffectiveContext(c *hostCall) abi.Status {
	return c.v.setEffectiveContext(c.u32(0))
}

// hostDone is proxy_done: always StatusOK. A stream here ends when its
// driver closes it, and the result of proxy_on_done is ignored for HTTP
// streams, as in Envoy (§2.3), so no context waits for proxy_done.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_done
func hostDone(*hostCall) abi.Status { return abi.StatusOK }

// HTTP calls.

// hostHTTPCall is proxy_http_call: it sends a request to one of
// PluginConfig.Clusters, and proxy_on_http_call_response later delivers
// the response, or the failure, on the root context (httpcall.go).
//
// # Parameters
//
//   - upstream_data, upstream_size: the cluster's name
//   - headers_data, headers_size: the request headers, serialized
//     (internal/pairs), with :method, :path and :authority
//   - body_data, body_size: the request body
//   - trailers_data, trailers_size: ignored
//   - timeout: milliseconds; 0 (Envoy: none) is 5 s here, so that every
//     call ends
//   - return_callout_id: where the call's token is written, never 0
//
// # Result (Status)
//
// StatusOK except:
//   - StatusInvalidMemoryAccess: an argument or return_callout_id is out of
//     memory; then no call is made
//   - StatusBadArgument: the cluster is unknown, the headers are malformed
//     or lack :method, :path or :authority, or they make no request
//
// As in Envoy (§2.5): the call belongs to the root context, and a failed
// one is delivered with no headers. The host also records the stream that
// was effective: it can be resumed from the response, and answering,
// resetting or closing it cancels the call, which then delivers nothing.
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_http_call
func hostHTTPCall(c *hostCall) abi.Status {
	cluster, headers, body := c.string(0), c.bytes(2), c.bytes(4)
	if c.fault {
		return abi.StatusInvalidMemoryAccess
	}
	call, st := c.v.newCallout(cluster, headers, body, time.Duration(c.u32(8))*time.Millisecond)
	if st != abi.StatusOK {
		return st
	}
	if st := c.returnU32(9, call.token); st != abi.StatusOK {
		call.cancel()
		return st
	}
	c.v.send(call)
	return abi.StatusOK
}

// What the host does not provide.

// hostCallForeignFunction is proxy_call_foreign_function: the host has no
// foreign functions, so it answers StatusNotFound for any name (Envoy
// offers a few, such as clear_route_cache, §2.5).
//
// See https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#proxy_call_foreign_function
func hostCallForeignFunction(*hostCall) abi.Status { return abi.StatusNotFound }

// hostUnimplemented answers StatusUnimplemented, whatever the arguments:
// it is gRPC (proxy_grpc_*), shared queues (proxy_*_shared_queue) and
// proxy_get_status, which only reports on those. A module may import them,
// as it may in Envoy, but not use them here.
func hostUnimplemented(*hostCall) abi.Status { return abi.StatusUnimplemented }

// hostEmscriptenNotifyMemoryGrowth is emscripten_notify_memory_growth,
// which Envoy registers for emscripten-built modules (proxy-wasm-cpp-host
// src/exports.cc). It has no result: growth needs no action from a host
// that reads memory afresh at each call.
func hostEmscriptenNotifyMemoryGrowth(*hostCall) abi.Status { return 0 }

// hostPthreadEqual is pthread_equal, which Envoy registers for
// emscripten-built modules: its result is not a Status but 1 when left and
// right are equal, else 0.
func hostPthreadEqual(c *hostCall) abi.Status {
	if c.u32(0) == c.u32(1) {
		return 1
	}
	return 0
}
