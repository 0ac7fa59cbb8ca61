//go:build !wasip1

package proxywasm

import "unsafe"

// Outside GOOS=wasip1 there is no proxy-wasm host: these exist so packages
// built on this one compile, vet and lint natively. Calling one is a bug.

const noHost = "proxywasm: host calls are only available in a GOOS=wasip1 module"

func proxyLog(uint32, unsafe.Pointer, uint32) uint32 { panic(noHost) }
func proxyGetBufferBytes(uint32, uint32, uint32, unsafe.Pointer, unsafe.Pointer) uint32 {
	panic(noHost)
}
func proxyGetHeaderMapPairs(uint32, unsafe.Pointer, unsafe.Pointer) uint32 { panic(noHost) }
func proxySendLocalResponse(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, int32) uint32 {
	panic(noHost)
}
func proxyDefineMetric(uint32, unsafe.Pointer, uint32, unsafe.Pointer) uint32 { panic(noHost) }
func proxyIncrementMetric(uint32, int64) uint32                               { panic(noHost) }
func proxyGetCurrentTimeNanoseconds(unsafe.Pointer) uint32                    { panic(noHost) }
func proxyAddHeaderMapValue(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) uint32 {
	panic(noHost)
}
func proxyRemoveHeaderMapValue(uint32, unsafe.Pointer, uint32) uint32 { panic(noHost) }
func proxyGetProperty(unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer) uint32 {
	panic(noHost)
}
func proxyHTTPCall(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32, unsafe.Pointer) uint32 {
	panic(noHost)
}
func proxySetTickPeriodMilliseconds(uint32) uint32 { panic(noHost) }
func proxyGetSharedData(unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer, unsafe.Pointer) uint32 {
	panic(noHost)
}
func proxySetSharedData(unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32) uint32 {
	panic(noHost)
}
func proxySetEffectiveContext(uint32) uint32 { panic(noHost) }
func proxyContinueStream(uint32) uint32      { panic(noHost) }
