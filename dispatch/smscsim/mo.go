package smscsim

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf16"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// ErrNoReceiver is returned by InjectMO when no session bound as receiver
// or transceiver could take the message.
var ErrNoReceiver = errors.New("smscsim: no receiver or transceiver session is bound")

// InjectMO sends a mobile-originated message from a handset (from) to a
// service number (to) to the least busy bound receiver or transceiver
// session. Long text goes as concatenated parts, in order, on one session.
// It returns once the message is queued; Stats.MOSent counts the parts the
// client acknowledged. If that session drops first, the parts are delivered
// after the next bind.
func (s *Server) InjectMO(from, to, text string) error {
	mo, err := s.NewMO(from, to, text)
	if err != nil {
		return err
	}
	return s.SendMO(mo)
}

// MO is a mobile-originated message encoded as the deliver_sm PDUs that
// carry it (several for long text, under one concatenation reference).
// Sending it again with SendMO sends the same PDUs (only their sequence
// numbers change), as an SMSC does when it got no deliver_sm_resp.
type MO struct {
	parts [][]byte // encoded deliver_sm, one per part
}

// Parts returns how many deliver_sm carry the message.
func (m *MO) Parts() int { return len(m.parts) }

// NewMO encodes a mobile-originated message for SendMO, splitting long
// text into concatenated parts under a reference of its own.
func (s *Server) NewMO(from, to, text string) (*MO, error) {
	var src, dst pdu.Address
	if err := src.SetAddress(from); err != nil {
		return nil, fmt.Errorf("smscsim: from: %w", err)
	}
	if err := dst.SetAddress(to); err != nil {
		return nil, fmt.Errorf("smscsim: to: %w", err)
	}
	ucs2, parts := splitMO(text)
	if len(parts) > 255 {
		return nil, fmt.Errorf("smscsim: MO text needs %d parts, more than 255", len(parts))
	}
	ref := byte(s.moRef.Add(1))
	mo := &MO{parts: make([][]byte, len(parts))}
	for i, part := range parts {
		p := pdu.NewDeliverSM().(*pdu.DeliverSM)
		p.SourceAddr, p.DestAddr = src, dst
		enc := data.GSM7BIT
		if ucs2 {
			enc = data.UCS2
		}
		if err := p.Message.SetMessageDataWithEncoding(part, enc); err != nil {
			return nil, fmt.Errorf("smscsim: MO part: %w", err)
		}
		if len(parts) > 1 {
			p.EsmClass = data.SM_UDH_GSM
			p.Message.SetUDH(pdu.UDH{pdu.NewIEConcatMessage(byte(len(parts)), byte(i+1), ref)})
		}
		mo.parts[i] = marshal(p, data.ESME_ROK)
	}
	return mo, nil
}

// SendMO queues parts of mo (numbered from 1; none: all of them), in that
// order, on the least busy bound receiver or transceiver session, as
// InjectMO does. Sending parts again is what an SMSC does with deliver_sm
// it got no answer to.
func (s *Server) SendMO(mo *MO, parts ...int) error {
	if len(parts) == 0 {
		for i := range mo.parts {
			parts = append(parts, i+1)
		}
	}
	ds := make([]*delivery, len(parts))
	for i, n := range parts {
		if n < 1 || n > len(mo.parts) {
			return fmt.Errorf("smscsim: MO has no part %d", n)
		}
		ds[i] = &delivery{raw: mo.parts[n-1]}
	}
	s.dl.mu.Lock()
	c := s.dl.pick(ds[0])
	if c != nil {
		for _, d := range ds {
			c.queue.push(d)
		}
	}
	s.dl.mu.Unlock()
	if c == nil {
		return ErrNoReceiver
	}
	c.wake()
	return nil
}

// SMS part sizes: one part holds 160 GSM septets or 70 UTF-16 units; a
// concatenated part loses 6 octets to the UDH, leaving 153 or 67.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// splitMO encodes text as GSM 7-bit (unpacked, data_coding 0) when it is
// plain ASCII that the GSM default alphabet can carry, else as UCS2, and
// cuts it into parts. It never cuts a GSM escape sequence or a UTF-16
// surrogate pair.
func splitMO(text string) (ucs2 bool, parts [][]byte) {
	if isASCII(text) && len(data.ValidateGSM7String(text)) == 0 {
		if b, err := data.GSM7BIT.Encode(text); err == nil {
			return false, splitGSM(b)
		}
	}
	return true, splitUCS2(text)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// splitGSM cuts unpacked septets into parts.
func splitGSM(b []byte) [][]byte {
	if len(b) <= gsmSingle {
		return [][]byte{b}
	}
	var parts [][]byte
	for len(b) > 0 {
		n := 0
		for n < len(b) {
			w := 1
			if b[n] == 0x1b { // escape: the next septet belongs to it
				w = 2
			}
			if n+w > gsmPart {
				break
			}
			n += w
		}
		n = min(n, len(b))
		parts = append(parts, b[:n])
		b = b[n:]
	}
	return parts
}

// splitUCS2 encodes text as UTF-16BE and cuts it into parts.
func splitUCS2(text string) [][]byte {
	var units []uint16
	for _, r := range text {
		units = utf16.AppendRune(units, r)
	}
	size := ucs2Single
	if len(units) > ucs2Single {
		size = ucs2Part
	}
	var parts [][]byte
	for first := true; first || len(units) > 0; first = false {
		n := min(size, len(units))
		if n < len(units) && units[n-1] >= 0xd800 && units[n-1] < 0xdc00 {
			n-- // keep the surrogate pair together
		}
		b := make([]byte, 0, 2*n)
		for _, u := range units[:n] {
			b = append(b, byte(u>>8), byte(u))
		}
		parts = append(parts, b)
		units = units[n:]
	}
	return slices.Clip(parts)
}
