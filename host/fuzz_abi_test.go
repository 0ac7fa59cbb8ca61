package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/hookguard/hookguard/internal/abi"
)

var (
	abiFuzzOnce   sync.Once
	abiFuzzModule *Module
	abiFuzzNames  []string // envFunctions' names, sorted: the fuzzer picks by index
)

// FuzzHostABI calls every proxy-wasm host function as a guest could, with
// arbitrary arguments (pointers and lengths in and out of the module's
// memory, unknown enum values, huge sizes), in the middle of a stream's
// request-headers callback. No call may panic the host or answer a status
// outside the ABI's; the stream must still end.
//
//	go test ./host -run '^$' -fuzz '^FuzzHostABI$' -fuzztime 10m
func FuzzHostABI(f *testing.F) {
	abiFuzzSetup(f)
	// Seeds: each function once with small in-bounds arguments, and once
	// with the largest values.
	for i := range abiFuzzNames {
		small := []byte{byte(i)}
		for a := range 12 {
			small = binary.LittleEndian.AppendUint32(small, uint32(16*a))
		}
		f.Add(small)
		huge := []byte{byte(i)}
		for range 12 {
			huge = binary.LittleEndian.AppendUint32(huge, 0xffffffff)
		}
		f.Add(huge)
	}
	f.Fuzz(runABIProgram)
}

func abiFuzzSetup(tb testing.TB) {
	abiFuzzOnce.Do(func() {
		wasm, err := os.ReadFile("testdata/probe_tinygo.wasm")
		if err != nil {
			tb.Fatal(err)
		}
		if abiFuzzModule, err = Compile(context.Background(), wasm, ModuleConfig{}); err != nil {
			tb.Fatal(err)
		}
		for name := range envFunctions {
			abiFuzzNames = append(abiFuzzNames, name)
		}
		slices.Sort(abiFuzzNames)
	})
}

// runABIProgram is one FuzzHostABI run: program is a sequence of calls.
func runABIProgram(t *testing.T, program []byte) {
	ctx := context.Background()
	p, err := abiFuzzModule.NewPlugin(ctx, PluginConfig{VMs: 1, AllowOnHeadersStopIteration: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	s, err := p.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	s.RequestHeaders(ctx, Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/c"}, {Key: "x-a", Value: "1"}}, false)
	v := s.vm
	v.mu.Lock()
	v.stream = s
	defer func() {
		v.stream = nil
		v.mu.Unlock()
	}()
	// Each call: a function index, then 12 little-endian u32
	// arguments (those the function does not take are ignored). An
	// argument whose top bit is clear is folded into the module's
	// first 128 KiB, so pointers land in memory as often as not.
	const callSize = 1 + 12*4
	for len(program) >= callSize {
		name := abiFuzzNames[int(program[0])%len(abiFuzzNames)]
		ef := envFunctions[name]
		var args [12]uint32
		for i := range args {
			a := binary.LittleEndian.Uint32(program[1+4*i:])
			if a&0x80000000 == 0 {
				a &= 0x1ffff
			}
			args[i] = a
		}
		program = program[callSize:]
		stack := make([]uint64, max(len(ef.ParamNames), 1))
		for i := range ef.ParamNames {
			stack[i] = uint64(args[i])
		}
		if v.failed.Load() {
			return // the allocator trapped: the VM is done, as in Envoy
		}
		status := callHostFunction(t, name, func() uint32 { return uint32(ef.call(v, v.mod.Memory(), stack)) })
		if ef.ResultName == "status" && !knownStatus(status) {
			t.Fatalf("%s%v answered status %d, which the ABI does not define", name, args[:len(ef.ParamNames)], status)
		}
	}
}

// callHostFunction runs one host function, turning a panic into a test
// failure that names the call.
func callHostFunction(t *testing.T, name string, call func() uint32) (status uint32) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", name, fmt.Sprint(r))
		}
	}()
	return call()
}

func knownStatus(s uint32) bool {
	switch abi.Status(s) {
	case abi.StatusOK, abi.StatusNotFound, abi.StatusBadArgument, abi.StatusSerializationFailure,
		abi.StatusParseFailure, abi.StatusInvalidMemoryAccess, abi.StatusEmpty,
		abi.StatusCasMismatch, abi.StatusInternalFailure, abi.StatusUnimplemented:
		return true
	}
	return false
}
