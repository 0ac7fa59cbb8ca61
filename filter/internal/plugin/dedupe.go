package plugin

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/verify"
)

// Replay de-duplication (a route's "dedupe") lives in the host's shared
// data, which every VM of the plugin sees (in Envoy, every worker thread).
//
// Envoy's shared data in ABI 0.2 has neither delete nor expiry, so a
// route's deliveries live in a fixed number of keys,
// "hookguard.dedupe.<route>.<n>" (config.Dedupe.Slots of them), created
// when the plugin is configured. Each holds a version byte and at most
// config.DedupeSlotEntries entries: the first 16 bytes of SHA-256 of the
// route and the delivery's identity (verify.Identity: what its sender
// signed, never an unsigned header), a state (in flight or accepted), a
// time, and a tag of the delivery-id header it came with (to tell a
// replay under a new id from a retry, for the count). Entries expire
// inside their key, so the memory a route can use is fixed: Slots × 16 ×
// 29 bytes, 1.9 MB for the default 65,536 deliveries. Every change is a
// compare-and-swap, so two VMs racing on one delivery let exactly one
// through.

const (
	entrySize   = 16 + 1 + 8 + 4
	slotVersion = '2'
	// oldSlotVersion is the format before identities came from signed
	// bytes: its entries are keyed by unsigned ids, of no use now, so such
	// a slot reads as empty and is written over.
	oldSlotVersion = '1'
	stateInFlight  = 'F'
	stateAccepted  = 'A'
	// maxCASAttempts bounds the retries of one update when other VMs keep
	// changing the slot; past it the request fails closed.
	maxCASAttempts = 32
)

// entry is one remembered delivery.
type entry struct {
	id    [16]byte
	state byte
	at    int64  // unix ms: when it was let through, or accepted
	tag   uint32 // of the delivery-id header it was let through with; 0: none
}

var (
	errSlotCorrupt = errors.New("dedupe: shared-data slot is not in hookguard's format")
	errCASAttempts = errors.New("dedupe: shared data kept changing")
)

func decodeSlot(b []byte) ([]entry, error) {
	if len(b) > 0 && b[0] == oldSlotVersion {
		return nil, nil
	}
	if len(b) == 0 || b[0] != slotVersion || (len(b)-1)%entrySize != 0 {
		return nil, errSlotCorrupt
	}
	es := make([]entry, 0, (len(b)-1)/entrySize)
	for p := b[1:]; len(p) > 0; p = p[entrySize:] {
		var e entry
		copy(e.id[:], p)
		e.state, e.at, e.tag = p[16], int64(binary.BigEndian.Uint64(p[17:])), binary.BigEndian.Uint32(p[25:])
		if e.state != stateInFlight && e.state != stateAccepted {
			return nil, errSlotCorrupt
		}
		es = append(es, e)
	}
	return es, nil
}

func encodeSlot(es []entry) []byte {
	b := make([]byte, 1, 1+len(es)*entrySize)
	b[0] = slotVersion
	for _, e := range es {
		b = append(b, e.id[:]...)
		b = append(b, e.state)
		b = binary.BigEndian.AppendUint64(b, uint64(e.at))
		b = binary.BigEndian.AppendUint32(b, e.tag)
	}
	return b
}

// outcome is what admit decided for a delivery.
type outcome int

const (
	admitted  outcome = iota // new: let through, held in flight
	duplicate                // accepted within the window: answer locally
	inFlight                 // let through and not answered yet: retry later
	slotFull                 // every entry of the slot is in flight
)

// live drops the entries that expired by now.
func live(es []entry, now int64, d *config.Dedupe) []entry {
	out := es[:0]
	for _, e := range es {
		ttl := d.Window.Milliseconds()
		if e.state == stateInFlight {
			ttl = d.InFlight.Milliseconds()
		}
		if now < e.at+ttl {
			out = append(out, e)
		}
	}
	return out
}

// maxRetryAfter caps the Retry-After of a delivery told to come back
// (in flight, slot full, store down): the attempt it waits on usually ends
// in milliseconds, and a sender that honours the header should not wait
// out in_flight_seconds.
const maxRetryAfter = 5

// admit decides a verified delivery: the slot's new entries, and, for a
// retryable answer, the seconds to wait. When the slot is full it forgets
// its oldest accepted entry (evicted): the window shrinks under load, but
// no delivery the upstream has not accepted is ever refused for room.
func admit(es []entry, id [16]byte, now int64, d *config.Dedupe) (o outcome, out []entry, retryAfter int64, evicted bool) {
	es = live(es, now, d)
	for _, e := range es {
		if e.id != id {
			continue
		}
		if e.state == stateAccepted {
			return duplicate, es, 0, false
		}
		return inFlight, es, retryIn(e.at+d.InFlight.Milliseconds(), now), false
	}
	if len(es) >= config.DedupeSlotEntries {
		oldest, soonest := -1, int64(0)
		for i, e := range es {
			if e.state == stateAccepted && (oldest < 0 || e.at < es[oldest].at) {
				oldest = i
			}
			if t := e.at + d.InFlight.Milliseconds(); e.state == stateInFlight && (soonest == 0 || t < soonest) {
				soonest = t
			}
		}
		if oldest < 0 {
			return slotFull, es, retryIn(soonest, now), false
		}
		es = append(es[:oldest], es[oldest+1:]...)
		evicted = true
	}
	return admitted, append(es, entry{id: id, state: stateInFlight, at: now}), 0, evicted
}

// settle records how the upstream answered the attempt admit let through
// at attempt (the entry's time then, which names the attempt): accepted,
// the delivery is remembered for the window from now, whichever attempt's
// entry holds it; otherwise the entry is forgotten, so the sender's retry
// goes through — but only if it is still that attempt's. An attempt that
// ends after its entry expired and a retry was let through must not
// forget the retry, in flight or accepted. changed is false when there is
// nothing to write.
func settle(es []entry, id [16]byte, accepted bool, attempt, now int64, d *config.Dedupe) (out []entry, changed bool) {
	es = live(es, now, d)
	for i, e := range es {
		if e.id != id {
			continue
		}
		switch {
		case accepted:
			es[i].state, es[i].at = stateAccepted, now
			return es, true
		case e.state == stateInFlight && e.at == attempt:
			return append(es[:i], es[i+1:]...), true
		}
		return es, false
	}
	if !accepted {
		return es, false
	}
	// Expired in flight meanwhile: remember it all the same.
	_, es, _, _ = admit(es, id, now, d)
	es[len(es)-1].state = stateAccepted
	return es, true
}

// retryIn is the Retry-After for what ends at ms: at least a second, at
// most maxRetryAfter.
func retryIn(ms, now int64) int64 {
	s := (ms - now + 999) / 1000
	return min(max(s, 1), maxRetryAfter)
}

// deliveryID returns where a delivery is remembered: its slot's key and
// its hash, from the route and the delivery's identity.
func deliveryID(route string, d *config.Dedupe, id verify.Identity) (key string, hash [16]byte) {
	h := sha256.New()
	h.Write([]byte(route))
	h.Write([]byte{0, byte(id.Kind)})
	h.Write(id.Sum[:])
	var sum [32]byte
	h.Sum(sum[:0])
	copy(hash[:], sum[:])
	return slotKey(route, int(binary.BigEndian.Uint32(sum[16:])%uint32(d.Slots))), hash
}

// idTag is a delivery-id header's tag in its entry: 0 for none.
func idTag(id string) uint32 {
	if id == "" {
		return 0
	}
	sum := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint32(sum[:]) | 1
}

// underAnotherID reports whether es holds the delivery id let through
// with another delivery-id header than tag's: a replay, counted, or a
// sender that changes the header on retries.
func underAnotherID(es []entry, id [16]byte, tag uint32) bool {
	for _, e := range es {
		if e.id == id {
			return e.tag != 0 && tag != 0 && e.tag != tag
		}
	}
	return false
}

func slotKey(route string, n int) string {
	return "hookguard.dedupe." + route + "." + strconv.Itoa(n)
}

// initSlots creates the route's slots that no VM has created yet. A slot
// that exists is never written here, so what other VMs remember survives
// a VM's start and a configuration reload.
func initSlots(route string, d *config.Dedupe) error {
	empty := []byte{slotVersion}
	for n := 0; n < d.Slots; n++ {
		key := slotKey(route, n)
		v, _, err := proxywasm.GetSharedData(key)
		if err != nil {
			return err
		}
		if v == nil {
			if err := proxywasm.SetSharedData(key, empty, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// update applies f to key's entries with compare-and-swap, again when
// another VM wrote in between. f reports whether to write. A slot that is
// missing — the store lost it: a Redis flushed, restarted empty or failed
// over, a key evicted — is an empty slot, made again by the write (a
// version of 0 sets it whatever is there: two VMs that remake one slot at
// the same instant can lose one entry, as the loss itself lost them all).
func update(key string, f func([]entry) ([]entry, bool)) error {
	for range maxCASAttempts {
		v, cas, err := proxywasm.GetSharedData(key)
		if err != nil {
			return err
		}
		var es []entry
		if v != nil {
			if es, err = decodeSlot(v); err != nil {
				return err
			}
		}
		out, write := f(es)
		if !write {
			return nil
		}
		err = proxywasm.SetSharedData(key, encodeSlot(out), cas)
		if !errors.Is(err, proxywasm.ErrCasMismatch) {
			return err
		}
	}
	return errCASAttempts
}
