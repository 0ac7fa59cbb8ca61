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
	if o, _, retry, _ := admit(es, id(1), t0+10_000, d); o != inFlight || retry != maxRetryAfter {
		t.Fatalf("in flight: %v, retry %d, want %d (capped, not the 50 s to expiry)", o, retry, maxRetryAfter)
	}
	if o, _, retry, _ := admit(es, id(1), t0+57_500, d); o != inFlight || retry != 3 {
		t.Fatalf("in flight, 2.5 s before expiry: %v, retry %d, want 3", o, retry)
	}
	if o, _, _, _ := admit(append([]entry(nil), es...), id(1), t0+60_000, d); o != admitted {
		t.Fatalf("an in-flight entry past in_flight_seconds still blocks: %v", o)
	}
	rejected, _ := settle(append([]entry(nil), es...), id(1), false, t0, t0+1000, d)
	if len(rejected) != 0 {
		t.Fatalf("a non-2xx answer kept the id: %v", rejected)
	}
	accepted, _ := settle(append([]entry(nil), es...), id(1), true, t0, t0+1000, d)
	if o, _, _, _ := admit(append([]entry(nil), accepted...), id(1), t0+1000+time.Hour.Milliseconds()-1, d); o != duplicate {
		t.Fatalf("accepted, within the window: %v", o)
	}
	if o, _, _, _ := admit(append([]entry(nil), accepted...), id(1), t0+1000+time.Hour.Milliseconds(), d); o != admitted {
		t.Fatalf("accepted, window over: %v", o)
	}
	if late, _ := settle(nil, id(2), true, t0-5000, t0, d); len(late) != 1 || late[0].state != stateAccepted {
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
	if o, _, retry, _ := admit(append([]entry(nil), es...), id(99), t0+100, d); o != slotFull || retry != maxRetryAfter {
		t.Fatalf("full of in-flight ids: %v, retry %d", o, retry)
	}
	es, _ = settle(es, id(3), true, t0+3, t0+200, d)
	es, _ = settle(es, id(5), true, t0+5, t0+100, d)
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

// TestLateOutcomeSettlesOnlyItsAttempt: attempt 1 of a delivery is let
// through and left unanswered past in_flight_seconds; attempt 2 is let
// through; whatever attempt 1's late end says, it changes only what it
// claimed.
func TestLateOutcomeSettlesOnlyItsAttempt(t *testing.T) {
	d := testDedupe()
	const t1 = int64(1_764_547_200_000)
	t2 := t1 + d.InFlight.Milliseconds() + 1
	_, es, _, _ := admit(nil, id(1), t1, d)
	o, es, _, _ := admit(es, id(1), t2, d)
	if o != admitted {
		t.Fatalf("attempt 2 past attempt 1's expiry: %v", o)
	}
	clone := func(es []entry) []entry { return append([]entry(nil), es...) }

	// Attempt 1 fails late while attempt 2 is in flight: 2 keeps its claim.
	out, changed := settle(clone(es), id(1), false, t1, t2+10, d)
	if changed || len(out) != 1 || out[0].state != stateInFlight || out[0].at != t2 {
		t.Fatalf("attempt 1's late failure touched attempt 2's entry: %v (changed %v)", out, changed)
	}
	if o, _, _, _ := admit(clone(out), id(1), t2+20, d); o != inFlight {
		t.Fatalf("a copy while attempt 2 is in flight: %v", o)
	}

	// Attempt 2 is accepted; then attempt 1 fails late (a 504, a reset):
	// the delivery stays accepted, and the next copy is a duplicate.
	acc, _ := settle(clone(es), id(1), true, t2, t2+30, d)
	out, changed = settle(clone(acc), id(1), false, t1, t2+40, d)
	if changed || len(out) != 1 || out[0].state != stateAccepted {
		t.Fatalf("attempt 1's late failure forgot the accepted retry: %v", out)
	}
	if o, _, _, _ := admit(clone(out), id(1), t2+50, d); o != duplicate {
		t.Fatalf("the next copy after the late failure: %v, want duplicate", o)
	}

	// Attempt 1 is accepted late while attempt 2 is in flight: accepted,
	// and attempt 2's own failure then forgets nothing.
	acc, _ = settle(clone(es), id(1), true, t1, t2+10, d)
	out, _ = settle(clone(acc), id(1), false, t2, t2+20, d)
	if len(out) != 1 || out[0].state != stateAccepted {
		t.Fatalf("accepted by attempt 1, then attempt 2 failed: %v", out)
	}

	// Its own failure, in time, still forgets it.
	if out, changed := settle(clone(es), id(1), false, t2, t2+5, d); !changed || len(out) != 0 {
		t.Fatalf("attempt 2's own failure: %v (changed %v)", out, changed)
	}
}

func TestSlotEncoding(t *testing.T) {
	es := []entry{{id: id(1), state: stateAccepted, at: 42, tag: 7}, {id: id(2), state: stateInFlight, at: 1 << 40}}
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
	for _, b := range [][]byte{nil, {'3'}, {'2', 0}, bad[:len(bad)-1], badState} {
		if _, err := decodeSlot(b); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
	// A slot of the format before identities (keyed by unsigned ids)
	// reads as empty, to be written over.
	old := append([]byte{oldSlotVersion}, make([]byte, 25)...)
	if got, err := decodeSlot(old); err != nil || len(got) != 0 {
		t.Fatalf("old slot: %v, %v", got, err)
	}
}

// FuzzDecodeSlot: whatever another writer left in a slot, decoding never
// panics, and what decodes encodes back to the same bytes.
func FuzzDecodeSlot(f *testing.F) {
	f.Add(encodeSlot([]entry{{id: id(1), state: stateAccepted, at: 42}}))
	f.Add([]byte{slotVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := decodeSlot(b)
		if err == nil && len(b) > 0 && b[0] == oldSlotVersion {
			if len(es) != 0 {
				t.Fatalf("%x: an old slot decodes to %v", b, es)
			}
			return
		}
		if err == nil && !bytes.Equal(encodeSlot(es), b) {
			t.Fatalf("%x decodes to %v, which encodes differently", b, es)
		}
	})
}
