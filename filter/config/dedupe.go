package config

import (
	"fmt"
	"strings"
	"time"
)

// Dedupe is a route's replay de-duplication: verified deliveries are
// remembered in the host's shared data (every VM, every Envoy worker) by
// their identity among the bytes their sender signed (verify.Identity),
// as accepted only once the upstream answered 2xx.
type Dedupe struct {
	// IDHeaders are where an unsigned delivery id may be read, the first
	// present: it only tags a delivery's entry, so that a copy under
	// another id is counted as a replay. It is never the key: anyone who
	// captured a delivery can change it.
	IDHeaders []string
	// Window is how long an accepted id is remembered.
	Window time.Duration
	// InFlight is how long a delivery let through and not yet answered
	// holds its id; a duplicate meanwhile is told to retry.
	InFlight time.Duration
	// Slots is how many shared-data keys hold the ids; each holds at most
	// DedupeSlotEntries, so Slots × DedupeSlotEntries ids are remembered.
	Slots int
	// OnStoreFailure is what a verified delivery gets when the shared data
	// fails (a store that errs or times out): StoreFailureReject or
	// StoreFailureAllow.
	OnStoreFailure string
}

// What a route's "dedupe.on_store_failure" may say.
const (
	// StoreFailureReject answers 503 with Retry-After: the sender retries
	// and nothing goes on unrecorded. The default.
	StoreFailureReject = "reject"
	// StoreFailureAllow lets the verified delivery on without
	// de-duplication, counted and logged: the store's outage does not
	// stop deliveries, at the cost of a possible duplicate.
	StoreFailureAllow = "allow"
)

// DedupeSlotEntries is how many ids one shared-data slot holds.
const DedupeSlotEntries = 16

// Defaults of a route's "dedupe".
const (
	DefaultDedupeWindow   = 24 * time.Hour
	DefaultDedupeInFlight = time.Minute
	DefaultDedupeMaxIDs   = 65536
)

type rawDedupe struct {
	IDHeader        string `json:"id_header"`
	WindowSeconds   *int64 `json:"window_seconds"`
	InFlightSeconds *int64 `json:"in_flight_seconds"`
	MaxIDs          *int64 `json:"max_ids"`
	OnStoreFailure  string `json:"on_store_failure"`
}

// parseDedupe validates a route's "dedupe". deliveryIDs are the scheme's
// delivery id headers (a preset's), signedID the generic model's id_header,
// which is signed.
func parseDedupe(rd rawDedupe, r Route, deliveryIDs []string, signedID string) (*Dedupe, error) {
	// Every scheme identifies its deliveries (verify.Identified): the
	// headers only tag them, and may be none.
	if r.Mode != Enforce {
		return nil, fmt.Errorf(`%w: "dedupe" needs mode "enforce": only verified deliveries are remembered`, ErrInvalidRoute)
	}
	d := &Dedupe{IDHeaders: deliveryIDs, Window: DefaultDedupeWindow, InFlight: DefaultDedupeInFlight, OnStoreFailure: StoreFailureReject}
	switch rd.OnStoreFailure {
	case "", StoreFailureReject:
	case StoreFailureAllow:
		d.OnStoreFailure = StoreFailureAllow
	default:
		return nil, fmt.Errorf(`%w: "dedupe.on_store_failure" must be %q or %q`, ErrInvalidRoute, StoreFailureReject, StoreFailureAllow)
	}
	if signedID != "" {
		d.IDHeaders = []string{strings.ToLower(signedID)}
	}
	if rd.IDHeader != "" {
		d.IDHeaders = []string{strings.ToLower(rd.IDHeader)}
	}
	if err := seconds("window_seconds", rd.WindowSeconds, &d.Window); err != nil {
		return nil, err
	}
	if err := seconds("in_flight_seconds", rd.InFlightSeconds, &d.InFlight); err != nil {
		return nil, err
	}
	maxIDs := int64(DefaultDedupeMaxIDs)
	if rd.MaxIDs != nil {
		if *rd.MaxIDs < DedupeSlotEntries || *rd.MaxIDs > 1<<24 {
			return nil, fmt.Errorf(`%w: "dedupe.max_ids" must be %d to %d`, ErrInvalidRoute, DedupeSlotEntries, 1<<24)
		}
		maxIDs = *rd.MaxIDs
	}
	d.Slots = int((maxIDs + DedupeSlotEntries - 1) / DedupeSlotEntries)
	return d, nil
}

// seconds sets into from a "dedupe" field of seconds, when it is set.
func seconds(field string, v *int64, into *time.Duration) error {
	if v == nil {
		return nil
	}
	if *v <= 0 || *v > 1<<32 {
		return fmt.Errorf(`%w: "dedupe.%s" must be a positive number of seconds`, ErrInvalidRoute, field)
	}
	*into = time.Duration(*v) * time.Second
	return nil
}
