package smscsim

import (
	"math/bits"
	"sync"
	"time"
)

// Submitted is one accepted submit_sm part as the simulator saw it.
type Submitted struct {
	// MessageID is the id given in the submit_sm_resp.
	MessageID string `json:"message_id"`
	// Source and Dest are the source_addr and destination_addr.
	Source string `json:"source"`
	Dest   string `json:"dest"`
	// SourceTON, SourceNPI, DestTON and DestNPI are the addresses' type
	// of number and numbering plan.
	SourceTON byte `json:"source_ton"`
	SourceNPI byte `json:"source_npi"`
	DestTON   byte `json:"dest_ton"`
	DestNPI   byte `json:"dest_npi"`
	// EsmClass, DataCoding and RegisteredDelivery are the raw fields.
	EsmClass           byte `json:"esm_class"`
	DataCoding         byte `json:"data_coding"`
	RegisteredDelivery byte `json:"registered_delivery"`
	// UDH is the concatenation header (UDH IEI 0x00 or 0x08, or the sar_*
	// TLVs); nil for a single-part message.
	UDH *UDHInfo `json:"udh,omitempty"`
	// Text is the part's text decoded to UTF-8, without the UDH. Binary
	// data codings are shown in hex.
	Text string `json:"text"`
	// At is when the part was accepted.
	At time.Time `json:"at"`
}

// UDHInfo is the concatenation header of one part: the set's reference,
// how many parts it has, and this part's number (from 1).
type UDHInfo struct {
	Ref   int `json:"ref"`
	Total int `json:"total"`
	Seq   int `json:"seq"`
}

// Submitted returns the last Options.Keep accepted parts, oldest first.
func (s *Server) Submitted() []Submitted { return s.rec.last(0) }

// recorder keeps the recent parts and the state behind the Unique,
// Duplicates and Messages counters.
type recorder struct {
	mu   sync.Mutex
	ring []Submitted // fixed size Keep
	next int         // where the next record goes
	n    int         // records held, up to len(ring)
	// seen holds a hash of every accepted part's duplicate key: 8 bytes a
	// part, so millions of parts stay small.
	seen map[uint64]struct{}
	// seenRef is seen with the concatenation reference and source in the
	// key: a part sent again under the same reference is one a handset
	// keeps once; under another reference it shows twice.
	seenRef map[uint64]struct{}
	// sets holds the parts seen of concatenated messages not complete yet.
	sets map[uint64]*partSet
}

// partSet is a bitmap of the part numbers (1..255) seen of one set.
type partSet [4]uint64

func newRecorder(keep int) *recorder {
	return &recorder{
		ring:    make([]Submitted, max(keep, 0)),
		seen:    make(map[uint64]struct{}),
		seenRef: make(map[uint64]struct{}),
		sets:    make(map[uint64]*partSet),
	}
}

// add records an accepted part and reports whether its duplicate key is new,
// whether it completed a message, and whether it is a concatenated part
// seen before under the same reference.
//
// A set is identified by source, destination, reference and total, and
// forgotten once complete, so that the reference can be reused; a set that
// never completes stays in memory.
func (r *recorder) add(sub *Submitted) (unique, complete, sameRef bool) {
	var key, set, refKey uint64
	total, seq := 0, 0
	if u := sub.UDH; u != nil {
		total, seq = u.Total, u.Seq
		set = newHash().str(sub.Source).str(sub.Dest).int(u.Ref).int(u.Total).sum()
		refKey = newHash().str(sub.Source).str(sub.Dest).int(u.Ref).int(u.Total).int(seq).str(sub.Text).sum()
	}
	key = newHash().str(sub.Dest).int(total).int(seq).str(sub.Text).sum()

	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) > 0 {
		r.ring[r.next] = *sub
		r.next = (r.next + 1) % len(r.ring)
		r.n = min(r.n+1, len(r.ring))
	}
	if _, ok := r.seen[key]; !ok {
		r.seen[key] = struct{}{}
		unique = true
	}
	if sub.UDH == nil {
		return unique, true, false
	}
	if _, ok := r.seenRef[refKey]; ok {
		sameRef = true
	} else {
		r.seenRef[refKey] = struct{}{}
	}
	if seq < 1 || seq > 255 || total < 1 {
		return unique, false, sameRef // not a valid part number: never completes a set
	}
	ps := r.sets[set]
	if ps == nil {
		ps = new(partSet)
		r.sets[set] = ps
	}
	ps[seq/64] |= 1 << (seq % 64)
	if ps.count() < total {
		return unique, false, sameRef
	}
	delete(r.sets, set)
	return unique, true, sameRef
}

// incomplete counts the concatenated sets with parts still missing.
func (r *recorder) incomplete() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sets)
}

func (p *partSet) count() int {
	return bits.OnesCount64(p[0]) + bits.OnesCount64(p[1]) + bits.OnesCount64(p[2]) + bits.OnesCount64(p[3])
}

// last returns up to limit of the most recent records (all if limit <= 0),
// oldest first.
func (r *recorder) last(limit int) []Submitted {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]Submitted, n)
	start := r.next - n
	if start < 0 {
		start += len(r.ring)
	}
	for i := range out {
		out[i] = r.ring[(start+i)%len(r.ring)]
	}
	return out
}

// hash is FNV-64a, inlined so that hashing a part allocates nothing.
type hash uint64

func newHash() hash { return 14695981039346656037 }

func (h hash) byte(b byte) hash { return (h ^ hash(b)) * 1099511628211 }

// str hashes s and a terminating 0, so that ("ab","c") and ("a","bc")
// differ.
func (h hash) str(s string) hash {
	for i := 0; i < len(s); i++ {
		h = h.byte(s[i])
	}
	return h.byte(0)
}

func (h hash) int(n int) hash {
	return h.byte(byte(n >> 8)).byte(byte(n))
}

func (h hash) sum() uint64 { return uint64(h) }
