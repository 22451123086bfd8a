package smscsim

import (
	"log/slog"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Options configures a Server. The zero value accepts any bind and answers
// every submit_sm with success and a DELIVRD receipt after 50ms.
type Options struct {
	// SystemID is the system_id a bind must carry; "" accepts any.
	SystemID string
	// Password is the password a bind must carry; "" accepts any.
	Password string
	// ReceiptDelay is the delay between accepting a submit_sm and sending
	// its delivery receipt. New turns 0 into 50ms; a negative value, or 0
	// set later through SetOptions, sends the receipt at once.
	ReceiptDelay time.Duration
	// UndeliveredRatio is the fraction (0..1) of receipts sent with
	// stat:UNDELIV err:001 instead of stat:DELIVRD err:000.
	UndeliveredRatio float64
	// ThrottleRatio is the fraction (0..1) of submit_sm answered with
	// ESME_RTHROTTLED (0x58), without a message id.
	ThrottleRatio float64
	// ErrorRatio is the fraction (0..1) of submit_sm answered with
	// ESME_RSYSERR (0x08).
	ErrorRatio float64
	// TPS caps the accepted submit_sm per second over all sessions (token
	// bucket, burst = TPS); the excess is answered with ESME_RTHROTTLED.
	// 0 means no cap.
	TPS int
	// ReceiptBeforeResp writes the delivery receipt of a part before its
	// submit_sm_resp on the same connection, ignoring ReceiptDelay, to test
	// a client's handling of receipts for ids it has not seen yet.
	ReceiptBeforeResp bool
	// ReceiptStatus, when set, picks the receipt status of one part:
	// "DELIVRD", "UNDELIV", "REJECTD" or "EXPIRED"; "" falls back to
	// UndeliveredRatio. It is called from many goroutines at once.
	ReceiptStatus func(Submitted) string
	// SubmitStatus, when set, may refuse a submit_sm to dest by returning
	// an SMPP command status (0x0B invalid destination, say); 0 accepts.
	// It is called from many goroutines at once.
	SubmitStatus func(dest string) uint32
	// PartStatus, when set, may refuse one part of a message: it gets the
	// destination and the part's concatenation header (nil for a one-part
	// message) and returns an SMPP command status (0x58 throttled, 0x08
	// system error, 0x0B invalid destination, say); 0 accepts. It is called
	// from many goroutines at once, after the ratios and SubmitStatus.
	PartStatus func(dest string, udh *UDHInfo) uint32
	// DropReceipts decides every part's outcome as usual (query_sm answers
	// it once due) but never sends its receipt: receipts lost on the way.
	DropReceipts bool
	// RefuseQuery answers query_sm with generic_nack ESME_RINVCMDID, as an
	// SMSC that does not implement it.
	RefuseQuery bool
	// Keep is how many accepted parts Submitted returns (a ring buffer;
	// default 10000, negative keeps none). Stats are always complete.
	Keep int
	// Logger receives connection events and protocol errors; nil discards.
	Logger *slog.Logger
	// Seed seeds the random choices behind the ratios; 0 uses the clock.
	Seed int64
}

// Defaults applied by New.
const (
	defaultReceiptDelay = 50 * time.Millisecond
	defaultKeep         = 10000
)

// config is an immutable snapshot of the options that the hot path reads
// through an atomic pointer, so that SetOptions never blocks a session.
type config struct {
	Options
	limiter *rate.Limiter // nil when TPS is 0
}

// newConfig validates o and builds the snapshot, reusing prev's token
// bucket when the TPS did not change so a SetOptions call for another knob
// does not refill the bucket.
func newConfig(o Options, prev *config) *config {
	o.UndeliveredRatio = ratio(o.UndeliveredRatio)
	o.ThrottleRatio = ratio(o.ThrottleRatio)
	o.ErrorRatio = ratio(o.ErrorRatio)
	if o.TPS < 0 {
		o.TPS = 0
	}
	c := &config{Options: o}
	switch {
	case o.TPS == 0:
	case prev != nil && prev.TPS == o.TPS:
		c.limiter = prev.limiter
	default:
		c.limiter = rate.NewLimiter(rate.Limit(o.TPS), o.TPS)
	}
	return c
}

// ratio clamps r into 0..1; NaN counts as 0.
func ratio(r float64) float64 {
	if math.IsNaN(r) || r < 0 {
		return 0
	}
	return min(r, 1)
}
