package host

import (
	"sync"

	"github.com/hookguard/hookguard/internal/abi"
)

// SharedData is the key-value store behind proxy_get_shared_data and
// proxy_set_shared_data, with Envoy's compare-and-swap: every value has a
// version (cas), never 0, that changes with each Set; Set with a non-zero
// cas stores only if it is still the current version, and with cas 0
// stores whatever the version. It must be safe for concurrent use. An
// error fails the module's call (proxy-wasm's InternalFailure), and
// hookguard then refuses the request: a store that is down never lets one
// through.
type SharedData interface {
	// Get returns key's value and version; found is false when it has
	// none.
	Get(key string) (value []byte, cas uint32, found bool, err error)
	// Set stores value at key unless cas is non-zero and stale, when it
	// reports false.
	Set(key string, value []byte, cas uint32) (ok bool, err error)
}

// NewMemorySharedData returns the in-memory store a plugin uses by
// default, for wrapping (a store that sends some keys elsewhere).
func NewMemorySharedData() SharedData { return &memorySharedData{m: map[string]sharedValue{}} }

type memorySharedData struct {
	mu sync.Mutex
	m  map[string]sharedValue
}

type sharedValue struct {
	data []byte
	cas  uint32
}

func (d *memorySharedData) Get(key string) ([]byte, uint32, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[key]
	return v.data, v.cas, ok, nil
}

func (d *memorySharedData) Set(key string, data []byte, cas uint32) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.m[key]
	if cas != 0 && cas != cur.cas {
		return false, nil
	}
	next := cur.cas + 1
	if next == 0 {
		next = 1
	}
	d.m[key] = sharedValue{data: data, cas: next}
	return true, nil
}

// getSharedData is proxy_get_shared_data's lookup: NOT_FOUND for a key
// with no value, and INTERNAL_FAILURE, logged, when the store fails.
func (v *vm) getSharedData(key string) (value []byte, cas uint32, st abi.Status) {
	value, cas, found, err := v.plugin.shared.Get(key)
	switch {
	case err != nil:
		v.logger.Error("shared data store failed; the module's call fails", "error", err)
		return nil, 0, abi.StatusInternalFailure
	case !found:
		return nil, 0, abi.StatusNotFound
	}
	return value, cas, abi.StatusOK
}

// setSharedData is proxy_set_shared_data's store: CAS_MISMATCH when cas is
// not 0 and stale, and INTERNAL_FAILURE, logged, when the store fails.
func (v *vm) setSharedData(key string, value []byte, cas uint32) abi.Status {
	ok, err := v.plugin.shared.Set(key, value, cas)
	switch {
	case err != nil:
		v.logger.Error("shared data store failed; the module's call fails", "error", err)
		return abi.StatusInternalFailure
	case !ok:
		return abi.StatusCasMismatch
	}
	return abi.StatusOK
}
