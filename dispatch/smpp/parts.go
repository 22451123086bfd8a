package smpp

import (
	"errors"
	"sync/atomic"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// concatRef numbers concatenated messages; the UDH reference is 8 bits, so
// it wraps, which handsets expect. It is shared by every session so that
// channels with the same source number do not hand a handset two long
// messages under one reference at the same time.
var concatRef atomic.Uint32

// Part is one submit_sm of a message, ready for Session.Submit. It wraps
// the PDU so that gosmpp stays inside this package.
type Part struct{ p *pdu.SubmitSM }

// Seq is the part's sequence number: Handler.Response and
// Handler.SubmitFailed name the part by it.
func (p Part) Seq() int32 { return p.p.SequenceNumber }

// NewConcat picks the reference for a long message's first attempt.
func NewConcat() app.Concat { return app.Concat{Ref: byte(concatRef.Add(1))} }

// Addressing is how a channel's parts are addressed: its source number
// (the message's extension code is appended) and the TON/NPI of both
// addresses.
type Addressing struct {
	Source                                 string
	SourceTON, SourceNPI, DestTON, DestNPI int
}

// AddressingOf is channel c's addressing.
func AddressingOf(c *app.Channel) Addressing {
	return Addressing{Source: c.SourceAddr, SourceTON: c.SourceTON, SourceNPI: c.SourceNPI, DestTON: c.DestTON, DestNPI: c.DestNPI}
}

// Parts turns a message into its submit_sm PDUs: one, or several carrying
// a concatenation UDH under the reference cc (ignored for one part). The
// same message and reference always give the same parts, numbered alike, so
// a retry can send just the parts missing. Splitting uses app.SplitText,
// which counts UTF-16 units and never cuts a surrogate pair (gosmpp's own
// Split counts runes), so parts agree with the segment count the caller was
// charged for. Every part has its own sequence number.
func Parts(m *app.Message, a Addressing, cc app.Concat) ([]Part, error) {
	enc := data.Encoding(data.UCS2)
	if app.CountSegments(m.Content).Encoding == app.GSM7 {
		enc = data.GSM7BIT
	}
	texts := app.SplitText(m.Content)
	if len(texts) == 0 || len(texts) > 255 {
		return nil, errors.New("message has no text or too many parts")
	}
	ref := cc.Ref
	out := make([]Part, len(texts))
	for i, text := range texts {
		p := pdu.NewSubmitSM().(*pdu.SubmitSM)
		src, err := pdu.NewAddressWithTonNpiAddr(byte(a.SourceTON), byte(a.SourceNPI), a.Source+m.Ext)
		if err != nil {
			return nil, err
		}
		dst, err := pdu.NewAddressWithTonNpiAddr(byte(a.DestTON), byte(a.DestNPI), m.To)
		if err != nil {
			return nil, err
		}
		p.SourceAddr, p.DestAddr = src, dst
		p.RegisteredDelivery = 1
		if err := p.Message.SetMessageWithEncoding(text, enc); err != nil {
			return nil, err
		}
		if len(texts) > 1 {
			p.EsmClass |= data.SM_UDH_GSM
			p.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(byte(len(texts)), byte(i+1), ref)})
		}
		// NewSubmitSM already gave each PDU its own sequence number; assign
		// again to be explicit, as gosmpp's Split gives all parts the same.
		p.AssignSequenceNumber()
		out[i] = Part{p}
	}
	return out, nil
}
