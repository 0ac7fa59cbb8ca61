package plugin

import (
	"bytes"
	"testing"
	"time"

	"github.com/hookguard/hookguard/filter/config"
)

func testDedupe() *config.Dedupe {
	return &config.Dedupe{Window: time.Hour, InFlight: time.Minute, Slots: 1}
}

func id(b byte) [16]byte { return [16]byte{b} }

// TestAdmitAndSettle walks one slot through every transition.
func TestAdmitAndSettle(t *testing.T) {
	d := testDedupe()
	const t0 = int64(1_764_547_200_000)
	o, es, _, _ := admit(nil, id(1), t0, d)
	if o != admitted || len(es) != 1 || es[0].state != stateInFlight {
		t.Fatalf("new id: %v %v", o, es)
	}
	if o, _, retry, _ := admit(es, id(1), t0+10_000, d); o != inFlight || retry != 50 {
		t.Fatalf("in flight: %v, retry %d", o, retry)
	}
	if o, _, _, _ := admit(es, id(1), t0+60_000, d); o != admitted {
		t.Fatalf("an in-flight entry past in_flight_seconds still blocks: %v", o)
	}
	rejected := settle(append([]entry(nil), es...), id(1), false, t0+1000, d)
	if len(rejected) != 0 {
		t.Fatalf("a non-2xx answer kept the id: %v", rejected)
	}
	accepted := settle(append([]entry(nil), es...), id(1), true, t0+1000, d)
	if o, _, _, _ := admit(append([]entry(nil), accepted...), id(1), t0+1000+time.Hour.Milliseconds()-1, d); o != duplicate {
		t.Fatalf("accepted, within the window: %v", o)
	}
	if o, _, _, _ := admit(append([]entry(nil), accepted...), id(1), t0+1000+time.Hour.Milliseconds(), d); o != admitted {
		t.Fatalf("accepted, window over: %v", o)
	}
	if late := settle(nil, id(2), true, t0, d); len(late) != 1 || late[0].state != stateAccepted {
		t.Fatalf("an accepted delivery whose entry expired is not remembered: %v", late)
	}
}

// TestFullSlot fills a slot: the oldest accepted id makes room; a slot of
// in-flight ids refuses with the time until the first expires.
func TestFullSlot(t *testing.T) {
	d := testDedupe()
	const t0 = int64(1_000_000)
	var es []entry
	for i := range config.DedupeSlotEntries {
		var o outcome
		o, es, _, _ = admit(es, id(byte(i)), t0+int64(i), d)
		if o != admitted {
			t.Fatalf("entry %d: %v", i, o)
		}
	}
	if o, _, retry, _ := admit(append([]entry(nil), es...), id(99), t0+100, d); o != slotFull || retry != 60 {
		t.Fatalf("full of in-flight ids: %v, retry %d", o, retry)
	}
	es = settle(es, id(3), true, t0+200, d)
	es = settle(es, id(5), true, t0+100, d)
	o, es, _, evicted := admit(es, id(99), t0+300, d)
	if o != admitted || !evicted || len(es) != config.DedupeSlotEntries {
		t.Fatalf("room from an accepted id: %v evicted %v, %d entries", o, evicted, len(es))
	}
	for _, e := range es {
		if e.id == id(5) {
			t.Fatal("evicted the newer accepted id, not the oldest")
		}
	}
}

func TestSlotEncoding(t *testing.T) {
	es := []entry{{id: id(1), state: stateAccepted, at: 42}, {id: id(2), state: stateInFlight, at: 1 << 40}}
	got, err := decodeSlot(encodeSlot(es))
	if err != nil || len(got) != 2 || got[0] != es[0] || got[1] != es[1] {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if got, err := decodeSlot(encodeSlot(nil)); err != nil || len(got) != 0 {
		t.Fatalf("empty slot: %v, %v", got, err)
	}
	bad := encodeSlot(es)
	badState := bytes.Clone(bad)
	badState[1+16] = 'X'
	for _, b := range [][]byte{nil, {'2'}, bad[:len(bad)-1], badState} {
		if _, err := decodeSlot(b); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
}

// FuzzDecodeSlot: whatever another writer left in a slot, decoding never
// panics, and what decodes encodes back to the same bytes.
func FuzzDecodeSlot(f *testing.F) {
	f.Add(encodeSlot([]entry{{id: id(1), state: stateAccepted, at: 42}}))
	f.Add([]byte{slotVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := decodeSlot(b)
		if err == nil && !bytes.Equal(encodeSlot(es), b) {
			t.Fatalf("%x decodes to %v, which encodes differently", b, es)
		}
	})
}
