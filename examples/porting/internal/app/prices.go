package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/weftio/weft/loop"
)

// The service's misbehaviour, and how long it takes. SlowLatency must
// exceed Timeout, and Latency stay well under it.
const (
	FlakySKU    = "bolt" // its first lookup fails with ErrUnavailable
	SlowSKU     = "nut"  // its first lookup answers after SlowLatency
	Latency     = time.Millisecond
	SlowLatency = 4 * Timeout
)

var (
	// ErrUnavailable is a transient failure: the next call may work.
	ErrUnavailable = errors.New("service unavailable")
	// ErrUnknownSKU is a permanent failure: the part has no price.
	ErrUnknownSKU = errors.New("unknown sku")
)

// A PriceError is how a lookup fails: which part, and why (ErrUnavailable
// or ErrUnknownSKU, for errors.Is).
type PriceError struct {
	SKU string
	Err error
}

func (e *PriceError) Error() string { return fmt.Sprintf("price of %q: %v", e.SKU, e.Err) }

func (e *PriceError) Unwrap() error { return e.Err }

// priceList is the service's data, in cents.
var priceList = map[string]int{
	"bolt": 12, "gear": 450, "hinge": 220, "nut": 5, "spring": 75, "washer": 3,
}

// Prices is an in-process price service with a callback API, as a client
// library for a remote one would have. Its state belongs to its loop, so it
// needs no lock; in exchange, Lookup and Stats may only be called there.
type Prices struct {
	l     *loop.Loop
	seen  map[string]int // lookups so far, per part
	stats Stats
}

// Stats counts what the service did. They are the same on every run: the
// porting test relies on it to check that every version retried the two
// lookups that needed it, and no other.
type Stats struct {
	Calls       int // lookups, retries included
	Unavailable int // of which failed with ErrUnavailable
	Slow        int // of which answered after SlowLatency
}

// NewPrices returns a price service whose callbacks run on l.
func NewPrices(l *loop.Loop) *Prices { return &Prices{l: l, seen: map[string]int{}} }

// Lookup asks for the price of one unit of sku, in cents, and returns at
// once; cb runs on the loop after the service's latency, with the price or
// a *PriceError. Loop goroutine only: it panics elsewhere, since its state
// has no lock.
func (p *Prices) Lookup(sku string, cb func(cents int, err error)) {
	if !p.l.OnLoop() {
		panic("app: Prices.Lookup called off its loop")
	}
	p.seen[sku]++
	p.stats.Calls++
	first := p.seen[sku] == 1
	latency := Latency
	cents, ok := priceList[sku]
	var err error
	switch {
	case !ok:
		err = &PriceError{SKU: sku, Err: ErrUnknownSKU}
	case sku == FlakySKU && first:
		p.stats.Unavailable++
		cents, err = 0, &PriceError{SKU: sku, Err: ErrUnavailable}
	case sku == SlowSKU && first:
		p.stats.Slow++
		latency = SlowLatency
	}
	// Even an error is delivered later, never inside this call: a caller
	// must not be re-entered while it is still setting up.
	p.l.AfterFunc(latency, func() { cb(cents, err) })
}

// Stats returns what the service has done so far. Loop goroutine only.
func (p *Prices) Stats() Stats {
	if !p.l.OnLoop() {
		panic("app: Prices.Stats called off its loop")
	}
	return p.stats
}
