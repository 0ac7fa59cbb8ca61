// Package interrupt makes a WebAssembly module stoppable from outside at a
// cost of a few instructions per loop iteration.
//
// Instrument adds two mutable i32 globals, the interrupt flag (exported as
// ExportName) and a fuel counter, and at the head of every loop inserts
//
//	fuel = fuel - 1
//	if fuel == 0 {
//	  fuel = Period
//	  drop(memory.grow(0))   // a call into Go: the goroutine can be preempted
//	  if interrupt { unreachable }
//	}
//
// A host that sets the flag from another goroutine makes the running code
// trap within Period loop iterations. Code without loops ends on its own
// (recursion ends at the stack limit), so checking loop heads bounds every
// call.
//
// The call into Go matters as much as the flag: compiled wasm that never
// leaves for Go cannot be preempted, so a module spinning in a loop would
// block the Go runtime's stop-the-world (a GC) and, with it, the watchdog
// meant to stop it. memory.grow(0) is the one such call every module with a
// memory can make without importing anything; it changes nothing.
//
// wazero's own termination checks (WithCloseOnContextDone) leave compiled
// code for Go at every loop head instead, ~25 ns each, and start a
// goroutine per call; see RATIONALE.md.
package interrupt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ExportName is the export under which the added interrupt flag is
// reachable.
const ExportName = "hookguard.interrupt"

// Period is how many loop iterations pass between two visits to Go and two
// reads of the interrupt flag.
const Period = 4096

// Version names the rewrite Instrument does, for a cache of its output:
// change it whenever the output for a given module changes (a test holds
// the output of a fixed module to it).
const Version = "1"

// ErrMalformed means the module could not be decoded; wazero would refuse it
// too, with a more precise message.
var ErrMalformed = errors.New("malformed wasm module")

// Section ids, in the order the binary format requires them.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionRank orders known sections as the spec does (tag sits between
// memory and global); custom sections keep their place.
func sectionRank(id byte) int {
	switch id {
	case secTag:
		return 55 // after memory (5), before global (6)
	case secDataCount:
		return 95 // after element (9), before code (10)
	}
	return int(id) * 10
}

type section struct {
	id      byte
	payload []byte
}

// Instrument returns a copy of wasm with the globals and a check at every
// loop head. DWARF sections are dropped: their code offsets would no longer
// hold. A module without a memory is returned as it is.
func Instrument(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, fmt.Errorf("%w: no wasm header", ErrMalformed)
	}
	var sections []section
	r := reader{b: wasm, off: 8}
	for !r.done() {
		id := r.byte()
		size := r.u32()
		payload := r.bytes(int(size))
		if r.err != nil {
			return nil, r.err
		}
		if id == secCustom && isDWARF(payload) {
			continue
		}
		sections = append(sections, section{id, payload})
	}

	importedGlobals, importedMemory, err := scanImports(find(sections, secImport))
	if err != nil {
		return nil, err
	}
	if !importedMemory && !hasMemory(find(sections, secMemory)) {
		// Nothing to call memory.grow on. No proxy-wasm module is like
		// this, and the host refuses it for lacking an exported memory.
		return wasm, nil
	}
	if find(sections, secGlobal) == nil {
		sections = insert(sections, section{id: secGlobal, payload: []byte{0}})
	}
	// interrupt: (global (mut i32) (i32.const 0)); fuel: (global (mut i32) (i32.const Period)).
	globals := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b, 0x7f, 0x01, 0x41}
	globals = append(appendS32(globals, Period), 0x0b)
	n, err := appendEntries(find(sections, secGlobal), 2, globals)
	if err != nil {
		return nil, err
	}
	index := importedGlobals + n

	if find(sections, secExport) == nil {
		sections = insert(sections, section{id: secExport, payload: []byte{0}})
	}
	export := appendU32(append(appendName(nil, ExportName), 0x03), index) // a global
	if _, err := appendEntries(find(sections, secExport), 1, export); err != nil {
		return nil, err
	}

	if code := find(sections, secCode); code != nil {
		payload, err := instrumentCode(code.payload, index, index+1)
		if err != nil {
			return nil, err
		}
		code.payload = payload
	}

	size := 8
	for _, s := range sections {
		size += 1 + binary.MaxVarintLen32 + len(s.payload)
	}
	out := append(make([]byte, 0, size), wasm[:8]...)
	for _, s := range sections {
		out = append(out, s.id)
		out = appendU32(out, uint32(len(s.payload)))
		out = append(out, s.payload...)
	}
	return out, nil
}

// appendEntries adds count entries, already encoded, to the vector that is
// s's payload, and returns how many it held before.
func appendEntries(s *section, count uint32, entries []byte) (uint32, error) {
	r := reader{b: s.payload}
	n := r.u32()
	if r.err != nil {
		return 0, r.err
	}
	p := appendU32(nil, n+count)
	p = append(p, r.rest()...)
	s.payload = append(p, entries...)
	return n, nil
}

func isDWARF(payload []byte) bool {
	r := reader{b: payload}
	n := r.u32()
	name := r.bytes(int(n))
	return r.err == nil && bytes.HasPrefix(name, []byte(".debug_"))
}

func find(sections []section, id byte) *section {
	for i := range sections {
		if sections[i].id == id {
			return &sections[i]
		}
	}
	return nil
}

// insert puts s before the first known section that must follow it.
func insert(sections []section, s section) []section {
	rank := sectionRank(s.id)
	for i, o := range sections {
		if o.id != secCustom && sectionRank(o.id) > rank {
			return append(sections[:i], append([]section{s}, sections[i:]...)...)
		}
	}
	return append(sections, s)
}

func hasMemory(s *section) bool {
	if s == nil {
		return false
	}
	r := reader{b: s.payload}
	return r.u32() > 0
}

// scanImports counts the imported globals, which come first in the global
// index space, and says whether a memory is imported.
func scanImports(s *section) (globals uint32, memory bool, err error) {
	if s == nil {
		return 0, false, nil
	}
	r := reader{b: s.payload}
	for n := r.u32(); n > 0 && r.err == nil; n-- {
		r.bytes(int(r.u32())) // module
		r.bytes(int(r.u32())) // name
		switch kind := r.byte(); kind {
		case 0x00: // func
			r.u32()
		case 0x01: // table
			r.byte()
			r.limits()
		case 0x02: // memory
			r.limits()
			memory = true
		case 0x03: // global
			r.byte()
			r.byte()
			globals++
		case 0x04: // tag
			r.byte()
			r.u32()
		default:
			r.fail("import kind %#x", kind)
		}
	}
	return globals, memory, r.err
}

// loopCheck is the code inserted at every loop head (see the package doc).
func loopCheck(flag, fuel uint32) []byte {
	var c []byte
	getFuel := appendU32([]byte{0x23}, fuel)
	setFuel := appendU32([]byte{0x24}, fuel)
	c = append(c, getFuel...)
	c = append(c, 0x41, 0x7f, 0x6a) // i32.const -1, i32.add
	c = append(c, setFuel...)
	c = append(c, getFuel...)
	c = append(c, 0x45, 0x04, 0x40) // i32.eqz, if
	c = append(c, 0x41)
	c = appendS32(c, Period)
	c = append(c, setFuel...)
	c = append(c, 0x41, 0x00, 0x40, 0x00, 0x1a) // i32.const 0, memory.grow 0, drop
	c = appendU32(append(c, 0x23), flag)
	c = append(c, 0x04, 0x40, 0x00, 0x0b) // if, unreachable, end
	return append(c, 0x0b)                // end
}

// instrumentCode rewrites every function body of a code section.
func instrumentCode(payload []byte, flag, fuel uint32) ([]byte, error) {
	r := reader{b: payload}
	n := r.u32()
	// Loops are a few percent of the code: room for the checks up front.
	out := appendU32(make([]byte, 0, len(payload)+len(payload)/4), n)
	check := loopCheck(flag, fuel)
	var body []byte
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		fr := reader{b: r.bytes(int(size))}
		if r.err != nil {
			break
		}
		body = body[:0]
		for locals := fr.u32(); locals > 0 && fr.err == nil; locals-- {
			fr.u32()
			fr.byte()
		}
		copied := 0 // body holds fr.b[:copied] and the checks so far
		for !fr.done() && fr.err == nil {
			op := fr.byte()
			fr.immediates(op)
			if op == 0x03 { // loop
				body = append(append(body, fr.b[copied:fr.off]...), check...)
				copied = fr.off
			}
		}
		body = append(body, fr.b[copied:]...)
		if fr.err != nil {
			return nil, fmt.Errorf("function %d: %w", i, fr.err)
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.err == nil && !r.done() {
		r.fail("%d bytes after the code section's functions", len(r.b)-r.off)
	}
	return out, r.err
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrMalformed, r.off, fmt.Sprintf(format, args...))
	}
	r.off = len(r.b)
}

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b)-r.off {
		r.fail("length %d past the end", n)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) rest() []byte { return r.b[r.off:] }

// leb skips a LEB128 number of at most maxBytes (≤ 10) bytes and returns
// its low 64 bits unsigned.
func (r *reader) leb(maxBytes int) uint64 {
	b := r.b[min(r.off, len(r.b)):]
	var v uint64
	for i := 0; i < maxBytes; i++ {
		if i == len(b) {
			r.fail("unexpected end")
			return 0
		}
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			r.off += i + 1
			return v
		}
	}
	r.fail("LEB128 longer than %d bytes", maxBytes)
	return 0
}

func (r *reader) u32() uint32 {
	v := r.leb(5)
	if v > 0xffffffff {
		r.fail("u32 out of range")
	}
	return uint32(v)
}

func (r *reader) limits() {
	flags := r.byte()
	if flags > 0x03 {
		r.fail("limits flags %#x", flags)
	}
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}

func (r *reader) memarg() {
	r.u32() // alignment (bit 6 would add a memory index: multi-memory is not supported)
	r.u32() // offset
}

// What follows an opcode, indexing immediateKinds.
const (
	immInvalid byte = iota
	immNone
	immLEB32    // a u32 or s32: indices, block types, i32.const, memory.size/grow
	immLEB64    // i64.const
	immTwoLEB32 // call_indirect, memory arguments
	immBrTable
	immSelectT
	imm4Bytes
	imm8Bytes
	immByte // ref.null
	immMisc // 0xfc prefix
	immSIMD // 0xfd prefix
)

// immediateKinds is the immediates of every single-byte opcode: a table, as
// the decoder runs once per instruction of the module at every Compile.
var immediateKinds = func() (t [256]byte) {
	set := func(kind byte, ops ...byte) {
		for _, op := range ops {
			t[op] = kind
		}
	}
	set(immNone, 0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1)
	for op := 0x45; op <= 0xc4; op++ {
		t[op] = immNone // numeric instructions
	}
	set(immLEB32, 0x02, 0x03, 0x04, 0x0c, 0x0d, 0x10, 0x12, 0x3f, 0x40, 0x41, 0xd2)
	for op := 0x20; op <= 0x26; op++ {
		t[op] = immLEB32 // locals, globals, table.get/set
	}
	for op := 0x28; op <= 0x3e; op++ {
		t[op] = immTwoLEB32 // loads and stores: alignment, offset
	}
	set(immTwoLEB32, 0x11, 0x13)
	set(immLEB64, 0x42)
	set(immBrTable, 0x0e)
	set(immSelectT, 0x1c)
	set(imm4Bytes, 0x43)
	set(imm8Bytes, 0x44)
	set(immByte, 0xd0)
	set(immMisc, 0xfc)
	set(immSIMD, 0xfd)
	return t
}()

// immediates skips the immediates of the instruction op.
func (r *reader) immediates(op byte) {
	switch immediateKinds[op] {
	case immNone:
	case immLEB32:
		r.leb(5)
	case immTwoLEB32:
		r.leb(5)
		r.leb(5)
	case immLEB64:
		r.leb(10)
	case immBrTable:
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.u32()
		}
		r.u32()
	case immSelectT:
		for n := r.u32(); n > 0 && r.err == nil; n-- {
			r.byte()
		}
	case imm4Bytes:
		r.bytes(4)
	case imm8Bytes:
		r.bytes(8)
	case immByte:
		r.byte()
	case immMisc:
		r.miscImmediates(r.u32())
	case immSIMD:
		r.simdImmediates(r.u32())
	default:
		r.fail("unknown opcode %#x", op)
	}
}

func (r *reader) miscImmediates(sub uint32) {
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init
		r.u32()
		r.u32()
	case sub == 9, sub == 11, sub == 13, sub >= 15 && sub <= 17: // data.drop, memory.fill, elem.drop, table.grow/size/fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy, table.init, table.copy
		r.u32()
		r.u32()
	default:
		r.fail("unknown 0xfc opcode %d", sub)
	}
}

func (r *reader) simdImmediates(sub uint32) {
	switch {
	case sub <= 0x0b, sub == 0x5c, sub == 0x5d: // loads, store, load_zero
		r.memarg()
	case sub == 0x0c, sub == 0x0d: // v128.const, i8x16.shuffle
		r.bytes(16)
	case sub >= 0x15 && sub <= 0x22: // extract/replace lane
		r.byte()
	case sub >= 0x54 && sub <= 0x5b: // load/store lane
		r.memarg()
		r.byte()
	case sub <= 0x113:
		// no immediates
	default:
		r.fail("unknown 0xfd opcode %d", sub)
	}
}

func appendU32(b []byte, v uint32) []byte {
	return binary.AppendUvarint(b, uint64(v))
}

// appendS32 appends v as a signed LEB128, the encoding of i32.const.
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	return append(appendU32(b, uint32(len(s))), s...)
}
