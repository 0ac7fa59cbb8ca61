package pairs

import (
	"bytes"
	"reflect"
	"testing"
)

func TestEncodeLayout(t *testing.T) {
	// Written out by hand from the spec's layout, not produced by Encode.
	want := []byte{
		2, 0, 0, 0, // two pairs
		1, 0, 0, 0, 2, 0, 0, 0, // "a" → "bc"
		3, 0, 0, 0, 0, 0, 0, 0, // "def" → ""
		'a', 0, 'b', 'c', 0,
		'd', 'e', 'f', 0, 0,
	}
	in := []Pair{{Key: "a", Value: "bc"}, {Key: "def", Value: ""}}
	got := Encode(in)
	if !bytes.Equal(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	if Size(in) != len(want) {
		t.Fatalf("Size = %d, want %d", Size(in), len(want))
	}
	if back := Decode(want); !reflect.DeepEqual(back, in) {
		t.Fatalf("Decode = %v, want %v", back, in)
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := Encode([]Pair{{Key: "k", Value: "v"}})
	tests := []struct {
		name string
		buf  []byte
	}{
		{"nil", nil},
		{"one byte", []byte{1}},
		{"zero count", []byte{0, 0, 0, 0}},
		{"count without sizes", []byte{1, 0, 0, 0}},
		{"truncated data", good[:len(good)-1]},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"missing key NUL", func() []byte { b := append([]byte{}, good...); b[13] = 'x'; return b }()},
		{"missing value NUL", func() []byte { b := append([]byte{}, good...); b[15] = 'x'; return b }()},
		{"huge key length", func() []byte { b := append([]byte{}, good...); b[4] = 0xff; b[7] = 0xff; return b }()},
		{"too many pairs", func() []byte {
			b := make([]byte, 4+8*(MaxCount+1))
			b[0], b[1] = byte((MaxCount+1)&0xff), byte((MaxCount+1)>>8)
			return b
		}()},
		{"over max bytes", make([]byte, MaxBytes+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decode(tc.buf); len(got) != 0 {
				t.Fatalf("Decode = %v, want empty", got)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode([]Pair{{Key: ":path", Value: "/"}, {Key: "x", Value: "y"}}))
	f.Fuzz(func(t *testing.T, buf []byte) {
		p := Decode(buf)
		if len(p) > 0 && !bytes.Equal(Encode(p), buf) {
			t.Fatalf("Decode accepted a buffer that does not re-encode to itself")
		}
		before := make([]byte, 4, 8)
		copy(before, "kept")
		arena := before
		if a := DecodeArena(nil, &arena, buf); !reflect.DeepEqual(a, p) {
			t.Fatalf("DecodeArena = %q, Decode = %q", a, p)
		}
		if string(before[:4]) != "kept" || (p == nil && (len(arena) != 4 || &arena[0] != &before[0])) {
			t.Fatalf("DecodeArena changed what was in its arena, or kept a malformed map's bytes: %q", arena)
		}
	})
}

// FuzzRoundTrip: any pairs, encoded by one side of the ABI (the host or
// the module), decode on the other to the same pairs.
func FuzzRoundTrip(f *testing.F) {
	f.Add(":path", "/", "x-a", "")
	f.Add("", "\x00", "k\x00", "v\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := []Pair{{Key: k1, Value: v1}, {Key: k2, Value: v2}}
		out := Decode(Encode(in))
		if len(out) != len(in) || out[0] != in[0] || out[1] != in[1] {
			t.Fatalf("%q decoded as %q", in, out)
		}
	})
}

func TestDecodeArena(t *testing.T) {
	first := []Pair{{Key: ":path", Value: "/hook"}, {Key: "x-pipes-signature", Value: "abc"}}
	second := []Pair{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	var arena []byte
	a := DecodeArena(nil, &arena, Encode(first))
	b := DecodeArena(nil, &arena, Encode(second)) // grows the arena
	if !reflect.DeepEqual(a, first) || !reflect.DeepEqual(b, second) {
		t.Fatalf("decoded %q and %q, want %q and %q", a, b, first, second)
	}
	if got := DecodeArena(nil, &arena, []byte{1, 0, 0, 0}); got != nil {
		t.Fatalf("malformed map decoded as %q", got)
	}
	// Reused from the start, the arena takes the next request's maps
	// without an allocation.
	buf := Encode(first)
	dst := make([]Pair, 0, 8)
	arena = arena[:0]
	if n := testing.AllocsPerRun(100, func() {
		arena = arena[:0]
		dst = DecodeArena(dst, &arena, buf)
	}); n != 0 {
		t.Fatalf("DecodeArena into a grown arena allocated %v times", n)
	}
	if !reflect.DeepEqual(dst, first) {
		t.Fatalf("decoded %q, want %q", dst, first)
	}
}
